// The architecture contract: the numbers of the architecture overview, in one place.
// apps/ read them to build workloads; policies/ read them to judge rendered manifests.
// Change a number here and both sides move together.

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

const resources = (cpuRequest: string, cpuLimit: string, memoryRequest: string, memoryLimit: string): ContainerResources => ({
  requests: { cpu: cpuRequest, memory: memoryRequest },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

/**
 * Requests and limits of every container we run, keyed by workload and container name.
 * Rows marked "overview" are the architecture's resource table; the rest are upstream
 * Online Boutique v0.10.6 values (the overview gives none for them).
 */
export const containerResources = {
  frontend: { server: resources("100m", "200m", "64Mi", "128Mi") }, // overview
  checkoutservice: { server: resources("100m", "200m", "64Mi", "128Mi") }, // overview
  cartservice: { server: resources("200m", "300m", "64Mi", "128Mi") }, // overview
  "redis-cart": { redis: resources("70m", "125m", "200Mi", "256Mi") }, // overview
  redis: {
    redis: resources("70m", "125m", "200Mi", "256Mi"), // overview
    "config-init": resources("20m", "50m", "16Mi", "32Mi"),
    "redis-exporter": resources("20m", "50m", "32Mi", "64Mi"),
  },
  "redis-sentinel": {
    sentinel: resources("20m", "50m", "32Mi", "64Mi"),
    "config-init": resources("20m", "50m", "16Mi", "32Mi"),
  },
  postgres: {
    postgres: resources("100m", "500m", "256Mi", "512Mi"), // overview
    "bootstrap-replica": resources("100m", "500m", "64Mi", "256Mi"),
    "postgres-exporter": resources("20m", "50m", "32Mi", "64Mi"),
  },
  "postgres-backup": { "pg-dump": resources("100m", "500m", "64Mi", "256Mi") },
  "order-persistence": { server: resources("100m", "300m", "96Mi", "192Mi") },
  productcatalogservice: { server: resources("100m", "200m", "64Mi", "128Mi") },
  currencyservice: { server: resources("100m", "200m", "64Mi", "128Mi") },
  paymentservice: { server: resources("100m", "200m", "64Mi", "128Mi") },
  shippingservice: { server: resources("100m", "200m", "64Mi", "128Mi") },
  emailservice: { server: resources("100m", "200m", "64Mi", "128Mi") },
  recommendationservice: { server: resources("100m", "200m", "220Mi", "450Mi") },
  adservice: { server: resources("200m", "300m", "180Mi", "300Mi") },
} as const satisfies Record<string, Record<string, ContainerResources>>;

export type WorkloadName = keyof typeof containerResources;

/**
 * Ports of the in-cluster services (the overview's component table; Service ports as upstream:
 * frontend is reached on 80, emailservice on 5000). Flows and addresses are built from these.
 */
export const servicePorts = {
  frontend: { containerPort: 8080, servicePort: 80 },
  checkoutservice: { containerPort: 5050, servicePort: 5050 },
  productcatalogservice: { containerPort: 3550, servicePort: 3550 },
  cartservice: { containerPort: 7070, servicePort: 7070 },
  currencyservice: { containerPort: 7000, servicePort: 7000 },
  paymentservice: { containerPort: 50051, servicePort: 50051 },
  shippingservice: { containerPort: 50051, servicePort: 50051 },
  emailservice: { containerPort: 8080, servicePort: 5000 },
  recommendationservice: { containerPort: 8080, servicePort: 8080 },
  adservice: { containerPort: 9555, servicePort: 9555 },
  "redis-cart": { containerPort: 6379, servicePort: 6379 },
  redis: { containerPort: 6379, servicePort: 6379 },
  "redis-sentinel": { containerPort: 26379, servicePort: 26379 },
  postgres: { containerPort: 5432, servicePort: 5432 },
  "order-persistence": { containerPort: 5000, servicePort: 5000 },
} as const satisfies Partial<Record<WorkloadName, { containerPort: number; servicePort: number }>>;

/** Workloads that serve a port (a backup job serves none). */
export type ServingWorkload = keyof typeof servicePorts;


/** Namespaces the architecture defines. Environments may rename them; these are the defaults. */
export const defaultNamespaces = { app: "microservices-demo", monitoring: "monitoring" } as const;

/** Namespace (by role) each workload runs in; environments name the roles (settings.namespaces). */
export const workloadNamespaceRole: Record<WorkloadName, keyof typeof defaultNamespaces> = {
  frontend: "app",
  checkoutservice: "app",
  productcatalogservice: "app",
  cartservice: "app",
  currencyservice: "app",
  paymentservice: "app",
  shippingservice: "app",
  emailservice: "app",
  recommendationservice: "app",
  adservice: "app",
  "redis-cart": "app",
  redis: "app",
  "redis-sentinel": "app",
  postgres: "app",
  "postgres-backup": "app",
  "order-persistence": "app",
};

/** A permitted connection: `from` (a workload, or "external" = outside the cluster) to `to` on its container port (TCP). */
export interface AllowedFlow {
  from: WorkloadName | "external";
  to: ServingWorkload;
}

/**
 * Who may talk to whom: the overview's data flows (user traffic, cart → Redis) plus what the
 * services' code calls (recommendation → catalog; checkout → catalog, currency, cart).
 * NetworkPolicies are rendered from this table and the policy run proves the rendered ones
 * allow exactly these flows (plus DNS) and nothing else.
 */
export const allowedFlows: readonly AllowedFlow[] = [
  { from: "external", to: "frontend" },
  { from: "frontend", to: "productcatalogservice" },
  { from: "frontend", to: "currencyservice" },
  { from: "frontend", to: "cartservice" },
  { from: "frontend", to: "recommendationservice" },
  { from: "frontend", to: "shippingservice" },
  { from: "frontend", to: "checkoutservice" },
  { from: "frontend", to: "adservice" },
  { from: "checkoutservice", to: "shippingservice" },
  { from: "checkoutservice", to: "paymentservice" },
  // Order persistence (the overview's bonus): checkout's order confirmation goes to our service,
  // which stores the order and forwards the call to the real emailservice.
  { from: "checkoutservice", to: "order-persistence" },
  { from: "order-persistence", to: "emailservice" },
  { from: "order-persistence", to: "postgres" },
  { from: "postgres-backup", to: "postgres" },
  { from: "checkoutservice", to: "productcatalogservice" },
  { from: "checkoutservice", to: "currencyservice" },
  { from: "checkoutservice", to: "cartservice" },
  { from: "cartservice", to: "redis-cart" },
  // Redis Sentinel (production): cart asks a sentinel for the master, then talks to it; new
  // Redis pods ask the sentinels whom to replicate; sentinels watch every Redis. Traffic
  // between pods of one workload (replication, sentinel gossip) is allowed by its own policy.
  { from: "cartservice", to: "redis-sentinel" },
  { from: "cartservice", to: "redis" },
  { from: "redis", to: "redis-sentinel" },
  { from: "redis-sentinel", to: "redis" },
  { from: "recommendationservice", to: "productcatalogservice" },
];

/** Redis Sentinel: the master group name cart asks for, and how many sentinels must agree it is down. */
export const redisSentinel = { masterName: "mymaster", quorum: 2 } as const;

/** Cluster DNS, which every workload may query (UDP and TCP 53). */
export const clusterDns = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 } as const;

/** How available an environment must be; each environment's settings name its level. */
export type AvailabilityLevel = "production" | "development";

/**
 * Minimum replicas per availability level (an HPA target counts at its minReplicas). Production
 * is the overview's "Production Recommendations"; apps run these unless settings ask for more.
 */
export const minimumReplicas: Record<AvailabilityLevel, Partial<Record<WorkloadName, number>>> = {
  production: { frontend: 3, checkoutservice: 3, cartservice: 3, redis: 3, "redis-sentinel": 3, postgres: 2, "order-persistence": 2 },
  development: {},
};

/**
 * Persistent volume sizes, per claim (a StatefulSet volumeClaimTemplate or a PVC) and per
 * replica: the overview's storage architecture.
 */
export const volumeClaimSizes: Record<string, string> = {
  "postgres-pvc": "5Gi",
  "prometheus-storage": "10Gi",
  "loki-storage": "10Gi",
  "grafana-storage": "5Gi",
  // Not in the overview: a week of nightly pg_dump files, and the order service's spool.
  "postgres-backups": "10Gi",
  "order-spool": "1Gi",
};

/** ServiceAccounts ("namespace/name") that RBAC may allow to read Secrets. None so far. */
export const secretReaders: readonly string[] = [];

/** Registries every environment may pull from besides its Online Boutique registry. */
export const thirdPartyRegistries: readonly string[] = ["docker.io/library", "docker.io/oliver006", "quay.io/prometheuscommunity"];

/**
 * Secrets workloads may reference. Their values never enter Git: each environment creates them
 * (generated in the cluster, or synced from a secret store).
 */
export const externalSecrets: readonly string[] = ["redis-auth", "postgres-secret"];

/** Ports on which the pods of one workload talk to each other (replication, sentinel gossip). */
export const peerPorts: Partial<Record<ServingWorkload, readonly number[]>> = {
  redis: [servicePorts.redis.containerPort],
  "redis-sentinel": [servicePorts["redis-sentinel"].containerPort],
  postgres: [servicePorts.postgres.containerPort], // streaming replication
};
