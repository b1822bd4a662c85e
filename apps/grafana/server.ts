// Grafana: the overview's dashboards, on its datasources, provisioned from files (nothing is
// clicked together in the UI, so a new pod or a new cluster shows the same). Development runs one
// with SQLite on its volume; production two that share a PostgreSQL database (made by the data
// group's hook, apps/postgres.ts) and the key that encrypts stored credentials, and that gossip
// their alerting state on 9094. Configuration is Grafana's documented GF_<SECTION>_<KEY>
// environment variables; every secret is read from a file mounted from a Secret (the __FILE
// variants), never an environment value.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { portOf, secrets } from "../../core/contract/index";
import { toYaml } from "../../core/yaml/write";
import { namespaceOf, workloadApp, type RenderContext } from "../lib/app";
import { externalAccess } from "../lib/exposure";
import { address, clusterService, headlessService, serviceHost } from "../lib/service";
import { configChecksum, httpProbe, podHosts, statefulSet } from "../lib/workload";
import { grafanaRoles, grafanaSharesDatabase, readService } from "../postgres";
import { dashboardFiles } from "./dashboard-files";
import { dashboardFolder, datasourceUids } from "./names";

const httpPort = portOf("grafana", "http").port;
const gossipPort = portOf("grafana", "gossip").port;
const headless = "grafana-headless";
const dataDir = "/var/lib/grafana";
const provisioningDir = "/etc/grafana/provisioning";
const secretsDir = "/etc/grafana/secrets";
const databaseSecretsDir = "/etc/grafana/database";



/** The provisioned datasources: Prometheus, Loki, and the orders database through the read-only role (the replica when there is one). */
function datasources(context: RenderContext): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        type: "prometheus",
        uid: datasourceUids.prometheus,
        access: "proxy",
        url: `http://${address("grafana", "prometheus", serviceHost(context, "prometheus"))}`,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: context.settings.monitoring.prometheus.scrapeInterval, httpMethod: "POST" },
      },
      {
        name: "Loki",
        type: "loki",
        uid: datasourceUids.loki,
        access: "proxy",
        url: `http://${address("grafana", "loki", serviceHost(context, "loki"))}`,
        editable: false,
        jsonData: { maxLines: 1000 },
      },
      {
        name: "Orders",
        type: "grafana-postgresql-datasource",
        uid: datasourceUids.orders,
        url: address("grafana", "postgres", serviceHost(context, "postgres", readService(context))),
        user: grafanaRoles.reader,
        editable: false,
        jsonData: { database: "orders", sslmode: "disable", maxOpenConns: 5, timescaledb: false },
        secureJsonData: { password: `$__file{${databaseSecretsDir}/${secrets.grafanaDatabase.keys.readerPassword}}` },
      },
    ],
  };
}

/** GF_* settings: server, security, users, database and (with several replicas) alerting HA peers. */
function grafanaEnv(context: RenderContext): IEnvVar[] {
  const value = (name: string, text: string): IEnvVar => ({ name, value: text });
  const exposure = context.settings.monitoring.grafana.exposure;
  const rootUrl = exposure.type === "Ingress" || exposure.type === "HTTPRoute" ? [value("GF_SERVER_ROOT_URL", `https://${exposure.host}/`)] : [];
  const database = grafanaSharesDatabase(context)
    ? [
        value("GF_DATABASE_TYPE", "postgres"),
        value("GF_DATABASE_HOST", address("grafana", "postgres", serviceHost(context, "postgres"))),
        value("GF_DATABASE_NAME", grafanaRoles.database),
        value("GF_DATABASE_USER", grafanaRoles.owner),
        value("GF_DATABASE_PASSWORD__FILE", `${databaseSecretsDir}/${secrets.grafanaDatabase.keys.password}`),
        value("GF_DATABASE_SSL_MODE", "disable"),
      ]
    : [value("GF_DATABASE_TYPE", "sqlite3")];
  const peers = grafanaSharesDatabase(context)
    ? [
        { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        value("GF_UNIFIED_ALERTING_HA_LISTEN_ADDRESS", `0.0.0.0:${gossipPort}`),
        value("GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS", `$(POD_IP):${gossipPort}`),
        value("GF_UNIFIED_ALERTING_HA_PEERS", podHosts(context, "grafana", headless).map((host) => `${host}:${gossipPort}`).join(",")),
      ]
    : [];
  return [
    value("GF_SERVER_HTTP_PORT", String(httpPort)),
    ...rootUrl,
    value("GF_PATHS_DATA", dataDir),
    value("GF_PATHS_PLUGINS", `${dataDir}/plugins`),
    value("GF_PATHS_PROVISIONING", provisioningDir),
    value("GF_LOG_MODE", "console"),
    value("GF_SECURITY_ADMIN_USER", "admin"),
    value("GF_SECURITY_ADMIN_PASSWORD__FILE", `${secretsDir}/${secrets.grafana.keys.adminPassword}`),
    value("GF_SECURITY_SECRET_KEY__FILE", `${secretsDir}/${secrets.grafana.keys.secretKey}`),
    value("GF_SECURITY_COOKIE_SECURE", String(rootUrl.length > 0)),
    value("GF_SECURITY_DISABLE_GRAVATAR", "true"),
    value("GF_AUTH_ANONYMOUS_ENABLED", "false"),
    value("GF_AUTH_DISABLE_LOGIN_FORM", "false"),
    value("GF_USERS_ALLOW_SIGN_UP", "false"),
    value("GF_ANALYTICS_REPORTING_ENABLED", "false"),
    value("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
    value("GF_PLUGINS_PREINSTALL_DISABLED", "true"),
    ...database,
    ...peers,
  ];
}

/** The dashboards' provider: the files of the dashboard ConfigMaps, in one folder, changed only through Git. */
const dashboardsDir = "/etc/grafana/dashboards";
const dashboardProvider = {
  apiVersion: 1,
  providers: [
    {
      name: "online-boutique",
      folder: dashboardFolder.title,
      folderUid: dashboardFolder.uid,
      type: "file",
      disableDeletion: true,
      allowUiUpdates: false,
      updateIntervalSeconds: 60,
      options: { path: dashboardsDir, foldersFromFilesStructure: false },
    },
  ],
};

/** One ConfigMap per dashboard (each well under the size Argo CD can apply), named after its file. */
function dashboardConfigMaps(context: RenderContext): ConfigMap[] {
  const namespace = namespaceOf(context, "grafana");
  const files = dashboardFiles(context.settings.namespaces);
  return Object.entries(files).map(([file, json]) => new ConfigMap({ metadata: { name: `grafana-dashboard-${file.replace(/\.json$/, "")}`, namespace }, data: { [file]: json } }));
}

export const grafana = workloadApp({
  name: "grafana",
  component: "dashboards",
  workloads: ["grafana"],
  render: (context) => {
    const namespace = namespaceOf(context, "grafana");
    const datasourceFile = toYaml(datasources(context), "# Rendered from apps/grafana/server.ts.");
    const providerFile = toYaml(dashboardProvider, "# Rendered from apps/grafana/server.ts.");
    const dashboardMaps = dashboardConfigMaps(context);
    return [
      new ConfigMap({ metadata: { name: "grafana-datasources", namespace }, data: { "datasources.yaml": datasourceFile } }),
      new ConfigMap({ metadata: { name: "grafana-dashboard-provider", namespace }, data: { "dashboards.yaml": providerFile } }),
      ...dashboardMaps,
      ...statefulSet(context, {
        name: "grafana",
        serviceName: headless,
        podManagementPolicy: "Parallel",
        // Datasources and providers are read at start: a change rolls the pods.
        podAnnotations: configChecksum(datasourceFile, providerFile),
        containers: [
          {
            name: "grafana",
            env: grafanaEnv(context),
            readinessProbe: httpProbe("/api/health", httpPort, { periodSeconds: 10 }),
            // Migrations of a new version run before it answers: a generous start.
            startupProbe: httpProbe("/api/health", httpPort, { periodSeconds: 10, failureThreshold: 30 }),
            livenessProbe: httpProbe("/api/health", httpPort, { periodSeconds: 30 }),
            volumeMounts: [
              { name: "grafana-storage", mountPath: dataDir },
              { name: "datasources", mountPath: `${provisioningDir}/datasources`, readOnly: true },
              { name: "dashboard-provider", mountPath: `${provisioningDir}/dashboards`, readOnly: true },
              // Grafana rereads these files every minute: a dashboard change needs no restart.
              { name: "dashboards", mountPath: dashboardsDir, readOnly: true },
              { name: "secrets", mountPath: secretsDir, readOnly: true },
              { name: "database", mountPath: databaseSecretsDir, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "datasources", configMap: { name: "grafana-datasources" } },
          { name: "dashboard-provider", configMap: { name: "grafana-dashboard-provider" } },
          { name: "dashboards", projected: { sources: dashboardMaps.map((map) => ({ configMap: { name: map.metadata!.name! } })) } },
          { name: "secrets", secret: { secretName: secrets.grafana.name } },
          { name: "database", secret: { secretName: secrets.grafanaDatabase.name } },
          { name: "tmp", emptyDir: {} },
        ],
      }),
      headlessService(context, "grafana", ["http", "gossip"], headless),
      clusterService(context, "grafana", "http"),
      ...externalAccess(context, "grafana", "http", context.settings.monitoring.grafana.exposure),
    ];
  },
});
