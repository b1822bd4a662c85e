// Input series standing in for a cluster's exporters, for a real Prometheus to answer dashboard
// queries with. No cluster runs here, so the series node-exporter, kube-state-metrics, cAdvisor,
// the OpenTelemetry collector's spanmetrics, the order service and k6 would produce are written as
// OpenMetrics text, each with the labels its exporter and its scrape job give it (the `pods` job:
// namespace/pod/app/node; kube-state-metrics with honor_labels; the kubelet's `cadvisor` job:
// node; k6 by remote write: its tags only). Pods and their requests and limits come from the
// contract's workloads. The samples are backfilled into blocks with `promtool tsdb
// create-blocks-from openmetrics`; the RED recording rules are then backfilled from those series
// by the real rules (`create-blocks-from rules`), and Prometheus 2.42 (Debian) serves them all.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { records, workloadNames } from "../../core/contract/index";
import { parseBytes, parseCpu } from "../../core/quantity";
import { freePort } from "./postgres";
import type { Json } from "./repo";
import { waitFor } from "./wait";

/** First sample (2026-01-01T00:00:00Z), one sample every `stepSeconds` for `minutes`. */
export const seriesStart = Date.UTC(2026, 0, 1) / 1000;
const stepSeconds = 30;
const minutes = 90;
/** When the dashboards' queries are evaluated: well inside the data, an hour of history behind it. */
export const evaluationTime = seriesStart + 80 * 60;

type Labels = Record<string, string>;

interface Series {
  name: string;
  labels: Labels;
  /** Value at t seconds after the start. */
  value(t: number): number;
}

const counter = (name: string, labels: Labels, perSecond: number, start = 0): Series => ({ name, labels, value: (t) => start + perSecond * t });
const gauge = (name: string, labels: Labels, value: number): Series => ({ name, labels, value: () => value });

/** A classic histogram's buckets (cumulative counters per `le`), `perSecond` observations spread by `shares` (cumulative, ending at 1). */
function histogram(name: string, labels: Labels, bounds: number[], shares: number[], perSecond: number): Series[] {
  return [...bounds.map((bound, k) => counter(`${name}_bucket`, { ...labels, le: String(bound) }, perSecond * shares[k]!)), counter(`${name}_bucket`, { ...labels, le: "+Inf" }, perSecond)];
}

export const clusterNamespaces = { app: "microservices-demo", monitoring: "monitoring" } as const;
const nodes = ["node-a", "node-b"];

/** A pod of each Deployment and StatefulSet of the contract, with the name Kubernetes gives it. */
function contractPods() {
  return workloadNames
    .filter((name) => records[name].kind === "Deployment" || records[name].kind === "StatefulSet")
    .map((name, k) => ({
      workload: name,
      kind: records[name].kind,
      namespace: clusterNamespaces[records[name].namespace as "app" | "monitoring"],
      pod: records[name].kind === "Deployment" ? `${name}-7c9d8f6b5d-x2k4${"abcdefghijklmnopqrstuvwxyz"[k % 26]}` : `${name}-0`,
      uid: `0000000${k}-1111-2222-3333-444444444444`,
      node: nodes[k % nodes.length]!,
      containers: Object.entries(records[name].containers).map(([container, record]) => ({ container, resources: record.resources })),
    }));
}

function nodeExporter(): Series[] {
  return nodes.flatMap((node, k) => {
    const target: Labels = { job: "pods", instance: `10.0.0.1${k}:9100`, namespace: clusterNamespaces.monitoring, pod: `node-exporter-${node}`, app: "node-exporter", node };
    const disk = { device: "/dev/sda1", fstype: "ext4", mountpoint: "/" };
    return [
      gauge("node_uname_info", { ...target, nodename: node, sysname: "Linux", release: "6.1.0-28-amd64", machine: "x86_64", version: "#1 SMP Debian 6.1.119-1", domainname: "(none)" }, 1),
      ...["0", "1"].flatMap((cpu) => [
        counter("node_cpu_seconds_total", { ...target, cpu, mode: "idle" }, 0.6),
        counter("node_cpu_seconds_total", { ...target, cpu, mode: "user" }, 0.3),
        counter("node_cpu_seconds_total", { ...target, cpu, mode: "system" }, 0.1),
      ]),
      gauge("node_memory_MemTotal_bytes", target, 8 * 2 ** 30),
      gauge("node_memory_MemAvailable_bytes", target, 5 * 2 ** 30),
      gauge("node_filesystem_size_bytes", { ...target, ...disk }, 100 * 2 ** 30),
      gauge("node_filesystem_avail_bytes", { ...target, ...disk }, 60 * 2 ** 30),
      gauge("node_filesystem_size_bytes", { ...target, device: "tmpfs", fstype: "tmpfs", mountpoint: "/tmp" }, 2 ** 30),
      gauge("node_filesystem_avail_bytes", { ...target, device: "tmpfs", fstype: "tmpfs", mountpoint: "/tmp" }, 2 ** 29),
      counter("node_disk_read_bytes_total", { ...target, device: "sda" }, 200_000),
      counter("node_disk_written_bytes_total", { ...target, device: "sda" }, 500_000),
      counter("node_network_receive_bytes_total", { ...target, device: "eth0" }, 1_000_000),
      counter("node_network_transmit_bytes_total", { ...target, device: "eth0" }, 800_000),
    ];
  });
}

function kubeStateMetrics(): Series[] {
  // honor_labels: the series keep kube-state-metrics' own namespace/pod/container labels.
  const target: Labels = { job: "kube-state-metrics", instance: "10.0.1.5:8080" };
  const pods = contractPods();
  const series: Series[] = [];
  for (const namespace of Object.values(clusterNamespaces)) {
    for (const phase of ["Active", "Terminating"]) series.push(gauge("kube_namespace_status_phase", { ...target, namespace, phase }, phase === "Active" ? 1 : 0));
  }
  for (const pod of pods) {
    const labels = { ...target, namespace: pod.namespace, pod: pod.pod, uid: pod.uid };
    for (const phase of ["Pending", "Running", "Succeeded", "Failed", "Unknown"]) series.push(gauge("kube_pod_status_phase", { ...labels, phase }, phase === "Running" ? 1 : 0));
    for (const { container, resources } of pod.containers) {
      // The frontend's server restarted twice within the last hour.
      series.push(counter("kube_pod_container_status_restarts_total", { ...labels, container }, pod.workload === "frontend" ? 2 / 3600 : 0));
      for (const [kind, amounts] of [["requests", resources.requests], ["limits", resources.limits]] as const) {
        series.push(gauge(`kube_pod_container_resource_${kind}`, { ...labels, container, node: pod.node, resource: "cpu", unit: "core" }, parseCpu(amounts.cpu)));
        series.push(gauge(`kube_pod_container_resource_${kind}`, { ...labels, container, node: pod.node, resource: "memory", unit: "byte" }, parseBytes(amounts.memory)));
      }
    }
    const desired = pod.workload === "cartservice" ? 2 : 1;
    if (pod.kind === "Deployment") {
      series.push(gauge("kube_deployment_spec_replicas", { ...target, namespace: pod.namespace, deployment: pod.workload }, desired));
      series.push(gauge("kube_deployment_status_replicas_available", { ...target, namespace: pod.namespace, deployment: pod.workload }, 1));
    } else {
      series.push(gauge("kube_statefulset_replicas", { ...target, namespace: pod.namespace, statefulset: pod.workload }, 1));
      series.push(gauge("kube_statefulset_status_replicas_ready", { ...target, namespace: pod.namespace, statefulset: pod.workload }, 1));
    }
  }
  return series;
}

function cadvisor(): Series[] {
  return contractPods().flatMap((pod, k) => {
    const target: Labels = { job: "cadvisor", instance: `10.0.0.1${nodes.indexOf(pod.node)}:10250`, node: pod.node, namespace: pod.namespace, pod: pod.pod };
    const podCgroup = `/kubepods/burstable/pod${pod.uid}`;
    return [
      // The pod's own cgroup (container=""), which the dashboards must leave out.
      counter("container_cpu_usage_seconds_total", { ...target, container: "", cpu: "total", id: podCgroup, image: "", name: "" }, 0.05),
      gauge("container_memory_working_set_bytes", { ...target, container: "", id: podCgroup, image: "", name: "" }, 64 * 2 ** 20),
      ...pod.containers.flatMap(({ container, resources }) => {
        const labels = { ...target, container, id: `${podCgroup}/${k}${container}`, image: "registry.example/image:tag", name: `${k}${container}` };
        return [
          counter("container_cpu_usage_seconds_total", { ...labels, cpu: "total" }, parseCpu(resources.requests.cpu) * 0.8),
          counter("container_cpu_cfs_periods_total", labels, 10),
          counter("container_cpu_cfs_throttled_periods_total", labels, 0.5),
          gauge("container_memory_working_set_bytes", labels, parseBytes(resources.requests.memory) * 0.7),
        ];
      }),
    ];
  });
}

/** Buckets of the collector's spanmetrics histogram (apps/otel-collector.ts), in milliseconds. */
const latencyBucketsMs = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const latencyShares = [0.1, 0.3, 0.6, 0.8, 0.9, 0.95, 0.97, 0.99, 1, 1, 1];

function spanmetrics(): Series[] {
  const target: Labels = { job: "pods", instance: "10.0.2.7:8889", namespace: clusterNamespaces.monitoring, pod: "otel-collector-7c9d8f6b5d-q8w2e", app: "otel-collector", node: "node-a" };
  const spans: [service: string, span: string, perSecond: number, errorsPerSecond: number][] = [
    ["frontend", "frontend", 20, 0.4],
    ["checkoutservice", "hipstershop.CheckoutService/PlaceOrder", 0.5, 0.01],
    ["currencyservice", "hipstershop.CurrencyService/Convert", 15, 0],
    ["productcatalogservice", "hipstershop.ProductCatalogService/GetProduct", 12, 0],
  ];
  return spans.flatMap(([service, span, perSecond, errors]) => {
    const labels = { ...target, service_name: service, span_name: span, span_kind: "SPAN_KIND_SERVER" };
    const statuses: [string, number][] = [["STATUS_CODE_UNSET", perSecond - errors], ...(errors > 0 ? ([["STATUS_CODE_ERROR", errors]] as [string, number][]) : [])];
    return statuses.flatMap(([status_code, rate]) => [
      counter("traces_span_metrics_calls_total", { ...labels, status_code }, rate),
      ...histogram("traces_span_metrics_duration_milliseconds", { ...labels, status_code }, latencyBucketsMs, latencyShares, rate),
      counter("traces_span_metrics_duration_milliseconds_count", { ...labels, status_code }, rate),
      counter("traces_span_metrics_duration_milliseconds_sum", { ...labels, status_code }, rate * 40),
    ]);
  });
}

function orderService(): Series[] {
  const target: Labels = { job: "pods", instance: "10.0.3.4:9464", namespace: clusterNamespaces.app, pod: "order-persistence-7c9d8f6b5d-m3n4p", app: "order-persistence", node: "node-b" };
  const bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const shares = [0, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 1, 1, 1, 1, 1, 1];
  return [
    counter("orders_persisted_total", target, 0.5),
    counter("orders_spooled_total", target, 0.01),
    counter("orders_rejected_total", target, 0.001),
    counter("orders_duplicate_total", target, 0.002),
    counter("orders_conflicting_total", target, 0),
    counter("email_forward_failures_total", target, 0),
    counter("order_revenue_total", { ...target, currency: "USD" }, 20),
    gauge("order_spool_depth", target, 0),
    gauge("order_spool_quarantined", target, 0),
    ...["stored", "duplicate", "spooled"].flatMap((outcome) => histogram("order_persist_duration_seconds", { ...target, outcome }, bounds, shares, 0.2)),
  ];
}

/** k6 by remote write (experimental-prometheus-rw, K6_PROMETHEUS_RW_TREND_STATS="p(95),p(99)"): its tags, no job or pod. */
function k6(): Series[] {
  const request = { scenario: "default", method: "GET", name: "http://frontend/", url: "http://frontend/", proto: "HTTP/1.1", group: "", expected_response: "true" };
  return [
    counter("k6_http_reqs_total", { ...request, status: "200" }, 30),
    counter("k6_http_reqs_total", { ...request, status: "500", expected_response: "false" }, 0.3),
    gauge("k6_http_req_duration_p95", { ...request, status: "200" }, 0.12),
    gauge("k6_http_req_duration_p99", { ...request, status: "200" }, 0.35),
    gauge("k6_http_req_failed_rate", { ...request, status: "200" }, 0.01),
    gauge("k6_checks_rate", { scenario: "default", group: "", check: "status is 200" }, 0.99),
    gauge("k6_vus", {}, 20),
    gauge("k6_vus_max", {}, 50),
    counter("k6_iterations_total", { scenario: "default", group: "" }, 3),
    counter("k6_dropped_iterations_total", { scenario: "default", group: "" }, 0),
  ];
}

/** Every input series. */
export function clusterSeries(): Series[] {
  return [...nodeExporter(), ...kubeStateMetrics(), ...cadvisor(), ...spanmetrics(), ...orderService(), ...k6()];
}

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** OpenMetrics text of the series (samples of a metric together, each series in time order). */
export function openMetrics(series: Series[]): string {
  const byName = new Map<string, Series[]>();
  for (const one of series) byName.set(one.name, [...(byName.get(one.name) ?? []), one]);
  const lines: string[] = [];
  for (const [name, group] of byName) {
    for (const one of group) {
      const labels = Object.entries(one.labels).map(([key, value]) => `${key}="${escape(value)}"`).join(",");
      for (let t = 0; t <= minutes * 60; t += stepSeconds) lines.push(`${name}{${labels}} ${one.value(t)} ${seriesStart + t}`);
    }
  }
  return `${lines.join("\n")}\n# EOF\n`;
}

/** The label names of the input series, and the names of the metrics. */
export function inputNames(series: Series[]): { metrics: Set<string>; labels: Set<string> } {
  return { metrics: new Set(series.map((one) => one.name)), labels: new Set(series.flatMap((one) => Object.keys(one.labels))) };
}

function run(program: string, args: string[], cwd: string): string {
  const result = spawnSync(program, args, { cwd, encoding: "utf8", timeout: 60_000 });
  if (result.error) throw new Error(`${program} could not run (Debian package prometheus; .ci/run installs it): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export interface ServedSeries {
  /** The `data` of an instant query at `evaluationTime` (throws on an API error). */
  query(expr: string): Promise<Json>;
  stop(): Promise<void>;
}

async function serve(dir: string, dataDir: string): Promise<{ base: string; stop(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, "prometheus.yml"), stringify({ global: { scrape_interval: "1h" }, scrape_configs: [] }));
  const child: ChildProcess = spawn(
    "prometheus",
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${dataDir}`, "--storage.tsdb.retention.time=100y", `--web.listen-address=127.0.0.1:${port}`],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (chunk) => (log += chunk));
  child.on("error", (error) => (log += `could not start prometheus (Debian package prometheus; .ci/run installs it): ${error.message}`));
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  };
  const ready = await waitFor("Prometheus ready or gone", async () => (child.exitCode !== null || child.pid === undefined ? "exited" : (await fetch(`${base}/-/ready`)).ok && "ready"), 30_000).catch((error: Error) => error.message);
  const flags = ready === "ready" ? ((await (await fetch(`${base}/api/v1/status/flags`)).json()) as Json).data : undefined;
  if (flags?.["storage.tsdb.path"] !== dataDir) {
    await stop();
    throw new Error(`Prometheus did not start (${ready === "ready" ? "another Prometheus answers on its port" : ready}); its log:\n${log.slice(-2000)}`);
  }
  return { base, stop };
}

/**
 * Backfills `series` and the recording rules of `ruleGroups` (evaluated over the series by
 * promtool against a Prometheus serving what is backfilled so far), then serves everything from a
 * Prometheus in `dir`. promtool evaluates every rule against the server, so a rule reading another
 * rule's series (service:error_ratio reads service:errors and service:requests) waits for a later
 * pass, after the series it reads are in the blocks.
 */
export async function serveSeries(dir: string, series: Series[], ruleGroups: Json[]): Promise<ServedSeries> {
  const dataDir = join(dir, "data");
  writeFileSync(join(dir, "input.om"), openMetrics(series));
  run("promtool", ["tsdb", "create-blocks-from", "openmetrics", "input.om", dataDir], dir);

  let pending = ruleGroups.flatMap((group) => (group.rules as Json[]).filter((rule) => rule.record));
  for (let pass = 1; pending.length > 0; pass++) {
    const reads = (rule: Json) => pending.some((other) => other !== rule && new RegExp(`(^|[^\\w:])${(other.record as string).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w:])`).test(rule.expr));
    const ready = pending.filter((rule) => !reads(rule));
    if (ready.length === 0) throw new Error(`recording rules read each other in a cycle: ${pending.map((rule) => rule.record).join(", ")}`);
    pending = pending.filter((rule) => !ready.includes(rule));
    const rulesFile = `rules-${pass}.yml`;
    writeFileSync(join(dir, rulesFile), stringify({ groups: [{ name: `pass-${pass}`, rules: ready }] }));
    const outputDir = join(dir, `rules-data-${pass}`);
    const server = await serve(dir, dataDir);
    try {
      run("promtool", ["tsdb", "create-blocks-from", "rules", `--start=${seriesStart}`, `--end=${seriesStart + minutes * 60}`, `--url=${server.base}`, "--eval-interval=30s", `--output-dir=${outputDir}`, rulesFile], dir);
    } finally {
      await server.stop();
    }
    for (const block of readdirSync(outputDir)) renameSync(join(outputDir, block), join(dataDir, block));
  }

  const server = await serve(dir, dataDir);
  return {
    query: async (expr) => {
      const response = (await (await fetch(`${server.base}/api/v1/query?${new URLSearchParams({ query: expr, time: String(evaluationTime) })}`)).json()) as Json;
      if (response.status !== "success") throw new Error(`${response.errorType}: ${response.error}`);
      return response.data;
    },
    stop: server.stop,
  };
}
