// The provisioned dashboard files of an environment: the templates (built by the SDK, in the CLI
// bundle at build time) with the environment's namespaces filled in.
import { dashboardTemplates, namespacePlaceholders } from "./dashboard-templates";

/** File name → dashboard JSON for these namespaces; the same text grafanaDashboards() builds for them (test/grafana.test.ts). */
export function dashboardFiles(namespaces: { app: string; monitoring: string }): Record<string, string> {
  const fill = (text: string) => text.replaceAll(namespacePlaceholders.monitoring, namespaces.monitoring).replaceAll(namespacePlaceholders.app, namespaces.app);
  return Object.fromEntries(Object.entries(dashboardTemplates()).map(([file, text]) => [file, fill(text)]));
}
