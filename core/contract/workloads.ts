// One record per workload: namespace, group, containers (image, resources, ports), whom it
// calls, minimum replicas, volume claims. Apps build from these records and policies judge the
// rendered manifests against them, so a number changed here moves both sides together.
//
// Resources marked "overview" are the architecture's resource table; the other Online Boutique
// values are upstream v0.10.6's (the overview gives none for them). The order of the records is
// the order of the clients in each rendered NetworkPolicy.
import type { ContainerRecord, ContainerResources, PortRecord, WorkloadRecord } from "./types";

const resources = (cpuRequest: string, cpuLimit: string, memoryRequest: string, memoryLimit: string): ContainerResources => ({
  requests: { cpu: cpuRequest, memory: memoryRequest },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

// Official images, pinned; Bitnami's free images were withdrawn in 2025. The Debian variant of
// postgres runs as any uid (nss_wrapper), which the restricted profile needs.
const redisImage = { pinned: "redis:7.4.6-alpine" };
const redisExporterImage = { pinned: "oliver006/redis_exporter:v1.88.0" };
const postgresImage = { pinned: "postgres:18.1-bookworm" };
const postgresExporterImage = { pinned: "quay.io/prometheuscommunity/postgres-exporter:v0.20.1" };

const alertmanagerImage = { pinned: "quay.io/prometheus/alertmanager:v0.34.0" };
const prometheusImage = { pinned: "quay.io/prometheus/prometheus:v3.13.2" };
const alloyImage = { pinned: "grafana/alloy:v1.18.1" };
const lokiImage = { pinned: "grafana/loki:3.7.0" };
const grafanaImage = { pinned: "grafana/grafana:13.2.0" };
const collectorImage = { pinned: "otel/opentelemetry-collector-contrib:0.157.0" };
const nodeExporterImage = { pinned: "quay.io/prometheus/node-exporter:v1.12.1" };
const kubeStateMetricsImage = { pinned: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0" };
// The k6 API the traffic script is typed against (@types/k6 2.3.0) is this image's.
const k6Image = { pinned: "grafana/k6:2.3.0" };

const exporterResources = resources("20m", "50m", "32Mi", "64Mi");
const configInitResources = resources("20m", "50m", "16Mi", "32Mi");

/** A k6 run (the CronJob's and the initial Job's): it calls the frontend and Prometheus' remote-write receiver. */
function trafficRun(kind: "CronJob" | "Job"): WorkloadRecord {
  return {
    namespace: "app",
    group: "traffic",
    kind,
    containers: { k6: { image: k6Image, resources: resources("100m", "500m", "128Mi", "256Mi") } },
    calls: { frontend: "http", prometheus: "web" },
  };
}

/** An Online Boutique service: one `server` container of the upstream image, one port. */
function onlineBoutique(
  service: string,
  port: { name: "grpc" | "http"; number: number; servicePort?: number; external?: boolean },
  serverResources: ContainerResources,
  rest: Partial<WorkloadRecord> = {},
): WorkloadRecord {
  const server: ContainerRecord = { image: { onlineBoutique: service }, resources: serverResources, ports: [port.name] };
  const { name, number, ...options } = port;
  const record: PortRecord = { port: number, ...options };
  return { namespace: "app", group: "online-boutique", kind: "Deployment", containers: { server }, ports: { [name]: record }, ...rest };
}

/**
 * The seven services that emit traces (ENABLE_TRACING) send them to the OpenTelemetry collector,
 * which turns them into request, error and latency metrics (upstream's other three have no tracing).
 */
const sendsTraces = { "otel-collector": "otlp" } as const;

export const workloads = {
  frontend: onlineBoutique("frontend", { name: "http", number: 8080, servicePort: 80, external: true }, resources("100m", "200m", "64Mi", "128Mi"), { // overview
    calls: {
      productcatalogservice: "grpc",
      currencyservice: "grpc",
      cartservice: "grpc",
      recommendationservice: "grpc",
      shippingservice: "grpc",
      checkoutservice: "grpc",
      adservice: "grpc",
      ...sendsTraces,
    },
    minimumReplicas: { production: 3 },
  }),
  checkoutservice: onlineBoutique("checkoutservice", { name: "grpc", number: 5050 }, resources("100m", "200m", "64Mi", "128Mi"), { // overview
    calls: {
      shippingservice: "grpc",
      paymentservice: "grpc",
      // Order confirmations go to order persistence, which stores the order and forwards the call to emailservice.
      "order-persistence": "grpc",
      productcatalogservice: "grpc",
      currencyservice: "grpc",
      cartservice: "grpc",
      ...sendsTraces,
    },
    minimumReplicas: { production: 3 },
  }),
  // Every page view needs the catalog and currency, the cart page a shipping quote, checkout
  // payment: at production level none of them may run as a single replica (a node drain would be an outage).
  productcatalogservice: onlineBoutique("productcatalogservice", { name: "grpc", number: 3550 }, resources("100m", "200m", "64Mi", "128Mi"), { calls: sendsTraces, minimumReplicas: { production: 2 } }),
  cartservice: onlineBoutique("cartservice", { name: "grpc", number: 7070 }, resources("200m", "300m", "64Mi", "128Mi"), { // overview
    // One Redis (redis-cart), or in Sentinel mode the sentinels for the master's address, then the master.
    calls: { "redis-cart": "redis", "redis-sentinel": "sentinel", redis: "redis" },
    minimumReplicas: { production: 3 },
  }),
  currencyservice: onlineBoutique("currencyservice", { name: "grpc", number: 7000 }, resources("100m", "200m", "64Mi", "128Mi"), { calls: sendsTraces, minimumReplicas: { production: 2 } }),
  paymentservice: onlineBoutique("paymentservice", { name: "grpc", number: 50051 }, resources("100m", "200m", "64Mi", "128Mi"), { calls: sendsTraces, minimumReplicas: { production: 2 } }),
  shippingservice: onlineBoutique("shippingservice", { name: "grpc", number: 50051 }, resources("100m", "200m", "64Mi", "128Mi"), { minimumReplicas: { production: 2 } }),
  emailservice: onlineBoutique("emailservice", { name: "grpc", number: 8080, servicePort: 5000 }, resources("100m", "200m", "64Mi", "128Mi"), { calls: sendsTraces }),
  recommendationservice: onlineBoutique("recommendationservice", { name: "grpc", number: 8080 }, resources("100m", "200m", "220Mi", "450Mi"), {
    calls: { productcatalogservice: "grpc", ...sendsTraces },
  }),
  adservice: onlineBoutique("adservice", { name: "grpc", number: 9555 }, resources("200m", "300m", "180Mi", "300Mi")),

  /** Carts as upstream: one in-memory Redis (development). */
  "redis-cart": {
    namespace: "app",
    group: "data",
    kind: "Deployment",
    containers: {
      redis: { image: redisImage, resources: resources("70m", "125m", "200Mi", "256Mi"), ports: ["redis"] }, // overview
      // Carts are watched in development too (RedisDown, the dashboards).
      "redis-exporter": { image: redisExporterImage, resources: exporterResources, ports: ["metrics"] },
    },
    ports: { redis: { port: 6379 }, metrics: { port: 9121, metrics: true } },
  },
  /** Carts in production: one master and two replicas, watched by the sentinels. */
  redis: {
    namespace: "app",
    group: "data",
    kind: "StatefulSet",
    containers: {
      "config-init": { init: true, image: redisImage, resources: configInitResources },
      redis: { image: redisImage, resources: resources("70m", "125m", "200Mi", "256Mi"), ports: ["redis"] }, // overview
      "redis-exporter": { image: redisExporterImage, resources: exporterResources, ports: ["metrics"] },
    },
    ports: { redis: { port: 6379, peers: true }, metrics: { port: 9121, metrics: true } },
    // A new Redis pod asks the sentinels whom to replicate.
    calls: { "redis-sentinel": "sentinel" },
    minimumReplicas: { production: 3 },
  },
  "redis-sentinel": {
    namespace: "app",
    group: "data",
    kind: "StatefulSet",
    containers: {
      "config-init": { init: true, image: redisImage, resources: configInitResources },
      sentinel: { image: redisImage, resources: resources("20m", "50m", "32Mi", "64Mi"), ports: ["sentinel"] },
      // redis_exporter pointed at the sentinel: how many sentinels see the master (RedisSentinelQuorumLost).
      "sentinel-exporter": { image: redisExporterImage, resources: exporterResources, ports: ["metrics"] },
    },
    ports: { sentinel: { port: 26379, peers: true }, metrics: { port: 9121, metrics: true } },
    calls: { redis: "redis" },
    minimumReplicas: { production: 3 },
  },
  /** Orders: a primary and, in production, a streaming replica (replication between the pods). */
  postgres: {
    namespace: "app",
    group: "data",
    kind: "StatefulSet",
    containers: {
      "bootstrap-replica": { init: true, image: postgresImage, resources: resources("100m", "500m", "64Mi", "256Mi") },
      postgres: { image: postgresImage, resources: resources("100m", "500m", "256Mi", "512Mi"), ports: ["postgres"] }, // overview
      "postgres-exporter": { image: postgresExporterImage, resources: exporterResources, ports: ["metrics"] },
    },
    ports: { postgres: { port: 5432, peers: true }, metrics: { port: 9187, metrics: true } },
    minimumReplicas: { production: 2 },
    volumeClaims: { "postgres-pvc": "5Gi" },
  },
  /** The overview's order persistence: checkout's confirmations are stored, then forwarded to emailservice. */
  "order-persistence": {
    namespace: "app",
    group: "orders",
    kind: "StatefulSet",
    containers: { server: { image: { setting: "orderPersistence" }, resources: resources("100m", "300m", "96Mi", "192Mi"), ports: ["grpc", "metrics"] } },
    ports: { grpc: { port: 5000 }, metrics: { port: 9464, metrics: true } },
    calls: { emailservice: "grpc", postgres: "postgres" },
    minimumReplicas: { production: 2 },
    // Not in the overview: orders taken while PostgreSQL is unreachable wait here.
    volumeClaims: { "order-spool": "1Gi" },
  },
  /**
   * Alert routing and notification (not in the overview's resource table). Production runs three
   * that gossip silences and notification state on 9094, TCP and UDP; each keeps its silences on
   * a small volume, so a single replica (dev) keeps them across restarts too.
   */
  alertmanager: {
    namespace: "monitoring",
    group: "monitoring",
    kind: "StatefulSet",
    containers: { alertmanager: { image: alertmanagerImage, resources: resources("50m", "200m", "64Mi", "128Mi"), ports: ["web", "cluster"] } },
    ports: { web: { port: 9093, metrics: true }, cluster: { port: 9094, peers: true, protocols: ["TCP", "UDP"] } },
    minimumReplicas: { production: 3 },
    volumeClaims: { "alertmanager-storage": "1Gi" },
  },
  /**
   * Metrics: scrapes every metrics port (its own and its twin's in production, an HA pair with
   * identical configuration), evaluates the rules, sends alerts to every Alertmanager pod. Finds
   * its targets through the Kubernetes API.
   */
  prometheus: {
    namespace: "monitoring",
    group: "monitoring",
    kind: "StatefulSet",
    containers: { prometheus: { image: prometheusImage, resources: resources("500m", "2000m", "2Gi", "4Gi"), ports: ["web"] } }, // overview
    ports: { web: { port: 9090, metrics: true } },
    calls: { alertmanager: "web" },
    scrapesMetrics: true,
    scrapesKubelets: true,
    usesKubernetesApi: true,
    apiAccess: {
      // Pod discovery in the two namespaces it scrapes (list and watch are all discovery does).
      namespaces: [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }],
      cluster: [
        // Node discovery, for the kubelet and cAdvisor jobs.
        { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
        // What the kubelet asks the API before it serves /metrics and /metrics/cadvisor.
        { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
        // The API server's own metrics.
        { nonResourceURLs: ["/metrics"], verbs: ["get"] },
      ],
    },
    minimumReplicas: { production: 2 },
    volumeClaims: { "prometheus-storage": "10Gi" }, // overview
  },
  /**
   * Dashboards (not the overview's "prometheus-grafana" chart, but its Secret's name and the
   * resources of its table). Production runs two that share a PostgreSQL database and gossip
   * their alerting state on 9094; each keeps plugins and, in development, its SQLite database on
   * its own volume. Users reach it on port 80 of its Service, exposed as the settings say.
   */
  grafana: {
    namespace: "monitoring",
    group: "monitoring",
    kind: "StatefulSet",
    containers: { grafana: { image: grafanaImage, resources: resources("100m", "200m", "128Mi", "256Mi"), ports: ["http", "gossip"] } }, // overview
    ports: { http: { port: 3000, servicePort: 80, external: true, metrics: true }, gossip: { port: 9094, peers: true, protocols: ["TCP", "UDP"] } },
    calls: { prometheus: "web", loki: "http", postgres: "postgres" },
    minimumReplicas: { production: 2 }, // overview
    volumeClaims: { "grafana-storage": "5Gi" }, // overview
  },
  /**
   * Logs (not in the overview's resource table). One binary per pod with every Loki component;
   * production runs three in a memberlist ring that share an object storage bucket (a filesystem
   * store serves one replica only), development one on its volume. The volume holds the
   * write-ahead log, the index cache and the compactor's work either way.
   */
  loki: {
    namespace: "monitoring",
    group: "monitoring",
    kind: "StatefulSet",
    containers: { loki: { image: lokiImage, resources: resources("100m", "1000m", "256Mi", "1Gi"), ports: ["http", "grpc", "memberlist"] } },
    ports: { http: { port: 3100, metrics: true }, grpc: { port: 9095, peers: true }, memberlist: { port: 7946, peers: true } }, // overview: 3100
    usesObjectStorage: true,
    minimumReplicas: { production: 3 }, // overview
    volumeClaims: { "loki-storage": "10Gi" }, // overview
  },
  /**
   * The log agent (Grafana Alloy; Promtail, which the overview names, is end of life): one pod per
   * node ships the logs of that node's containers in both namespaces to Loki, read through the
   * Kubernetes API (pods/log) rather than from the node's files, so it needs no host access and
   * no root. Kubernetes events come from alloy-events.
   */
  alloy: {
    namespace: "monitoring",
    group: "monitoring",
    kind: "DaemonSet",
    containers: { alloy: { image: alloyImage, resources: resources("50m", "300m", "96Mi", "256Mi"), ports: ["http"] } },
    ports: { http: { port: 12345, metrics: true } },
    calls: { loki: "http" },
    usesKubernetesApi: true,
    // Its node's pods and their logs, in the two namespaces.
    apiAccess: { namespaces: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }, { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] }] },
  },
  /**
   * Kubernetes events of both namespaces as a log stream (the overview's "system logs"): one
   * replica, as every reader of the events API gets every event (a restart lists them again).
   */
  "alloy-events": {
    namespace: "monitoring",
    group: "monitoring",
    kind: "Deployment",
    containers: { alloy: { image: alloyImage, resources: resources("20m", "200m", "64Mi", "128Mi"), ports: ["http"] } },
    ports: { http: { port: 12345, metrics: true } },
    calls: { loki: "http" },
    usesKubernetesApi: true,
    apiAccess: { namespaces: [{ apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] }] },
  },
  /**
   * Request, error and latency metrics without forking the services: the seven that trace send
   * their spans here (OTLP gRPC), the spanmetrics connector counts and times them, and Prometheus
   * scrapes the result (with the collector's own health metrics) on one metrics port.
   */
  "otel-collector": {
    namespace: "monitoring",
    group: "monitoring",
    kind: "Deployment",
    containers: { collector: { image: collectorImage, resources: resources("100m", "500m", "128Mi", "512Mi"), ports: ["otlp", "metrics", "health"] } },
    ports: { otlp: { port: 4317 }, metrics: { port: 8889, metrics: true }, health: { port: 13133 } },
    minimumReplicas: { production: 2 },
  },
  /**
   * The state of Kubernetes objects as metrics (replicas desired and available, pod phases,
   * restarts), read through the API with list/watch only. One replica: it serves what the API
   * holds, and a restart loses nothing.
   */
  "kube-state-metrics": {
    namespace: "monitoring",
    group: "monitoring",
    kind: "Deployment",
    containers: { "kube-state-metrics": { image: kubeStateMetricsImage, resources: resources("50m", "200m", "64Mi", "256Mi"), ports: ["http", "telemetry"] } },
    ports: { http: { port: 8080, metrics: true }, telemetry: { port: 8081 } },
    usesKubernetesApi: true,
    // The kinds it reports on (its --resources flag is this list), list and watch only.
    apiAccess: {
      cluster: [
        { apiGroups: [""], resources: ["namespaces", "nodes", "persistentvolumeclaims", "pods", "services"], verbs: ["list", "watch"] },
        { apiGroups: ["apps"], resources: ["daemonsets", "deployments", "statefulsets"], verbs: ["list", "watch"] },
        { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list", "watch"] },
        { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["list", "watch"] },
        { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list", "watch"] },
      ],
    },
  },
  /**
   * The nodes' own metrics (CPU, memory, disks, filesystems, network), one pod per node. The only
   * workload with host access: it runs on the node's network and PID namespace and reads the
   * node's /proc, /sys and root filesystem, read-only. Prometheus reaches it on the nodes'
   * addresses (settings.nodes), as NetworkPolicies do not confine pods on the host network.
   */
  "node-exporter": {
    namespace: "monitoring",
    group: "monitoring",
    kind: "DaemonSet",
    containers: { "node-exporter": { image: nodeExporterImage, resources: resources("50m", "250m", "64Mi", "128Mi"), ports: ["metrics"] } },
    ports: { metrics: { port: 9100, metrics: true } },
    hostAccess: {
      hostNetwork: "reports the node's network interfaces, which only the node's network namespace shows",
      hostPID: "reports the node's processes (counts, states, file descriptors), which only the node's PID namespace shows",
      hostPaths: { volumes: { "host-proc": "/proc", "host-sys": "/sys", "host-root": "/" }, reason: "reads the node's /proc, /sys and filesystems (read-only mounts) for CPU, memory, disk and filesystem usage" },
    },
  },
  /** Nightly pg_dump; a week of dumps (not in the overview). */
  "postgres-backup": {
    namespace: "app",
    group: "data",
    kind: "CronJob",
    containers: { "pg-dump": { image: postgresImage, resources: resources("100m", "500m", "64Mi", "256Mi") } },
    calls: { postgres: "postgres" },
    volumeClaims: { "postgres-backups": "10Gi" },
  },
  /**
   * Grafana's roles in PostgreSQL, set after every sync of the data group (an Argo CD hook): the
   * order analytics dashboard's read-only role, and in production Grafana's own database.
   */
  "postgres-grafana-access": {
    namespace: "app",
    group: "data",
    kind: "Job",
    containers: { psql: { image: postgresImage, resources: resources("50m", "200m", "32Mi", "64Mi") } },
    calls: { postgres: "postgres" },
  },
  /**
   * Simulated users (k6) every 15 minutes: upstream's load generator journeys against the
   * frontend, results written to Prometheus (remote write) for the application dashboard.
   */
  traffic: trafficRun("CronJob"),
  /** The same traffic once, right after the first sync, so the dashboards have data from the start. */
  "traffic-initial": trafficRun("Job"),
} satisfies Record<string, WorkloadRecord>;

export type WorkloadName = keyof typeof workloads;
