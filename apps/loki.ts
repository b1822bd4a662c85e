// Loki: the logs the agent ships, for Grafana's logs dashboard. Every pod runs the single binary
// (all components, `-target=all`); production's three form a memberlist ring, replicate each
// stream three times and share an S3-compatible bucket, development's one keeps everything on
// its volume. Schema v13 on the TSDB index, one table a day; the compactor deletes what is
// older than the settings' retention; the limits refuse a flood of pushes or a query over too
// many series instead of running out of memory.
//
// There is no Loki binary on these machines: the configuration is built from typed data here
// and checked for its shape by test/loki.test.ts. On a machine with Loki 3.7, check it with
// `loki -config.file=<rendered config> -verify-config` (README "Monitoring").
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { portOf, secrets } from "../core/contract/index";
import { replicaCount } from "../core/settings/topology";
import { toYaml } from "../core/yaml/write";
import { namespaceOf, workloadApp, type RenderContext } from "./lib/app";
import { clusterService, headlessService } from "./lib/service";
import { configChecksum, httpProbe, statefulSet } from "./lib/workload";

const httpPort = portOf("loki", "http").port;
const grpcPort = portOf("loki", "grpc").port;
const memberlistPort = portOf("loki", "memberlist").port;
const headless = "loki-headless";
const dataDir = "/data/loki"; // overview
const configDir = "/etc/loki";
/** The first day of the v13 schema: before any log this repository's Loki stores. */
const schemaStart = "2026-01-01";

/** loki.yaml for the environment. */
function lokiConfig(context: RenderContext): Record<string, unknown> {
  const settings = context.settings.monitoring.loki;
  const replicas = replicaCount(context.settings, "loki");
  const storage = settings.storage;
  const objectStore = storage.type === "s3" ? "s3" : "filesystem";
  const ring = replicas > 1 ? { kvstore: { store: "memberlist" } } : { kvstore: { store: "inmemory" } };
  return {
    auth_enabled: false,
    server: { http_listen_port: httpPort, grpc_listen_port: grpcPort, log_level: "info" },
    common: {
      path_prefix: dataDir,
      replication_factor: Math.min(replicas, 3),
      ring,
      storage:
        storage.type === "s3"
          ? { s3: { bucketnames: storage.bucket, endpoint: storage.endpoint, region: storage.region, insecure: false } }
          : { filesystem: { chunks_directory: `${dataDir}/chunks`, rules_directory: `${dataDir}/rules` } },
    },
    ...(replicas > 1 ? { memberlist: { bind_port: memberlistPort, join_members: [`${headless}.${namespaceOf(context, "loki")}.svc.cluster.local:${memberlistPort}`] } } : {}),
    schema_config: { configs: [{ from: schemaStart, store: "tsdb", object_store: objectStore, schema: "v13", index: { prefix: "index_", period: "24h" } }] },
    compactor: { working_directory: `${dataDir}/compactor`, retention_enabled: true, delete_request_store: objectStore },
    limits_config: {
      retention_period: `${settings.retentionDays * 24}h`,
      ingestion_rate_mb: settings.limits.ingestionRateMb,
      ingestion_burst_size_mb: settings.limits.ingestionBurstSizeMb,
      max_query_series: settings.limits.maxQuerySeries,
      reject_old_samples: true,
      reject_old_samples_max_age: "168h",
    },
    analytics: { reporting_enabled: false },
  };
}

/** The bucket's credentials, for the S3 client's default chain (AWS_* variables), from the Secret. */
function objectStorageEnv(context: RenderContext): IEnvVar[] {
  const { name, keys } = secrets.lokiObjectStorage;
  return [
    { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name, key: keys.accessKeyId } } },
    { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name, key: keys.secretAccessKey } } },
  ];
}

export const loki = workloadApp({
  name: "loki",
  component: "logs",
  workloads: ["loki"],
  render: (context) => {
    const namespace = namespaceOf(context, "loki");
    const config = toYaml(lokiConfig(context), "# Rendered from settings.monitoring.loki (apps/loki.ts).");
    return [
      new ConfigMap({ metadata: { name: "loki-config", namespace }, data: { "loki.yaml": config } }),
      ...statefulSet(context, {
        name: "loki",
        serviceName: headless,
        // Ring members find each other through the headless Service: all start at once.
        podManagementPolicy: "Parallel",
        podAnnotations: configChecksum(config),
        // Ingesters hand their in-memory streams over (or flush them) before they stop.
        terminationGracePeriodSeconds: 300,
        containers: [
          {
            name: "loki",
            args: [`-config.file=${configDir}/loki.yaml`, "-target=all"],
            ...(context.settings.monitoring.loki.storage.type === "s3" ? { env: objectStorageEnv(context) } : {}),
            readinessProbe: httpProbe("/ready", httpPort, { periodSeconds: 10, initialDelaySeconds: 15 }),
            livenessProbe: httpProbe("/ready", httpPort, { periodSeconds: 30, initialDelaySeconds: 60, failureThreshold: 5 }),
            volumeMounts: [
              { name: "config", mountPath: configDir, readOnly: true },
              { name: "loki-storage", mountPath: dataDir },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "config", configMap: { name: "loki-config" } },
          { name: "tmp", emptyDir: {} },
        ],
      }),
      headlessService(context, "loki", ["http", "grpc", "memberlist"], headless),
      clusterService(context, "loki", "http"),
    ];
  },
});
