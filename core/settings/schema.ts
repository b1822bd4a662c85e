// JSON Schema of environments/<env>/settings.yaml. It is the one source of truth: ajv validates
// files against it and the TypeScript type `Settings` is inferred from it.
import type { FromSchema } from "json-schema-to-ts";
import { workloadNames } from "../contract/index";

const dns1123Label = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const dns1123Subdomain = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const annotationKey = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
const dnsLabelMeaning = "a DNS label: lower-case a-z, 0-9 and '-', starting and ending with a letter or digit";
const ipv4Octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const ipv4Cidr = `^(${ipv4Octet}\\.){3}${ipv4Octet}/(3[0-2]|[12]?[0-9])$`;

const replicaCount = { type: "integer", minimum: 1, maximum: 100 } as const;

/** A Prometheus/Alertmanager duration such as 30s, 5m or 4h (one unit: both engine versions read it). */
const duration = { type: "string", pattern: "^[1-9][0-9]*(ms|s|m|h|d|w)$", patternMeaning: "a duration such as 30s, 5m or 4h" } as const;
/** An Alertmanager label matcher, as both its versions parse it: name, operator, quoted value. */
const matcher = { type: "string", pattern: '^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"\\\\]*"$', patternMeaning: 'a label matcher such as severity="critical" or namespace=~"shop|data"' } as const;
const labelName = { type: "string", pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$", patternMeaning: "a label name such as alertname" } as const;
const receiverName = { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning, maxLength: 63 } as const;
/** A key of the receivers' Secret (core/contract: secrets.alertmanagerReceivers), mounted as a file. */
const secretKey = { type: "string", pattern: "^[-._a-zA-Z0-9]+$", patternMeaning: "a Secret key such as slack-api-url", maxLength: 253 } as const;

const receiver = {
  description: "Where notifications go; at least one integration. Credentials are keys of the Secret alertmanager-receivers, read from files: never in Git.",
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    webhook: {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: {
        url: { type: "string", pattern: "^https?://\\S+$", patternMeaning: "an http(s) URL (no credentials in it: use bearerTokenKey)" },
        bearerTokenKey: { ...secretKey, description: "Key holding a bearer token sent as Authorization." },
      },
    },
    slack: {
      type: "object",
      additionalProperties: false,
      required: ["apiUrlKey", "channel"],
      properties: {
        apiUrlKey: { ...secretKey, description: "Key holding the Slack incoming-webhook URL (the URL is the credential)." },
        channel: { type: "string", pattern: "^[#@]?[-_a-z0-9.]+$", patternMeaning: "a Slack channel such as #alerts" },
      },
    },
    email: {
      type: "object",
      additionalProperties: false,
      required: ["to", "from", "smarthost"],
      properties: {
        to: { type: "string", pattern: "^\\S+@\\S+$", patternMeaning: "an e-mail address" },
        from: { type: "string", pattern: "^\\S+@\\S+$", patternMeaning: "an e-mail address" },
        smarthost: { type: "string", pattern: "^[a-z0-9.-]+:[0-9]+$", patternMeaning: "host:port of the SMTP server" },
        username: { type: "string", minLength: 1 },
        passwordKey: { ...secretKey, description: "Key holding the SMTP password." },
      },
    },
  },
} as const;

const prometheusSettings = {
  description: "Prometheus: how often it scrapes and evaluates rules, and how long it keeps samples.",
  type: "object",
  additionalProperties: false,
  required: ["scrapeInterval", "evaluationInterval", "retentionTime", "retentionSize", "verifyKubeletCertificates"],
  properties: {
    scrapeInterval: { ...duration, description: "How often every target is scraped (the overview: 30s)." },
    evaluationInterval: { ...duration, description: "How often recording and alerting rules run." },
    retentionTime: { ...duration, description: "Samples older than this are deleted." },
    retentionSize: { type: "string", pattern: "^[1-9][0-9]*(MB|GB)$", patternMeaning: "a size such as 8GB (Prometheus counts 1GB as 2^30 bytes)", description: "The oldest samples are deleted beyond this size; at most 80 % of the prometheus-storage volume (the WAL and compactions need the rest)." },
    verifyKubeletCertificates: { type: "boolean", description: "Check the kubelets' serving certificates against the cluster CA. Needs kubelets whose certificates the cluster CA signed (kubelet serverTLSBootstrap); kubeadm's default self-signed ones fail the check, and every kubelet target is then down." },
  },
} as const;

const trafficSettings = {
  description: "Simulated users (k6, upstream's load generator journeys): when and how much traffic runs, and what fails a run.",
  type: "object",
  additionalProperties: false,
  required: ["enabled", "schedule", "vus", "duration", "thresholds"],
  properties: {
    enabled: { type: "boolean", description: "false: neither the CronJob nor the initial run exists." },
    schedule: { type: "string", minLength: 1, description: "Cron schedule of the runs (five fields, UTC); the overview's is every 15 minutes, \"*/15 * * * *\". A run must fit between two runs." },
    vus: { type: "integer", minimum: 1, maximum: 500, description: "Virtual users: simulated shoppers browsing at the same time." },
    duration: { type: "string", pattern: "^(?=[0-9])([1-9][0-9]*h)?([1-9][0-9]*m)?([1-9][0-9]*s)?$", patternMeaning: "a k6 duration such as 2m, 90s or 1m30s", description: "How long each run drives traffic." },
    thresholds: {
      description: "A run fails (k6 exits non-zero, the Job fails) when either is crossed; two failed runs in a row raise TrafficRunsFailing.",
      type: "object",
      additionalProperties: false,
      required: ["maxFailedRequestRate", "p95Milliseconds"],
      properties: {
        maxFailedRequestRate: { type: "number", exclusiveMinimum: 0, maximum: 1, description: "Largest share of failed requests (k6 http_req_failed), e.g. 0.01 for 1 %." },
        p95Milliseconds: { type: "integer", minimum: 1, maximum: 60000, description: "Largest 95th percentile request duration (k6 http_req_duration), in milliseconds." },
      },
    },
    frontendUrl: {
      type: "string",
      pattern: "^http://frontend(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:80)?$",
      patternMeaning: "the frontend Service's in-cluster address such as http://frontend.microservices-demo.svc.cluster.local (no path)",
      description: "Where k6 reaches the shop; default: the frontend Service's in-cluster name. Set it when the cluster's DNS domain is not cluster.local. It stays the in-cluster Service: the NetworkPolicies let k6 reach nothing else.",
    },
  },
} as const;

const lokiSettings = {
  description: "Loki: where it keeps logs, for how long, and the limits that protect it.",
  type: "object",
  additionalProperties: false,
  required: ["retentionDays", "storage", "limits"],
  properties: {
    retentionDays: { type: "integer", minimum: 1, maximum: 3650, description: "The compactor deletes log lines older than this (whole days: Loki's index has one table per day)." },
    storage: {
      description: "filesystem: the loki-storage volume, one replica only. s3: an S3-compatible bucket, which several replicas share; credentials come from Secret loki-object-storage.",
      type: "object",
      required: ["type"],
      discriminator: { propertyName: "type" },
      oneOf: [
        { additionalProperties: false, properties: { type: { const: "filesystem" } } },
        {
          additionalProperties: false,
          required: ["bucket", "endpoint", "region", "cidrs", "port"],
          properties: {
            type: { const: "s3" },
            bucket: { type: "string", pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", patternMeaning: "an S3 bucket name such as boutique-logs" },
            endpoint: { type: "string", pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", patternMeaning: "the storage service's host name such as s3.eu-west-1.amazonaws.com (no scheme)" },
            region: { type: "string", pattern: "^[a-z0-9-]+$", patternMeaning: "a region such as eu-west-1" },
            cidrs: { type: "array", minItems: 1, items: { type: "string", pattern: ipv4Cidr, patternMeaning: "an IPv4 CIDR such as 52.218.0.0/17" }, description: "The endpoint's addresses, for Loki's egress NetworkPolicy (IPv4: the reachability proof models IPv4)." },
            port: { type: "integer", minimum: 1, maximum: 65535, description: "The endpoint's HTTPS port (443)." },
          },
        },
      ],
    },
    limits: {
      type: "object",
      additionalProperties: false,
      required: ["ingestionRateMb", "ingestionBurstSizeMb", "maxQuerySeries"],
      properties: {
        ingestionRateMb: { type: "integer", minimum: 1, maximum: 1024, description: "Per-tenant ingestion rate (MB/s) beyond which pushes are refused." },
        ingestionBurstSizeMb: { type: "integer", minimum: 1, maximum: 4096, description: "Largest burst above the rate (MB)." },
        maxQuerySeries: { type: "integer", minimum: 1, maximum: 100000, description: "Most series one metric query may return: a query over a high-cardinality label is refused instead of exhausting memory." },
      },
    },
  },
} as const;

const alertmanagerSettings = {
  description: "Alert routing: the default receiver, grouping, routes by label, inhibitions, and the always-firing Watchdog's receiver.",
  type: "object",
  additionalProperties: false,
  required: ["receivers", "defaultReceiver", "groupBy", "groupWait", "groupInterval", "repeatInterval", "routes", "inhibit", "watchdogReceiver"],
  properties: {
    receivers: { type: "object", minProperties: 1, propertyNames: receiverName, additionalProperties: receiver },
    defaultReceiver: { ...receiverName, description: "Receives every alert no route takes." },
    groupBy: { type: "array", items: labelName, uniqueItems: true, description: "Alerts with equal values of these labels are sent together." },
    groupWait: duration,
    groupInterval: duration,
    repeatInterval: duration,
    routes: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["matchers", "receiver"],
        properties: {
          matchers: { type: "array", minItems: 1, items: matcher },
          receiver: receiverName,
          continue: { type: "boolean", description: "Also try the routes after this one." },
        },
      },
    },
    inhibit: {
      description: "While an alert matching `source` fires, alerts matching `target` with the same `equal` labels are muted.",
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["source", "target", "equal"],
        properties: { source: { type: "array", minItems: 1, items: matcher }, target: { type: "array", minItems: 1, items: matcher }, equal: { type: "array", items: labelName } },
      },
    },
    watchdogReceiver: { ...receiverName, type: ["string", "null"], description: "Receives the Watchdog (a dead man's switch outside the cluster); null: it is dropped." },
  },
} as const;

const autoscaling = {
  type: "object",
  additionalProperties: false,
  required: ["maxReplicas", "targetCPUUtilizationPercentage"],
  properties: {
    minReplicas: { type: "integer", minimum: 1, maximum: 100, description: "Default: the contract's minimum for the availability level, else 1." },
    maxReplicas: { type: "integer", minimum: 1, maximum: 100 },
    targetCPUUtilizationPercentage: { type: "integer", minimum: 1, maximum: 100 },
  },
} as const;

const exposure = {
  description: "How users reach the frontend from outside the cluster.",
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [
    {
      additionalProperties: false,
      properties: {
        type: { const: "LoadBalancer" },
        loadBalancerSourceRanges: { type: "array", items: { type: "string", pattern: "^[0-9a-fA-F:.]+/[0-9]+$", patternMeaning: "a CIDR such as 203.0.113.0/24" } },
      },
    },
    {
      additionalProperties: false,
      properties: {
        type: { const: "NodePort" },
        nodePort: { type: "integer", minimum: 30000, maximum: 32767 },
      },
    },
    {
      additionalProperties: false,
      required: ["host"],
      properties: {
        type: { const: "Ingress" },
        host: { type: "string", pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", patternMeaning: "a lower-case DNS name such as shop.example.com" },
        className: { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning },
        tlsSecretName: { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning, description: "Secret holding the host's certificate (written by cert-manager when certManager is set)." },
        certManager: {
          description: "cert-manager issues the certificate into tlsSecretName, from this issuer (an annotation on the Ingress).",
          type: "object",
          additionalProperties: false,
          required: ["issuerKind", "issuerName"],
          properties: {
            issuerKind: { enum: ["ClusterIssuer", "Issuer"] },
            issuerName: { type: "string", pattern: dns1123Subdomain, patternMeaning: "an issuer name: lower-case a-z, 0-9, '-' and '.'", maxLength: 253 },
          },
        },
        annotations: { type: "object", propertyNames: { pattern: annotationKey, patternMeaning: "an annotation key: an optional DNS prefix and '/', then a name of a-z, A-Z, 0-9, '-', '_', '.' (at most 63)" }, additionalProperties: { type: "string" } },
      },
    },
    {
      additionalProperties: false,
      required: ["host", "gateway"],
      properties: {
        type: { const: "HTTPRoute" },
        host: { type: "string", pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", patternMeaning: "a lower-case DNS name such as shop.example.com" },
        gateway: {
          description: "The Gateway API Gateway the route attaches to (TLS terminates at its listener).",
          type: "object",
          additionalProperties: false,
          required: ["name", "namespace"],
          properties: {
            name: { type: "string", pattern: dns1123Subdomain, patternMeaning: "a Gateway name: lower-case a-z, 0-9, '-' and '.'", maxLength: 253 },
            namespace: { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning, maxLength: 63 },
            sectionName: { type: "string", pattern: dns1123Subdomain, patternMeaning: "a listener name: lower-case a-z, 0-9, '-' and '.'", maxLength: 253, description: "The listener (production: its HTTPS listener)." },
          },
        },
      },
    },
  ],
} as const;

export const settingsSchema = {
  $id: "https://online-boutique-gitops/settings.schema.json",
  type: "object",
  additionalProperties: false,
  required: ["namespaces", "images", "replicas", "autoscaling", "availability", "dataTier", "frontendExposure", "storage", "monitoring", "traffic", "argocd"],
  properties: {
    description: { type: "string", description: "Free text: what this environment is for." },
    namespaces: {
      type: "object",
      additionalProperties: false,
      required: ["app", "monitoring"],
      properties: {
        app: { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning, maxLength: 63 },
        monitoring: { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning, maxLength: 63 },
      },
    },
    images: {
      type: "object",
      additionalProperties: false,
      required: ["registry", "tag", "orderPersistence"],
      properties: {
        registry: { type: "string", pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$", patternMeaning: "a registry host and path such as us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo", description: "Registry and path of the Online Boutique images." },
        tag: { type: "string", pattern: "^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", patternMeaning: "a release tag such as v0.10.6 (never latest: the image would change under the same manifest)", description: "Online Boutique release tag; never latest." },
        orderPersistence: { type: "string", pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:(?!latest(@|$))[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$", patternMeaning: "an image pinned by tag (not latest), digest or both, such as ghcr.io/org/order-persistence:0.1.0@sha256:<64 hex digits>", description: "Image of services/order-persistence, built and pushed by .github/workflows/order-persistence-image.yml, which prints the reference to paste here. Production pins it by digest." },
      },
    },
    replicas: {
      description: "Replicas per workload; a workload not listed runs the contract's minimum for the availability level (else one). Not allowed for a workload that autoscales.",
      type: "object",
      propertyNames: { enum: workloadNames },
      additionalProperties: replicaCount,
    },
    autoscaling: {
      description: "HorizontalPodAutoscaler per workload (CPU based). The HPA owns the replica count.",
      type: "object",
      propertyNames: { enum: workloadNames },
      additionalProperties: autoscaling,
    },
    availability: {
      type: "object",
      additionalProperties: false,
      required: ["level", "podDisruptionBudgets", "topologySpread"],
      properties: {
        level: { enum: ["production", "development"], description: "Which of the contract's minimum replica counts apply (minimumReplicas of the workload records, core/contract/workloads.ts)." },
        podDisruptionBudgets: { type: "boolean", description: "A PDB (maxUnavailable 1) for every workload running more than one replica." },
        topologySpread: { type: "boolean", description: "Spread replicas of multi-replica workloads across nodes (and zones, best effort)." },
      },
    },
    dataTier: {
      type: "object",
      additionalProperties: false,
      required: ["redisSentinel", "postgresPrimary", "postgresBackupSchedule"],
      properties: {
        redisSentinel: { type: "boolean", description: "Carts in 3 Redis + 3 Sentinels (quorum 2) instead of one Redis." },
        postgresPrimary: { type: "integer", minimum: 0, maximum: 1, description: "Ordinal of the primary pod (postgres-0 or postgres-1); change it after promoting the replica (README runbook)." },
        postgresBackupSchedule: { type: ["string", "null"], minLength: 1, description: "Cron schedule of the pg_dump CronJob; null = no backups." },
      },
    },
    frontendExposure: exposure,
    storage: {
      type: "object",
      additionalProperties: false,
      required: ["storageClassName"],
      properties: {
        storageClassName: { type: ["string", "null"], pattern: dns1123Subdomain, patternMeaning: "a StorageClass name: lower-case a-z, 0-9, '-' and '.'", maxLength: 253, description: "null = the cluster's default StorageClass." },
      },
    },
    monitoring: {
      type: "object",
      additionalProperties: false,
      required: ["prometheus", "alertmanager", "grafana", "loki"],
      properties: {
        prometheus: prometheusSettings,
        alertmanager: alertmanagerSettings,
        loki: lokiSettings,
        grafana: {
          description: "Grafana: how its users reach it.",
          type: "object",
          additionalProperties: false,
          required: ["exposure"],
          properties: { exposure: { ...exposure, description: "How users reach Grafana from outside the cluster (the overview: port 80 through a LoadBalancer or NodePort; an Ingress or HTTPRoute as for the frontend)." } },
        },
      },
    },
    traffic: trafficSettings,
    kubernetesApi: {
      description: "Where pods reach the Kubernetes API server (egress NetworkPolicies of workloads that use the API). Required when such a workload runs.",
      type: "object",
      additionalProperties: false,
      required: ["cidrs", "port"],
      properties: {
        cidrs: { type: "array", minItems: 1, items: { type: "string", pattern: ipv4Cidr, patternMeaning: "an IPv4 CIDR such as 172.18.0.2/32" }, description: "API server endpoint addresses (`kubectl get endpoints kubernetes`), as IPv4 CIDRs (the reachability proof models IPv4)." },
        port: { type: "integer", minimum: 1, maximum: 65535, description: "The endpoints' port (often 6443; the Service's 443 is translated before NetworkPolicies apply)." },
      },
    },
    nodes: {
      description: "Where the nodes are: Prometheus reaches each kubelet (10250) and each node agent on the host network (node-exporter) at these addresses. Required when such a workload runs.",
      type: "object",
      additionalProperties: false,
      required: ["cidrs"],
      properties: {
        cidrs: { type: "array", minItems: 1, items: { type: "string", pattern: ipv4Cidr, patternMeaning: "an IPv4 CIDR such as 10.0.0.0/24" }, description: "The nodes' InternalIP addresses (`kubectl get nodes -o wide`), as IPv4 CIDRs (the reachability proof models IPv4)." },
      },
    },
    argocd: {
      type: "object",
      additionalProperties: false,
      required: ["repoURL", "targetRevision", "namespace", "destinationServer"],
      properties: {
        repoURL: { type: "string", pattern: "^(https://|ssh://|git@)\\S+$", patternMeaning: "a Git URL (https://, ssh:// or git@)" },
        targetRevision: { type: "string", minLength: 1 },
        namespace: { type: "string", pattern: dns1123Label, patternMeaning: dnsLabelMeaning },
        destinationServer: { type: "string", pattern: "^https://\\S+$", patternMeaning: "an API server URL (https://)" },
      },
    },
  },
} as const;

export type Settings = FromSchema<typeof settingsSchema>;

export type Exposure = Settings["frontendExposure"];

/** Every external exposure the settings configure, with its path in the file. */
export function exposures(settings: Settings): { path: string[]; exposure: Exposure }[] {
  return [
    { path: ["frontendExposure"], exposure: settings.frontendExposure },
    { path: ["monitoring", "grafana", "exposure"], exposure: settings.monitoring.grafana.exposure },
  ];
}
