// Prometheus: scrapes every pod annotated prometheus.io/scrape in both namespaces (the
// architecture's contract: the annotations name the metrics port), evaluates the environment's
// rules (apps/prometheus-rules.ts) and sends alerts to every Alertmanager pod. Production runs an HA pair with one configuration:
// each replica labels its series with its pod name (external label `replica`, which Prometheus 3
// expands from the environment) and drops that label from alerts, so Alertmanager sees one alert.
//
// The configuration stays inside what Prometheus 3.13 (the image) and 2.42 (the promtool the tests
// run) both accept: Alertmanagers are found through the headless Service's DNS records, which
// both read (Debian's 2.42 has no Kubernetes discovery at all, so the tests check the pod-discovery
// job's shape themselves).
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { kubeletPort, portOf } from "../core/contract/index";
import { durationSeconds } from "../core/quantity";
import { toYaml } from "../core/yaml/write";
import { namespaceOf, workloadApp, type RenderContext } from "./lib/app";
import { recordedAccess } from "./lib/rbac";
import { clusterService, headlessService } from "./lib/service";
import { configChecksum, httpProbe, statefulSet } from "./lib/workload";
import { prometheusRuleGroups } from "./prometheus-rules";

const webPort = portOf("prometheus", "web").port;
const headless = "prometheus-headless";
const configDir = "/etc/prometheus/config";
const rulesDir = "/etc/prometheus/rules";
const storageDir = "/prometheus";

/** Where each alert's runbook is: the README of the repository Argo CD syncs, at the synced revision. */
function runbookBase(context: RenderContext): string {
  const { repoURL, targetRevision } = context.settings.argocd;
  const https = repoURL.replace(/^git@([^:]+):/, "https://$1/").replace(/^ssh:\/\/(git@)?/, "https://").replace(/\.git$/, "");
  return `${https}/blob/${targetRevision}/README.md`;
}

const annotation = (name: string) => `__meta_kubernetes_pod_annotation_prometheus_io_${name}`;

/** Running pods annotated prometheus.io/scrape, one target each: the container port (and path) the annotations name. */
const annotatedTargets = [
  { source_labels: [annotation("scrape")], regex: "true", action: "keep" },
  { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed", action: "drop" },
  // A pod lists several container ports: keep the one the annotation names.
  { source_labels: [annotation("port")], target_label: "__tmp_scrape_port" },
  { source_labels: ["__meta_kubernetes_pod_container_port_number"], target_label: "__tmp_scrape_port", action: "keepequal" },
  { source_labels: [annotation("path")], regex: "(.+)", target_label: "__metrics_path__" },
];

/**
 * Workloads whose series describe other objects (kube-state-metrics: a pod's namespace and
 * name are the labels of its series): scraped by a job of their own that keeps those labels
 * (honor_labels) and adds no namespace or pod of the exporter's.
 */
const objectExporters = ["kube-state-metrics"];

/** The pod-discovery job: every annotated pod but the object exporters, labelled with its namespace, pod and app. */
function podsJob(namespaces: string[]): Record<string, unknown> {
  return {
    job_name: "pods",
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: namespaces } }],
    relabel_configs: [
      ...annotatedTargets,
      { source_labels: ["__meta_kubernetes_pod_label_app"], regex: objectExporters.join("|"), action: "drop" },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      { source_labels: ["__meta_kubernetes_pod_label_app"], target_label: "app" },
      { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
    ],
  };
}

function objectExportersJob(monitoring: string): Record<string, unknown> {
  return {
    job_name: "kube-state-metrics",
    honor_labels: true,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [monitoring] } }],
    relabel_configs: [...annotatedTargets, { source_labels: ["__meta_kubernetes_pod_label_app"], regex: objectExporters.join("|"), action: "keep" }],
  };
}

/** The pod's ServiceAccount credentials, which the kubelets and the API server authenticate and authorize (RBAC). */
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

/** HTTPS with the pod's token, the server certificate checked against the cluster CA unless told otherwise. */
function withServiceAccount(verify: boolean): Record<string, unknown> {
  return {
    scheme: "https",
    authorization: { credentials_file: `${serviceAccountDir}/token` },
    tls_config: { ca_file: `${serviceAccountDir}/ca.crt`, ...(verify ? {} : { insecure_skip_verify: true }) },
  };
}

/**
 * A job per node kubelet endpoint, straight to each node's kubelet on its authenticated port (the
 * kubelet asks the API whether our account may get nodes/metrics): its own metrics (volume
 * usage, pod start latency) and cAdvisor's per-container CPU, memory and network.
 */
function kubeletJob(jobName: string, metricsPath: string, verify: boolean): Record<string, unknown> {
  return {
    job_name: jobName,
    metrics_path: metricsPath,
    ...withServiceAccount(verify),
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
      // Discovery gives the node's address and the kubelet's port as the kubelet reports it; the kubelet's is fixed.
      { source_labels: ["__address__"], regex: "([^:]+)(?::\\d+)?", replacement: `$1:${kubeletPort}`, target_label: "__address__" },
    ],
  };
}

/** The API server's own metrics, through the cluster's Service (one of its instances per scrape). */
function apiServerJob(): Record<string, unknown> {
  return { job_name: "apiserver", ...withServiceAccount(true), static_configs: [{ targets: ["kubernetes.default.svc:443"] }] };
}

/** prometheus.yml for the environment. */
function prometheusConfig(context: RenderContext): Record<string, unknown> {
  const settings = context.settings.monitoring.prometheus;
  const monitoring = namespaceOf(context, "prometheus");
  const alertmanagerPort = portOf("alertmanager", "web").port;
  // Prometheus refuses a scrape timeout longer than the interval; 10 s is its default.
  const timeout = durationSeconds(settings.scrapeInterval) < 10 ? settings.scrapeInterval : "10s";
  return {
    global: {
      scrape_interval: settings.scrapeInterval,
      scrape_timeout: timeout,
      evaluation_interval: settings.evaluationInterval,
      external_labels: { environment: context.environment, replica: "${POD_NAME}" },
    },
    alerting: {
      // The pair's alerts are the same alert: Alertmanager deduplicates them once `replica` is gone.
      alert_relabel_configs: [{ regex: "replica", action: "labeldrop" }],
      alertmanagers: [{ api_version: "v2", dns_sd_configs: [{ names: [`alertmanager-headless.${monitoring}.svc.cluster.local`], type: "A", port: alertmanagerPort }] }],
    },
    rule_files: [`${rulesDir}/*.yml`],
    scrape_configs: [
      podsJob([context.settings.namespaces.app, monitoring]),
      objectExportersJob(monitoring),
      kubeletJob("kubelet", "/metrics", settings.verifyKubeletCertificates),
      kubeletJob("cadvisor", "/metrics/cadvisor", settings.verifyKubeletCertificates),
      apiServerJob(),
    ],
  };
}

/** The rule files, by file name. */
function prometheusRuleFiles(context: RenderContext): Record<string, string> {
  return { "environment.yml": toYaml({ groups: prometheusRuleGroups(context, runbookBase(context)) }, "# Rendered from apps/prometheus-rules.ts.") };
}

export const prometheus = workloadApp({
  name: "prometheus",
  component: "metrics",
  workloads: ["prometheus"],
  render: (context) => {
    const settings = context.settings.monitoring.prometheus;
    const namespace = namespaceOf(context, "prometheus");
    const config = toYaml(prometheusConfig(context), "# Rendered from settings.monitoring.prometheus (apps/prometheus.ts).");
    const rules = prometheusRuleFiles(context);
    return [
      new ConfigMap({ metadata: { name: "prometheus-config", namespace }, data: { "prometheus.yml": config } }),
      new ConfigMap({ metadata: { name: "prometheus-rules", namespace }, data: rules }),
      // Pod discovery in exactly the two namespaces it scrapes (a Role in each); nodes, their metrics and the API server's cluster-wide.
      ...recordedAccess(context, "prometheus"),
      ...statefulSet(context, {
        name: "prometheus",
        serviceName: headless,
        podManagementPolicy: "Parallel",
        // A new configuration or new rules roll the pods (no lifecycle API is opened to reload them).
        podAnnotations: configChecksum(config, ...Object.values(rules)),
        terminationGracePeriodSeconds: 60,
        containers: [
          {
            name: "prometheus",
            args: [
              `--config.file=${configDir}/prometheus.yml`,
              `--storage.tsdb.path=${storageDir}`,
              `--storage.tsdb.retention.time=${settings.retentionTime}`,
              `--storage.tsdb.retention.size=${settings.retentionSize}`,
              `--web.listen-address=:${webPort}`,
              // The k6 traffic job pushes its results here.
              "--web.enable-remote-write-receiver",
            ],
            env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            readinessProbe: httpProbe("/-/ready", webPort, { periodSeconds: 10 }),
            // Replaying a large WAL after a restart takes minutes: a generous start before liveness counts.
            startupProbe: httpProbe("/-/ready", webPort, { periodSeconds: 10, failureThreshold: 60 }),
            livenessProbe: httpProbe("/-/healthy", webPort, { periodSeconds: 30 }),
            volumeMounts: [
              { name: "config", mountPath: configDir, readOnly: true },
              { name: "rules", mountPath: rulesDir, readOnly: true },
              { name: "prometheus-storage", mountPath: storageDir },
            ],
          },
        ],
        volumes: [
          { name: "config", configMap: { name: "prometheus-config" } },
          { name: "rules", configMap: { name: "prometheus-rules" } },
        ],
      }),
      headlessService(context, "prometheus", "web", headless),
      clusterService(context, "prometheus", "web"),
    ];
  },
});
