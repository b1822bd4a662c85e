// The dashboard files with placeholders where the environment's namespaces go. Building them
// loads the Grafana foundation SDK (half a megabyte of CommonJS); the CLI bundle does it once, at
// build time: generator/build.mjs replaces this module with the files it returns, so a render
// only fills in the namespaces (dashboard-files.ts).
import { datasourceUids, grafanaDashboards } from "./dashboards";

/** Stand-ins for the namespaces, replaced as text: DNS labels no environment would name a namespace. */
export const namespacePlaceholders = { app: "ob-placeholder-app-namespace", monitoring: "ob-placeholder-monitoring-namespace" } as const;

/** File name → dashboard JSON, with the namespace placeholders. */
export function dashboardTemplates(): Record<string, string> {
  return grafanaDashboards({ namespaces: namespacePlaceholders, datasources: datasourceUids });
}
