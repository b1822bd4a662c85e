// The architecture contract: the numbers of the architecture overview, in one place for the
// workloads that exist. Each workload is one record (workloads.ts); everything else here is a
// view of those records or a fact about the cluster around them. apps/ build from it and
// policies/ judge rendered manifests against it, so both sides move together.
import { imageRegistry } from "../images";
import type { AvailabilityLevel, ContainerResources, NamespaceRole, PortProtocol, PortRecord, WorkloadRecord } from "./types";
import { workloads, type WorkloadName } from "./workloads";

export * from "./groups";
export * from "./types";
export type { WorkloadName } from "./workloads";

/** Every workload record, by name. */
export const records: Readonly<Record<WorkloadName, WorkloadRecord>> = workloads;
/** Workload names in the contract's order. */
export const workloadNames = Object.keys(records) as WorkloadName[];

export function isWorkloadName(name: unknown): name is WorkloadName {
  return typeof name === "string" && Object.hasOwn(records, name);
}

/** The contract's requests and limits of one container, or undefined when the contract has none. */
export function containerResources(workload: string, container: string): ContainerResources | undefined {
  return isWorkloadName(workload) ? records[workload].containers[container]?.resources : undefined;
}

/** The contract's minimum replicas of a workload at an availability level (undefined: no minimum). */
export function minimumReplicas(level: AvailabilityLevel, workload: WorkloadName): number | undefined {
  return records[workload].minimumReplicas?.[level];
}

/** Persistent volume claim name → size, over every workload (claim names are unique: test/contract.test.ts). */
export const volumeClaimSizes: Readonly<Record<string, string>> = Object.fromEntries(workloadNames.flatMap((name) => Object.entries(records[name].volumeClaims ?? {})));

/** A named port of a workload; throws when the contract has no such port (a bug in an app). */
export function portOf(workload: WorkloadName, port: string): PortRecord {
  const found = records[workload].ports?.[port];
  if (!found) throw new Error(`core/contract: workload ${workload} has no port named "${port}"`);
  return found;
}

/** The protocols a port listens on (TCP unless its record says otherwise). */
export function protocolsOf(port: PortRecord): readonly PortProtocol[] {
  return port.protocols ?? ["TCP"];
}

/**
 * The name of a port as a pod or Service lists it for one protocol: the record's name for TCP,
 * "<name>-udp" for UDP (names are unique in a pod and in a Service, whatever their protocol).
 */
export function protocolPortName(name: string, protocol: PortProtocol): string {
  return protocol === "TCP" ? name : `${name}-${protocol.toLowerCase()}`;
}

/** The pinned image of a container; throws when the record takes it from the settings (a bug in an app). */
export function pinnedImageOf(workload: WorkloadName, container: string): string {
  const image = records[workload].containers[container]?.image;
  if (!image || !("pinned" in image)) throw new Error(`core/contract: workload ${workload} has no container "${container}" with a pinned image`);
  return image.pinned;
}

/** Where the Kubernetes API server is, as a flow target: not a pod, but addresses from the settings. */
export const kubernetesApi = "kubernetes-api";

/**
 * The nodes' kubelets, as a flow target: not pods, but the nodes' addresses from the settings, on
 * the kubelet's authenticated port (its /metrics and cAdvisor's /metrics/cadvisor).
 */
export const kubelet = "kubelet";
export const kubeletPort = 10250;

/**
 * Object storage outside the cluster (Loki's bucket), as a flow target: the addresses and port the
 * settings give it (settings.monitoring.loki.storage), and no flow at all where they give none.
 */
export const objectStorage = "object-storage";

/**
 * A permitted connection: `from` a workload or "external" (outside the cluster) to a named port
 * of `to`, over the port's protocols; or from a workload to the API server or the kubelets.
 */
export type AllowedFlow =
  | { from: WorkloadName | "external"; to: WorkloadName; port: string }
  | { from: WorkloadName; to: typeof kubernetesApi }
  | { from: WorkloadName; to: typeof kubelet }
  | { from: WorkloadName; to: typeof objectStorage };

/** Whether a workload's pods run on the node's network: they have the node's address, and NetworkPolicies do not confine them. */
export function onHostNetwork(workload: WorkloadName): boolean {
  return records[workload].hostAccess?.hostNetwork !== undefined;
}

/** Whether a flow goes to the nodes' addresses: a kubelet, or a workload on the host network. */
export function reachesNodes(flow: AllowedFlow): boolean {
  return flow.to === kubelet || (flow.to !== kubernetesApi && flow.to !== objectStorage && onHostNetwork(flow.to));
}

/** The policy rule each kind of host access breaks, which a node agent's record exempts it from. */
export const hostAccessExemptions = { hostNetwork: "SEC008", hostPID: "SEC009", hostPaths: "SEC012" } as const;

/**
 * Who may talk to whom, derived from the records: clients outside the cluster to external
 * ports, each workload's calls, the pods of one workload to each other on its peer ports
 * (replication, gossip: a flow from the workload to itself), scrapers to every metrics port
 * (their own included: HA replicas scrape each other), API users to the API server, kubelet
 * scrapers to the kubelets. With
 * `deployed`, only flows whose both ends run in the environment.
 */
export function allowedFlows(deployed: readonly WorkloadName[] = workloadNames): AllowedFlow[] {
  const present = new Set(deployed);
  const running = workloadNames.filter((name) => present.has(name));
  const flows: AllowedFlow[] = [];
  for (const to of running) {
    for (const [port, record] of Object.entries(records[to].ports ?? {})) if (record.external) flows.push({ from: "external", to, port });
  }
  for (const from of running) {
    for (const [to, port] of Object.entries(records[from].calls ?? {})) if (present.has(to as WorkloadName)) flows.push({ from, to: to as WorkloadName, port });
  }
  for (const workload of running) {
    for (const [port, record] of Object.entries(records[workload].ports ?? {})) if (record.peers) flows.push({ from: workload, to: workload, port });
  }
  for (const from of running.filter((name) => records[name].scrapesMetrics)) {
    for (const to of running) {
      for (const [port, record] of Object.entries(records[to].ports ?? {})) if (record.metrics) flows.push({ from, to, port });
    }
  }
  for (const from of running.filter((name) => records[name].usesKubernetesApi)) flows.push({ from, to: kubernetesApi });
  for (const from of running.filter((name) => records[name].scrapesKubelets)) flows.push({ from, to: kubelet });
  for (const from of running.filter((name) => records[name].usesObjectStorage)) flows.push({ from, to: objectStorage });
  // A scraper that also calls a metrics port (Prometheus → Alertmanager's web port) is one flow.
  const seen = new Set<string>();
  return flows.filter((flow) => {
    const key = `${flow.from}|${flow.to}|${"port" in flow ? flow.port : ""}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Registries of the contract's pinned images; environments add their own (settings.images). */
export const thirdPartyRegistries: readonly string[] = [
  ...new Set(workloadNames.flatMap((name) => Object.values(records[name].containers).flatMap((c) => ("pinned" in c.image ? [imageRegistry(c.image.pinned)] : [])))),
].sort();

/**
 * Cluster DNS, which every workload may query (UDP and TCP 53). It also serves metrics (CoreDNS,
 * 9153), which no workload may reach.
 */
export const clusterDns = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53, metricsPort: 9153 } as const;

/** Redis Sentinel: the master group name cart asks for, and how many sentinels must agree it is down. */
export const redisSentinel = { masterName: "mymaster", quorum: 2 } as const;

/**
 * PostgreSQL server settings the data's safety rests on: a replica's slot keeps at most this much
 * WAL on the primary (a lost replica cannot fill the volume), and the replica reports what it still
 * reads (the backup's long query is not cancelled by cleanup on the primary).
 */
export const postgresServerSettings = { max_slot_wal_keep_size: "2GB", hot_standby_feedback: "on" } as const;

/**
 * Secrets workloads read, by name and key. Their values never enter Git: each environment
 * creates them (generated in the cluster, or synced from a secret store).
 */
export const secrets = {
  redisAuth: { name: "redis-auth", keys: { password: "password" } },
  postgres: { name: "postgres-secret", keys: { password: "password", replicationPassword: "replication-password" } },
  /**
   * Grafana's PostgreSQL passwords: the order analytics role's, and (production) the role that owns
   * Grafana's database. The same values in both namespaces: postgres-grafana-access (app) sets
   * them, Grafana (monitoring) logs in with them.
   */
  grafanaDatabase: { name: "grafana-database", keys: { readerPassword: "reader-password", password: "password" } },
  /** Grafana's own: the admin password (the overview's Secret) and the key that encrypts its stored credentials (the same on every replica). */
  grafana: { name: "prometheus-grafana", keys: { adminPassword: "admin-password", secretKey: "secret-key" } },
  /** Loki's object storage credentials (read by its S3 client from the environment). */
  lokiObjectStorage: { name: "loki-object-storage", keys: { accessKeyId: "access-key-id", secretAccessKey: "secret-access-key" } },
  /** Receiver credentials (Slack URL, SMTP password, bearer tokens): its keys are named in settings.monitoring.alertmanager.receivers. */
  alertmanagerReceivers: { name: "alertmanager-receivers", keys: {} },
} as const;

/** The Alertmanager receiver that takes the Watchdog when the settings name none (it notifies nobody); no receiver of the settings may be called so. */
export const droppedWatchdogReceiver = "watchdog-dropped";

/** Names of the Secrets workloads may reference. */
export const externalSecrets: readonly string[] = Object.values(secrets).map((secret) => secret.name);

/** The namespaces of the architecture, by role; each environment names them (settings.namespaces). */
export const namespaceRoles: readonly NamespaceRole[] = ["app", "monitoring"];

/**
 * Pod Security admission level each namespace enforces. Admission judges a whole namespace and
 * ignores exemption annotations, so a namespace that will hold node agents (node-exporter and the
 * log agent need hostNetwork, hostPID and hostPath) enforces privileged; every namespace still
 * warns and audits at restricted, and the policy run holds every pod to restricted, exempting
 * only named rules with a reason (exemptionAnnotation).
 */
export const podSecurityLevels: Readonly<Record<NamespaceRole, { enforce: "restricted" | "baseline" | "privileged"; why: string }>> = {
  app: { enforce: "restricted", why: "the shop and its data tier need no host access" },
  monitoring: { enforce: "privileged", why: "node agents (node-exporter, the log agent) read the host; admission cannot exempt single workloads" },
};

/**
 * Annotation by which a workload is exempt from policy rules, one "RULE: reason" line per rule
 * (a node agent's host access). Apps write it; the policy run honours and lists it.
 */
export const exemptionAnnotation = "online-boutique-gitops/policy-exemptions";

/**
 * Annotation on a claim that only a CronJob or Job mounts ("CronJob/<name>"). With a
 * WaitForFirstConsumer storage class such a claim stays Pending until the first run, which Argo
 * CD's built-in check calls Progressing, holding its Application and every later wave for up to a
 * day. generator/argocd-pvc-health.lua reports an annotated Pending claim as Healthy.
 */
export const bindsOnFirstRunAnnotation = "online-boutique-gitops/binds-on-first-run";

/**
 * Argo CD's names for what keeps a deletion from spreading. The resources finalizer makes deleting
 * an Application delete everything it deployed: the group apps carry it, the root app-of-apps must
 * not. The sync options keep Argo CD from ever pruning or deleting a Namespace (which would delete
 * everything in it).
 */
export const argoCd = {
  resourcesFinalizer: "resources-finalizer.argocd.argoproj.io",
  syncOptionsAnnotation: "argocd.argoproj.io/sync-options",
  namespaceSyncOptions: ["Prune=false", "Delete=false"],
} as const;

/**
 * Address variables upstream requires for features this architecture does not deploy: the
 * program starts only with them set, and dials them lazily (never, unless the feature is used).
 */
export const undeployedUpstreamAddresses: Readonly<Record<string, string>> = {
  SHOPPING_ASSISTANT_SERVICE_ADDR: "frontend v0.10.x requires it for the optional shopping assistant, which is not deployed",
};

/** ServiceAccounts ("namespace/name") that RBAC may allow to read Secrets. None so far. */
export const secretReaders: readonly string[] = [];

/**
 * Where alerts fire: the thresholds of the Prometheus rules (apps/prometheus-rules.ts), in one
 * place so a number changed here changes the rule, its unit test and its runbook together.
 */
export const alertThresholds = {
  /** Share of a service's server spans that end in an error, over 5 minutes. */
  errorRatio: 0.05,
  /** Below this many requests per second a service's error ratio and latency are noise. */
  minimumRequestRate: 0.1,
  /** p99 of a service's server spans, in milliseconds (Online Boutique's calls take tens of ms). */
  latencyP99Ms: 1_000,
  /** Container restarts within 15 minutes that count as crash-looping. */
  restartsIn15m: 3,
  /** Used share of a persistent volume. */
  volumeUsedRatio: 0.85,
  /** WAL a PostgreSQL replica may be behind its primary, in bytes (a few seconds of busy writing). */
  postgresReplicaLagBytes: 64 * 2 ** 20,
  /** Share of Prometheus' notifications to Alertmanager that may fail. */
  notificationErrorRatio: 0.01,
} as const;
