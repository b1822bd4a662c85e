// The vocabulary of the architecture contract: what one workload record says.
import type { AppGroupName } from "./groups";

/** Namespaces by role; each environment names them (settings.namespaces). */
export type NamespaceRole = "app" | "monitoring";

/** How available an environment must be; each environment's settings name its level. */
export type AvailabilityLevel = "production" | "development";

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** Where a container's image comes from. */
export type ImageSource =
  /** A third-party image, pinned by tag or digest, exactly as rendered. */
  | { pinned: string }
  /** An Online Boutique service image: `<settings.images.registry>/<service>:<settings.images.tag>`. */
  | { onlineBoutique: string }
  /** Our own image, as the environment's settings name it (settings.images.orderPersistence). */
  | { setting: "orderPersistence" };

export interface ContainerRecord {
  image: ImageSource;
  resources: ContainerResources;
  /** Names of the workload's ports this container listens on (keys of WorkloadRecord.ports). */
  ports?: readonly string[];
  /** An init container: runs to completion before the others start. */
  init?: boolean;
}

export interface PortRecord {
  /** The container port. */
  port: number;
  /** The port of the workload's Service, when it differs from the container port (frontend 80). */
  servicePort?: number;
  /** Clients outside the cluster (a browser, a load balancer) may connect. */
  external?: boolean;
  /** Pods of the workload connect to each other on it (replication, gossip). */
  peers?: boolean;
  /** Metrics for Prometheus: pods are annotated prometheus.io/scrape and /port, and scrapers may connect. */
  metrics?: boolean;
  /** Protocols it listens on; default TCP only (gossip such as Alertmanager's uses TCP and UDP). */
  protocols?: readonly PortProtocol[];
}

export type PortProtocol = "TCP" | "UDP";

/** One grant: every verb on every resource of the API groups listed. */
export interface ResourceGrant {
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
}

/** One grant on paths of the API server that are not resources (its own /metrics); cluster-wide only. */
export interface NonResourceGrant {
  nonResourceURLs: readonly string[];
  verbs: readonly string[];
}

export type ApiGrant = ResourceGrant | NonResourceGrant;

/** What a workload may do through the API, by scope; each scope present is rendered, nothing else. */
export interface ApiAccess {
  /** A Role in each namespace of the architecture: what it reads there (nothing of other namespaces). */
  namespaces?: readonly ResourceGrant[];
  /** One ClusterRole: what only a cluster-wide grant allows (nodes, non-resource URLs, every namespace). */
  cluster?: readonly ApiGrant[];
}

/**
 * Host access of a node agent, each with the reason it needs it: the only workloads that may
 * leave the pod sandbox. The policy run exempts a DaemonSet from the matching rule only when its
 * record lists the access (hostAccessExemptions in core/contract/index.ts).
 */
export interface HostAccess {
  /** Runs on the node's network namespace (its pods have the node's address). */
  hostNetwork?: string;
  /** Sees the node's processes. */
  hostPID?: string;
  /** Mounts node paths read-only: volume name → host path, and one reason for them. */
  hostPaths?: { volumes: Readonly<Record<string, string>>; reason: string };
}

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "Job";

/** One workload: everything apps need to build it and policies need to judge it. */
export interface WorkloadRecord {
  namespace: NamespaceRole;
  /** The app group (one Argo CD Application, one sync wave) it is deployed with. */
  group: AppGroupName;
  kind: WorkloadKind;
  /** Containers by name, init containers included. */
  containers: Readonly<Record<string, ContainerRecord>>;
  /** Named ports; a pod's port names are unique, so a name identifies the port. */
  ports?: Readonly<Record<string, PortRecord>>;
  /** Whom it connects to: workload → the name of that workload's port. */
  calls?: Readonly<Record<string, string>>;
  /** Connects to every metrics port of every workload (Prometheus). */
  scrapesMetrics?: boolean;
  /** Talks to the Kubernetes API server: its pods get a token and may reach the API (settings.kubernetesApi). */
  usesKubernetesApi?: boolean;
  /** What it may do through the API: its Roles and ClusterRole hold exactly these grants (policy RBAC005). */
  apiAccess?: ApiAccess;
  /** Scrapes every node's kubelet (its own and cAdvisor's metrics) on the nodes' addresses (settings.nodes). */
  scrapesKubelets?: boolean;
  /** Keeps its data in object storage outside the cluster when the settings give one (settings.monitoring.loki.storage). */
  usesObjectStorage?: boolean;
  /** A node agent's access to the host; no other workload has any. */
  hostAccess?: HostAccess;
  /** Fewer replicas than this is an availability failure at that level (an HPA target counts at its minimum). */
  minimumReplicas?: Partial<Record<AvailabilityLevel, number>>;
  /** Persistent volume claims and their size (a StatefulSet: per replica, as claim templates; otherwise one claim). */
  volumeClaims?: Readonly<Record<string, string>>;
}
