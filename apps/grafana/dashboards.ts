// The four provisioned dashboards of the monitoring stack, built with the Grafana foundation SDK's
// typed builders (no hand-written dashboard JSON): Kubernetes cluster, Application, Application
// logs, Order analytics. A pure function from the environment's namespaces and the datasources'
// uids to one JSON file per dashboard, byte-identical on every run (keys sorted). The Grafana app
// puts the files in ConfigMaps and provisions them into one folder (dashboardFolder).
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { applicationDashboard } from "./application";
import { clusterDashboard } from "./cluster";
import { stableJson, type DashboardContext, type DatasourceUids } from "./kit";
import { logsDashboard } from "./logs";
import { dashboards } from "./names";
import { ordersDashboard } from "./orders";

export { datasourceTypes, type DatasourceUids } from "./kit";
export { dashboardFolder, dashboards, datasourceUids, kubernetesEventsStream, logLabels } from "./names";

export interface GrafanaDashboardOptions {
  /** The environment's namespaces (settings.namespaces): the application's and the monitoring stack's. */
  namespaces: { app: string; monitoring: string };
  /** The provisioned datasources' uids (normally `datasourceUids`). */
  datasources: DatasourceUids;
}

/** The dashboards as the SDK builds them, by file name. */
export function grafanaDashboardModels(options: GrafanaDashboardOptions): Record<string, Dashboard> {
  const context: DashboardContext = { uids: options.datasources, namespaces: options.namespaces };
  return {
    [dashboards.cluster.file]: clusterDashboard(context),
    [dashboards.application.file]: applicationDashboard(context),
    [dashboards.logs.file]: logsDashboard(context),
    [dashboards.orders.file]: ordersDashboard(context),
  };
}

/** Dashboard files to provision: file name → JSON text (sorted keys, two-space indent, final newline). */
export function grafanaDashboards(options: GrafanaDashboardOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(grafanaDashboardModels(options)).map(([file, model]) => [file, stableJson(model)]));
}
