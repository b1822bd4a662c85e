// Orders database: PostgreSQL on the official image, one StatefulSet. dev: one instance. prod:
// primary + streaming replica (the replica bootstraps itself with pg_basebackup and a
// replication slot), read-write and read-only Services, a nightly pg_dump CronJob. Passwords
// come from the postgres-secret Secret, never from Git. postgres_exporter beside the server.
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { servicePorts } from "../policies/contract";
import type { App, KubeObject, RenderContext } from "./lib/app";
import { claimSpec, headlessService, podHost, replicaCount, resourcesOf, restrictedContainerSecurity, restrictedPodSecurity, selectorLabels, statefulSet } from "./lib/workload";
import { backupScript, bootstrapReplicaScript, initReplicationScript, promoteScript, restoreScript } from "./postgres-scripts";

// Debian variant: it runs as any uid (nss_wrapper), which the restricted profile needs.
export const postgresImage = "postgres:18.1-bookworm";
export const postgresExporterImage = "quay.io/prometheuscommunity/postgres-exporter:v0.20.1";
export const postgresSecret = { name: "postgres-secret", passwordKey: "password", replicationPasswordKey: "replication-password" } as const;
export const database = { name: "orders", user: "orderuser", replicationUser: "replicator" } as const;
const port = servicePorts.postgres.containerPort;
const exporterPort = 9187;
const headless = "postgres-headless";
/** PGDATA of the official image since PostgreSQL 18; the volume is mounted one level up (/var/lib/postgresql). */
const pgdata = "/var/lib/postgresql/18/docker";

const secretEnv = (name: string, key: string): IEnvVar => ({ name, valueFrom: { secretKeyRef: { name: postgresSecret.name, key } } });
const connectionEnv = (host: string): IEnvVar[] => [
  { name: "PGHOST", value: host },
  { name: "PGPORT", value: String(port) },
  { name: "PGUSER", value: database.user },
  { name: "PGDATABASE", value: database.name },
  secretEnv("PGPASSWORD", postgresSecret.passwordKey),
];


function scripts(context: RenderContext): ConfigMap {
  return new ConfigMap({
    metadata: { name: "postgres-scripts", namespace: context.settings.namespaces.app },
    data: {
      "bootstrap-replica.sh": bootstrapReplicaScript,
      "init-replication.sh": initReplicationScript,
      "promote.sh": promoteScript,
      "backup.sh": backupScript,
      "restore.sh": restoreScript,
    },
  });
}

function server(context: RenderContext): KubeObject[] {
  const primary = context.settings.dataTier.postgresPrimary;
  const scriptsMount = { name: "scripts", mountPath: "/scripts", readOnly: true };
  return statefulSet(context, {
    name: "postgres",
    serviceName: headless,
    terminationGracePeriodSeconds: 60,
    podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(exporterPort) },
    initContainers: [
      {
        name: "bootstrap-replica",
        image: postgresImage,
        command: ["sh", "/scripts/bootstrap-replica.sh"],
        env: [
          { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "PRIMARY_ORDINAL", value: String(primary) },
          { name: "PRIMARY_HOST", value: podHost(context, `postgres-${primary}`, headless) },
          { name: "PRIMARY_PORT", value: String(port) },
          { name: "REPLICATION_USER", value: database.replicationUser },
          secretEnv("REPLICATION_PASSWORD", postgresSecret.replicationPasswordKey),
          { name: "PGDATA", value: pgdata },
        ],
        volumeMounts: [scriptsMount, { name: "postgres-pvc", mountPath: "/var/lib/postgresql" }, { name: "tmp", mountPath: "/tmp" }],
      },
    ],
    containers: [
      {
        name: "postgres",
        image: postgresImage,
        env: [
          { name: "POSTGRES_USER", value: database.user },
          { name: "POSTGRES_DB", value: database.name },
          secretEnv("POSTGRES_PASSWORD", postgresSecret.passwordKey),
          { name: "REPLICATION_USER", value: database.replicationUser },
          secretEnv("REPLICATION_PASSWORD", postgresSecret.replicationPasswordKey),
          { name: "PGDATA", value: pgdata },
          // For the runbook's scripts (kubectl exec). No PGHOST: libpq uses the Unix socket, which
          // is also all the image's first-start server listens on (init-replication.sh runs then).
          { name: "PGUSER", value: database.user },
          { name: "PGDATABASE", value: database.name },
          secretEnv("PGPASSWORD", postgresSecret.passwordKey),
        ],
        // A replica's slot must not hold more WAL than the volume can take; the replica reports
        // what it still reads, so the backup's long query is not cancelled by cleanup on the primary.
        args: ["-c", "max_slot_wal_keep_size=2GB", "-c", "hot_standby_feedback=on"],
        ports: [{ name: "postgres", containerPort: port, protocol: "TCP" }],
        readinessProbe: { periodSeconds: 5, exec: { command: ["pg_isready", "-q", "-h", "127.0.0.1"] } },
        livenessProbe: { periodSeconds: 15, initialDelaySeconds: 30, tcpSocket: { port } },
        volumeMounts: [
          { name: "postgres-pvc", mountPath: "/var/lib/postgresql" },
          { name: "scripts", mountPath: "/docker-entrypoint-initdb.d/init-replication.sh", subPath: "init-replication.sh", readOnly: true },
          scriptsMount,
          { name: "run", mountPath: "/var/run/postgresql" },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
      {
        name: "postgres-exporter",
        image: postgresExporterImage,
        env: [
          { name: "DATA_SOURCE_URI", value: `127.0.0.1:${port}/${database.name}?sslmode=disable` },
          { name: "DATA_SOURCE_USER", value: database.user },
          secretEnv("DATA_SOURCE_PASS", postgresSecret.passwordKey),
        ],
        ports: [{ name: "metrics", containerPort: exporterPort, protocol: "TCP" }],
        readinessProbe: { tcpSocket: { port: exporterPort } },
        livenessProbe: { periodSeconds: 30, tcpSocket: { port: exporterPort } },
      },
    ],
    volumes: [
      { name: "scripts", configMap: { name: "postgres-scripts" } },
      { name: "run", emptyDir: { sizeLimit: "1Mi" } },
      { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
    ],
    volumeClaimTemplates: [{ metadata: { name: "postgres-pvc" }, spec: claimSpec(context, "postgres-pvc") }],
  });
}

/** One Service per role: "postgres" reaches the primary (read-write), "postgres-read" the replica. */
function roleService(context: RenderContext, name: string, ordinal: number): Service {
  return new Service({
    metadata: { name, namespace: context.settings.namespaces.app },
    spec: {
      type: "ClusterIP",
      // The StatefulSet controller labels each pod with its ordinal.
      selector: { ...selectorLabels("postgres"), "apps.kubernetes.io/pod-index": String(ordinal) },
      ports: [{ name: "postgres", port, targetPort: port, protocol: "TCP" }],
    },
  });
}

function backups(context: RenderContext, schedule: string): KubeObject[] {
  const namespace = context.settings.namespaces.app;
  return [
    new PersistentVolumeClaim({ metadata: { name: "postgres-backups", namespace }, spec: claimSpec(context, "postgres-backups") }),
    new CronJob({
      metadata: { name: "postgres-backup", namespace },
      spec: {
        schedule,
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            template: {
              metadata: { labels: selectorLabels("postgres-backup") },
              spec: {
                restartPolicy: "OnFailure",
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurity(),
                containers: [
                  {
                    name: "pg-dump",
                    image: postgresImage,
                    command: ["sh", "/scripts/backup.sh"],
                    // Dump from the replica when there is one: the primary keeps serving orders.
                    env: [...connectionEnv(replicaCount(context, "postgres") > 1 ? "postgres-read" : "postgres"), { name: "BACKUP_DIR", value: "/backups" }, { name: "RETENTION_DAYS", value: "7" }],
                    imagePullPolicy: "IfNotPresent",
                    securityContext: restrictedContainerSecurity(),
                    resources: resourcesOf("postgres-backup", "pg-dump"),
                    volumeMounts: [
                      { name: "scripts", mountPath: "/scripts", readOnly: true },
                      { name: "backups", mountPath: "/backups" },
                    ],
                  },
                ],
                volumes: [
                  { name: "scripts", configMap: { name: "postgres-scripts" } },
                  { name: "backups", persistentVolumeClaim: { claimName: "postgres-backups" } },
                ],
              },
            },
          },
        },
      },
    }),
  ];
}

export const postgres: App = {
  name: "postgres",
  group: "data",
  component: "database",
  render: (context) => {
    const { postgresPrimary, postgresBackupSchedule } = context.settings.dataTier;
    const replicas = replicaCount(context, "postgres");
    const replicaOrdinal = postgresPrimary === 0 ? 1 : 0;
    return [
      scripts(context),
      ...server(context),
      headlessService(context, headless, "postgres", port, "postgres"),
      roleService(context, "postgres", postgresPrimary),
      ...(replicas > 1 ? [roleService(context, "postgres-read", replicaOrdinal)] : []),
      ...(postgresBackupSchedule ? backups(context, postgresBackupSchedule) : []),
    ];
  },
};
