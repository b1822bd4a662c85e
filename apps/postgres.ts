// Orders database: PostgreSQL on the official image, one StatefulSet. dev: one instance. prod:
// primary + streaming replica (the replica bootstraps itself with pg_basebackup and a
// replication slot), read-write and read-only Services, a nightly pg_dump CronJob. Passwords
// come from the postgres-secret Secret, never from Git. postgres_exporter beside the server.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { pinnedImageOf, portOf, postgresServerSettings, secrets, type WorkloadName } from "../core/contract/index";
import { imageTag } from "../core/images";
import { replicaCount } from "../core/settings/topology";
import { namespaceOf, workloadApp, type KubeObject, type RenderContext } from "./lib/app";
import { calledPort, clusterService, headlessService } from "./lib/service";
import { cronJob, job, persistentVolumeClaims, podHost, podHosts, statefulSet, tcpProbe } from "./lib/workload";
import { backupScript, bootstrapReplicaScript, grafanaAccessScript, initReplicationScript, promoteScript, restoreScript } from "./postgres-scripts";

const database = { name: "orders", user: "orderuser", replicationUser: "replicator" } as const;
const port = portOf("postgres", "postgres").port;
const exporterPort = portOf("postgres", "metrics").port;
const headless = "postgres-headless";
/** How long the primary ordinal's init waits for its peers' timelines before starting without them. */
const peerWaitSeconds = 30;
/**
 * PGDATA of the official image since PostgreSQL 18 (/var/lib/postgresql/<major>/docker, the major
 * version from the record's image tag); the volume is mounted one level up (/var/lib/postgresql).
 */
const pgdata = `/var/lib/postgresql/${imageTag(pinnedImageOf("postgres", "postgres"))!.split(".")[0]}/docker`;

const { name: secretName, keys } = secrets.postgres;
const secretEnv = (name: string, key: string): IEnvVar => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });

/** The Service readers use: the replica's when there is one (the primary keeps serving writes), else the only one. */
export function readService(context: RenderContext): "postgres" | "postgres-read" {
  return replicaCount(context.settings, "postgres") > 1 ? "postgres-read" : "postgres";
}

/** libpq's variables for a client of the orders database through one of its Services (the client's record must call postgres). */
export function connectionEnv(client: WorkloadName, host: "postgres" | "postgres-read"): IEnvVar[] {
  return [
    { name: "PGHOST", value: host },
    { name: "PGPORT", value: String(calledPort(client, "postgres")) },
    { name: "PGUSER", value: database.user },
    { name: "PGDATABASE", value: database.name },
    secretEnv("PGPASSWORD", keys.password),
  ];
}


function scripts(context: RenderContext): ConfigMap {
  return new ConfigMap({
    metadata: { name: "postgres-scripts", namespace: namespaceOf(context, "postgres") },
    data: {
      "bootstrap-replica.sh": bootstrapReplicaScript,
      "init-replication.sh": initReplicationScript,
      "promote.sh": promoteScript,
      "backup.sh": backupScript,
      "restore.sh": restoreScript,
      "grafana-access.sh": grafanaAccessScript,
    },
  });
}

function server(context: RenderContext): KubeObject[] {
  const primary = context.settings.dataTier.postgresPrimary;
  const scriptsMount = { name: "scripts", mountPath: "/scripts", readOnly: true };
  // Every pod asks the others (only the primary ordinal uses the answer).
  const peerHosts = podHosts(context, "postgres", headless);
  return statefulSet(context, {
    name: "postgres",
    serviceName: headless,
    // The primary ordinal's init waits for its peers (a promoted replica must be seen): with the
    // default OrderedReady, postgres-1 would not be created before postgres-0 is ready.
    podManagementPolicy: "Parallel",
    terminationGracePeriodSeconds: 60,
    initContainers: [
      {
        name: "bootstrap-replica",
        command: ["sh", "/scripts/bootstrap-replica.sh"],
        env: [
          { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "PRIMARY_ORDINAL", value: String(primary) },
          { name: "PRIMARY_HOST", value: podHost(context, "postgres", `postgres-${primary}`, headless) },
          { name: "PRIMARY_PORT", value: String(port) },
          { name: "PEER_HOSTS", value: peerHosts.join(" ") },
          { name: "PEER_PORT", value: String(port) },
          { name: "PEER_WAIT_SECONDS", value: String(peerWaitSeconds) },
          { name: "REPLICATION_USER", value: database.replicationUser },
          secretEnv("REPLICATION_PASSWORD", keys.replicationPassword),
          { name: "PGDATA", value: pgdata },
        ],
        volumeMounts: [scriptsMount, { name: "postgres-pvc", mountPath: "/var/lib/postgresql" }, { name: "tmp", mountPath: "/tmp" }],
      },
    ],
    containers: [
      {
        name: "postgres",
        env: [
          { name: "POSTGRES_USER", value: database.user },
          { name: "POSTGRES_DB", value: database.name },
          secretEnv("POSTGRES_PASSWORD", keys.password),
          { name: "REPLICATION_USER", value: database.replicationUser },
          secretEnv("REPLICATION_PASSWORD", keys.replicationPassword),
          { name: "PGDATA", value: pgdata },
          // For the runbook's scripts (kubectl exec). No PGHOST: libpq uses the Unix socket, which
          // is also all the image's first-start server listens on (init-replication.sh runs then).
          { name: "PGUSER", value: database.user },
          { name: "PGDATABASE", value: database.name },
          secretEnv("PGPASSWORD", keys.password),
        ],
        // The settings the data's safety rests on (WAL kept for a slot, standby feedback): the contract's.
        args: Object.entries(postgresServerSettings).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
        readinessProbe: { periodSeconds: 5, exec: { command: ["pg_isready", "-q", "-h", "127.0.0.1"] } },
        livenessProbe: tcpProbe(port, { periodSeconds: 15, initialDelaySeconds: 30 }),
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
        env: [
          { name: "DATA_SOURCE_URI", value: `127.0.0.1:${port}/${database.name}?sslmode=disable` },
          { name: "DATA_SOURCE_USER", value: database.user },
          secretEnv("DATA_SOURCE_PASS", keys.password),
        ],
        readinessProbe: tcpProbe(exporterPort),
        livenessProbe: tcpProbe(exporterPort, { periodSeconds: 30 }),
      },
    ],
    volumes: [
      { name: "scripts", configMap: { name: "postgres-scripts" } },
      { name: "run", emptyDir: { sizeLimit: "1Mi" } },
      { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
    ],
  });
}

/** One Service per role: "postgres" reaches the primary (read-write), "postgres-read" the replica. */
function roleService(context: RenderContext, name: "postgres" | "postgres-read", ordinal: number) {
  // The StatefulSet controller labels each pod with its ordinal.
  return clusterService(context, "postgres", "postgres", { name, selector: { "apps.kubernetes.io/pod-index": String(ordinal) } });
}

const backup: WorkloadName = "postgres-backup";

function backups(context: RenderContext, schedule: string): KubeObject[] {
  return [
    ...persistentVolumeClaims(context, backup),
    cronJob(context, {
      name: backup,
      schedule,
      backoffLimit: 2,
      // A dump of the shop's database takes minutes; an hour means something is stuck.
      activeDeadlineSeconds: 3_600,
      startingDeadlineSeconds: 600,
      containers: [
        {
          name: "pg-dump",
          command: ["sh", "/scripts/backup.sh"],
          // Dump from the replica when there is one: the primary keeps serving orders.
          env: [...connectionEnv(backup, readService(context)), { name: "BACKUP_DIR", value: "/backups" }, { name: "RETENTION_DAYS", value: "7" }],
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
    }),
  ];
}

const grafanaAccess: WorkloadName = "postgres-grafana-access";
/** Grafana's roles (core/contract secrets.grafanaDatabase). */
export const grafanaRoles = { reader: "grafana_reader", owner: "grafana", database: "grafana" } as const;

/** Several Grafanas share a database here (one keeps SQLite on its volume): the hook makes it, Grafana uses it. */
export function grafanaSharesDatabase(context: RenderContext): boolean {
  return replicaCount(context.settings, "grafana") > 1;
}

/**
 * The Job that gives Grafana its roles, as an Argo CD hook after every sync of the data group:
 * hooks are created anew each time (a Job's pod template cannot change in place), the script is
 * idempotent, and a finished run is removed after a day.
 */
function grafanaAccessJob(context: RenderContext): KubeObject {
  const { name, keys: grafanaKeys } = secrets.grafanaDatabase;
  const fromSecret = (variable: string, key: string): IEnvVar => ({ name: variable, valueFrom: { secretKeyRef: { name, key } } });
  const ownDatabase = grafanaSharesDatabase(context)
    ? [{ name: "GRAFANA_DATABASE", value: grafanaRoles.database }, { name: "GRAFANA_USER", value: grafanaRoles.owner }, fromSecret("GRAFANA_PASSWORD", grafanaKeys.password)]
    : [];
  const access = job(context, {
    name: grafanaAccess,
    backoffLimit: 4,
    activeDeadlineSeconds: 600,
    ttlSecondsAfterFinished: 86_400,
    containers: [
      {
        name: "psql",
        command: ["sh", "/scripts/grafana-access.sh"],
        env: [...connectionEnv(grafanaAccess, "postgres"), { name: "READER_USER", value: grafanaRoles.reader }, fromSecret("READER_PASSWORD", grafanaKeys.readerPassword), ...ownDatabase],
        volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
      },
    ],
    volumes: [{ name: "scripts", configMap: { name: "postgres-scripts" } }],
  });
  access.metadata!.annotations = { "argocd.argoproj.io/hook": "PostSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation" };
  return access;
}

export const postgres = workloadApp({
  name: "postgres",
  component: "database",
  workloads: ["postgres", backup, grafanaAccess],
  render: (context) => {
    const { postgresPrimary, postgresBackupSchedule } = context.settings.dataTier;
    const replicas = replicaCount(context.settings, "postgres");
    const replicaOrdinal = postgresPrimary === 0 ? 1 : 0;
    return [
      scripts(context),
      ...server(context),
      headlessService(context, "postgres", "postgres", headless),
      roleService(context, "postgres", postgresPrimary),
      ...(replicas > 1 ? [roleService(context, "postgres-read", replicaOrdinal)] : []),
      // The schedule is what deploys the backup (core/settings/topology.ts); the check narrows its type.
      ...(context.deployed.has(backup) && postgresBackupSchedule !== null ? backups(context, postgresBackupSchedule) : []),
      grafanaAccessJob(context),
    ];
  },
});
