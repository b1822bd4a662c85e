// Names that Grafana's provisioning, the log agent and the dashboards must agree on: datasource
// uids, log stream labels, the dashboards' uids and their folder. Defined once here.
import type { DatasourceUids } from "./kit";

/** Fixed uids of the provisioned datasources (the datasource files and every panel use these). */
export const datasourceUids = {
  prometheus: "prometheus",
  loki: "loki",
  /** PostgreSQL `orders` database through the read-only role on the postgres-read Service. */
  orders: "orders-postgres",
} as const satisfies DatasourceUids;

/**
 * Labels of every container log stream the log agent ships to Loki: the pod's namespace, its
 * name, the container's name and the pod's `app` label.
 */
export const logLabels = {
  namespace: "namespace",
  pod: "pod",
  container: "container",
  app: "app",
} as const;

/** Kubernetes events as a log stream: `job="kubernetes-events"` plus the object's `namespace` label. */
export const kubernetesEventsStream = {
  jobLabel: "job",
  job: "kubernetes-events",
  namespaceLabel: "namespace",
} as const;

/** The folder the dashboards are provisioned into (the dashboard provider's `folder` and `folderUid`). */
export const dashboardFolder = { uid: "online-boutique", title: "Online Boutique" } as const;

/** Each dashboard's uid (stable: links and bookmarks use it), title and file name. */
export const dashboards = {
  cluster: { uid: "ob-kubernetes-cluster", title: "Kubernetes cluster", file: "kubernetes-cluster.json" },
  application: { uid: "ob-application", title: "Application", file: "application.json" },
  logs: { uid: "ob-application-logs", title: "Application logs", file: "application-logs.json" },
  orders: { uid: "ob-order-analytics", title: "Order analytics", file: "order-analytics.json" },
} as const;

export const allDashboards = Object.values(dashboards);

/** Tags of every dashboard (Grafana's dashboard search and tag links). */
export const dashboardTags = ["online-boutique"];
