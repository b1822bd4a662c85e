// Prometheus as rendered, read from the rendered ConfigMaps: promtool (Debian package prometheus,
// 2.42) checks the configuration and every rule file, and a real Prometheus 2.42, started here on
// loopback, loads the rendered rules and runs the rendered pod-discovery job. Debian's build has
// no Kubernetes discovery, so the test swaps `kubernetes_sd_configs` for file discovery carrying
// the same __meta_kubernetes_* labels a pod would have: the rendered relabelling then picks the
// targets for real. The deployment facts (HA pair, volumes, resources, RBAC) are checked on the
// rendered objects.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { find, repoRoot, type Json } from "./support/repo";
import { objectsOf } from "./support/render";
import { freePort } from "./support/postgres";
import { startPrometheus, withFileDiscovery, type RunningPrometheus } from "./support/prometheus";
import { waitFor } from "./support/wait";

const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
const renderedFile = (environment: string, file: string) => parse(readFileSync(join(repoRoot, "rendered", environment, "monitoring/prometheus", file), "utf8")) as Json;
const configOf = (environment: string) => parse(renderedFile(environment, "configmap-prometheus-config.yaml").data["prometheus.yml"]) as Json;
const rulesOf = (environment: string) => renderedFile(environment, "configmap-prometheus-rules.yaml").data as Record<string, string>;

function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  if (result.error) throw new Error(`promtool could not run (Debian package prometheus; .ci/run installs it): ${result.error.message}`);
  return { status: result.status, output: result.stdout + result.stderr };
}

describe("the rendered configuration", () => {
  it.each(["dev", "prod"])("%s: promtool check config accepts it, and check rules every rule file", (environment) => {
    const file = join(dir, `${environment}.yml`);
    writeFileSync(file, stringify(withFileDiscovery(configOf(environment), dir)));
    const config = promtool(["check", "config", "--syntax-only", file]);
    expect(config.output).toContain("SUCCESS");
    expect(config.status).toBe(0);
    for (const [name, text] of Object.entries(rulesOf(environment))) {
      writeFileSync(join(dir, `${environment}-${name}`), text);
      const rules = promtool(["check", "rules", `${environment}-${name}`]);
      expect(rules.output, name).toMatch(/SUCCESS: \d+ rules found/);
    }
  });

  it("discovers pods in exactly the two namespaces, through the API server (the shape Debian's build cannot check)", () => {
    const [pods] = configOf("prod").scrape_configs as Json[];
    expect(pods!.kubernetes_sd_configs).toEqual([{ role: "pod", namespaces: { names: ["microservices-demo", "monitoring"] } }]);
  });

  it("the HA pair labels series by replica and drops the label from alerts; alerts go to every Alertmanager pod by DNS", () => {
    const config = configOf("prod");
    expect(config.global).toMatchObject({ scrape_interval: "30s", evaluation_interval: "30s", external_labels: { environment: "prod", replica: "${POD_NAME}" } });
    expect(config.alerting).toEqual({
      alert_relabel_configs: [{ regex: "replica", action: "labeldrop" }],
      alertmanagers: [{ api_version: "v2", dns_sd_configs: [{ names: ["alertmanager-headless.monitoring.svc.cluster.local"], type: "A", port: 9093 }] }],
    });
  });
});

describe("deployment", () => {
  it("prod: an HA pair with 10Gi each, the overview's resources, retention by time and size, the remote-write receiver; dev: one", () => {
    const prod = find(objectsOf("prod"), "StatefulSet", "prometheus")!;
    expect(prod.spec.replicas).toBe(2);
    expect(prod.spec.volumeClaimTemplates.map((claim: Json) => [claim.metadata.name, claim.spec.resources.requests.storage])).toEqual([["prometheus-storage", "10Gi"]]);
    const container = prod.spec.template.spec.containers[0];
    expect(container.resources).toEqual({ requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2000m", memory: "4Gi" } });
    expect(container.args).toEqual(expect.arrayContaining(["--storage.tsdb.retention.time=15d", "--storage.tsdb.retention.size=8GB", "--web.enable-remote-write-receiver", "--storage.tsdb.path=/prometheus"]));
    expect(find(objectsOf("prod"), "PodDisruptionBudget", "prometheus")).toBeDefined();
    expect(find(objectsOf("dev"), "StatefulSet", "prometheus")!.spec.replicas).toBe(1);
  });

  it("lists and watches pods in its two namespaces only; cluster-wide it reads nodes, their metrics and the API server's /metrics, nothing else", () => {
    const objects = objectsOf("prod");
    const roles = objects.filter((o) => ["Role", "ClusterRole"].includes(o.kind) && o.metadata.name.includes("prometheus"));
    expect(roles.map((role) => [role.kind, role.metadata.namespace, role.rules])).toEqual([
      ["Role", "microservices-demo", [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }]],
      ["Role", "monitoring", [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }]],
      [
        "ClusterRole",
        undefined,
        [
          { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
          { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
          { nonResourceURLs: ["/metrics"], verbs: ["get"] },
        ],
      ],
    ]);
    const binding = find(objects, "ClusterRoleBinding", "monitoring-prometheus")!;
    expect([binding.roleRef, binding.subjects]).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "monitoring-prometheus" }, [{ kind: "ServiceAccount", name: "prometheus", namespace: "monitoring" }]]);
  });

  it.each([
    ["prod", undefined],
    ["dev", true],
  ])("%s: scrapes each node's kubelet and cAdvisor on the kubelet's port with its token, and the API server through its Service", (environment, skipVerify) => {
    const jobs = Object.fromEntries((configOf(environment).scrape_configs as Json[]).map((job) => [job.job_name, job]));
    const credentials = { scheme: "https", authorization: { credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" } };
    const ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
    for (const [name, path] of [["kubelet", "/metrics"], ["cadvisor", "/metrics/cadvisor"]] as const) {
      expect(jobs[name], name).toMatchObject({ ...credentials, metrics_path: path, kubernetes_sd_configs: [{ role: "node" }], tls_config: skipVerify ? { ca_file: ca, insecure_skip_verify: true } : { ca_file: ca } });
      expect(jobs[name].relabel_configs.find((rule: Json) => rule.target_label === "__address__"), name).toEqual({ source_labels: ["__address__"], regex: "([^:]+)(?::\\d+)?", replacement: "$1:10250", target_label: "__address__" });
    }
    expect(jobs.apiserver).toEqual({ job_name: "apiserver", ...credentials, tls_config: { ca_file: ca }, static_configs: [{ targets: ["kubernetes.default.svc:443"] }] });
  });

  it("runbook links point at this repository's README at the synced revision", () => {
    const rules = parse(rulesOf("prod")["environment.yml"]!) as Json;
    const watchdog = rules.groups.flatMap((group: Json) => group.rules).find((rule: Json) => rule.alert === "Watchdog");
    expect(watchdog.annotations.runbook_url).toBe("https://github.com/example-org/online-boutique-gitops/blob/main/README.md#watchdog");
  });
});

describe("a real Prometheus with the rendered rules and pod discovery", () => {
  let running: RunningPrometheus;
  let metrics: Server;
  let objectMetrics: Server;
  let objectMetricsPort: number;
  let metricsPort: number;
  const requests: string[] = [];

  beforeAll(async () => {
    // A pod's metrics endpoint, at the path its annotation names.
    metrics = createServer((request, response) => {
      requests.push(request.url ?? "");
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      response.end("# TYPE shop_up gauge\nshop_up 1\n");
    });
    metricsPort = await new Promise<number>((resolve) => metrics.listen(0, "127.0.0.1", () => resolve((metrics.address() as { port: number }).port)));
    // kube-state-metrics: its series carry the namespace of the object they describe.
    objectMetrics = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      response.end('# TYPE kube_deployment_spec_replicas gauge\nkube_deployment_spec_replicas{namespace="microservices-demo",deployment="frontend"} 3\n');
    });
    objectMetricsPort = await new Promise<number>((resolve) => objectMetrics.listen(0, "127.0.0.1", () => resolve((objectMetrics.address() as { port: number }).port)));
    const otherPort = await freePort();
    const pod = (name: string, port: number, extra: Record<string, string>) => ({
      targets: [`127.0.0.1:${port}`],
      labels: { __meta_kubernetes_namespace: "microservices-demo", __meta_kubernetes_pod_name: name, __meta_kubernetes_pod_label_app: name.replace(/-\w+$/, ""), __meta_kubernetes_pod_phase: "Running", __meta_kubernetes_pod_container_port_number: String(port), ...extra },
    });
    const annotated = { __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true", __meta_kubernetes_pod_annotation_prometheus_io_port: String(metricsPort), __meta_kubernetes_pod_annotation_prometheus_io_path: "/custom-metrics" };
    const targets = [
      pod("postgres-abcde", otherPort, annotated), // the database port of an annotated pod: not scraped
      pod("postgres-abcde", metricsPort, annotated), // its metrics port: scraped at the annotated path
      pod("frontend-abcde", metricsPort, {}), // not annotated
      pod("cartservice-abcde", metricsPort, { ...annotated, __meta_kubernetes_pod_phase: "Pending" }),
      {
        targets: [`127.0.0.1:${objectMetricsPort}`],
        labels: {
          __meta_kubernetes_namespace: "monitoring",
          __meta_kubernetes_pod_name: "kube-state-metrics-abcde",
          __meta_kubernetes_pod_label_app: "kube-state-metrics",
          __meta_kubernetes_pod_phase: "Running",
          __meta_kubernetes_pod_container_port_number: String(objectMetricsPort),
          __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true",
          __meta_kubernetes_pod_annotation_prometheus_io_port: String(objectMetricsPort),
        },
      },
    ];
    running = await startPrometheus(dir, targets, { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" });
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await new Promise((resolve) => metrics?.close(resolve));
    await new Promise((resolve) => objectMetrics?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string) => running.api(path);

  it("scrapes only the annotated, running pod, on the annotated port and path, labelled with namespace, pod and app", async () => {
    const up = await waitFor("a healthy target", async () => {
      const targets = ((await api("/api/v1/targets")).activeTargets as Json[]).filter((target) => target.labels.job === "pods");
      return targets.length === 1 && targets[0]!.health === "up" ? targets : undefined;
    });
    expect(up[0]!.scrapeUrl).toBe(`http://127.0.0.1:${metricsPort}/custom-metrics`);
    expect(up[0]!.labels).toEqual({ app: "postgres", instance: `127.0.0.1:${metricsPort}`, job: "pods", namespace: "microservices-demo", pod: "postgres-abcde" });
    expect(requests.every((url) => url === "/custom-metrics")).toBe(true);
  });

  it("kube-state-metrics is scraped by its own job that keeps the namespace of the objects it describes", async () => {
    const series = await waitFor("kube-state-metrics scraped", async () => {
      const result = (await api(`/api/v1/query?query=kube_deployment_spec_replicas`)).result as Json[];
      return result.length > 0 ? result : undefined;
    });
    expect(series.map((s) => s.metric)).toEqual([{ __name__: "kube_deployment_spec_replicas", deployment: "frontend", instance: `127.0.0.1:${objectMetricsPort}`, job: "kube-state-metrics", namespace: "microservices-demo" }]);
    const targets = (await api("/api/v1/targets")).activeTargets as Json[];
    expect(targets.filter((target) => target.labels.job === "kube-state-metrics").map((target) => target.scrapeUrl)).toEqual([`http://127.0.0.1:${objectMetricsPort}/metrics`]);
  });

  it("loads every rendered rule group and evaluates them without errors; the Watchdog fires", async () => {
    const groups = await waitFor("every rule evaluated", async () => {
      const found = (await api("/api/v1/rules")).groups as Json[];
      return found.length > 0 && found.every((group) => group.rules.every((rule: Json) => rule.health === "ok")) ? found : undefined;
    });
    expect(groups.map((group) => group.name).sort()).toEqual(["data", "monitoring", "orders", "red", "services", "storage", "traffic", "workloads"]);
    const alerts = (await api("/api/v1/alerts")).alerts as Json[];
    expect(alerts.map((alert) => alert.labels.alertname)).toContain("Watchdog");
  });
});
