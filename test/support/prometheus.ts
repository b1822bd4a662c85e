// A real Prometheus (Debian package prometheus, 2.42) running the rendered prod configuration and
// rules, on loopback in a temp folder. Debian's build has no Kubernetes discovery, so every
// `kubernetes_sd_configs` becomes file discovery over `targets` (target groups carrying the
// __meta_kubernetes_* labels a pod would have): the rendered relabelling then picks targets for real.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePort } from "./postgres";
import { repoRoot, type Json } from "./repo";
import { waitFor } from "./wait";

const renderedPrometheus = (file: string) => parse(readFileSync(join(repoRoot, "rendered/prod/monitoring/prometheus", file), "utf8")) as Json;

/** prometheus.yml of the rendered prod ConfigMap. */
export const renderedPrometheusConfig = (): Json => parse(renderedPrometheus("configmap-prometheus-config.yaml").data["prometheus.yml"]) as Json;

/** The rule files of the rendered prod ConfigMap, by name. */
export const renderedRuleFiles = (): Record<string, string> => renderedPrometheus("configmap-prometheus-rules.yaml").data as Record<string, string>;

/** The configuration with Kubernetes discovery swapped for files: one per discovery role (`targets-pod.json`, `targets-node.json`) in `dir`. */
export function withFileDiscovery(config: Json, dir: string): Json {
  const copy = structuredClone(config);
  for (const job of copy.scrape_configs as Json[]) {
    if (job.kubernetes_sd_configs) {
      const role = (job.kubernetes_sd_configs as Json[])[0]!.role as string;
      delete job.kubernetes_sd_configs;
      job.file_sd_configs = [{ files: [join(dir, `targets-${role}.json`)], refresh_interval: "1s" }];
    }
  }
  return copy;
}

/** Jobs that log in with the pod's ServiceAccount (kubelets, API server): they need a cluster, which the tests do not have. */
const needsCluster = (job: Json) => typeof job.authorization?.credentials_file === "string" && job.authorization.credentials_file.startsWith("/var/run/secrets/kubernetes.io/");

export interface RunningPrometheus {
  base: string;
  /** The `data` of a GET on the HTTP API. */
  api(path: string): Promise<Json>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus in `dir` with the rendered configuration and rules, `targets` as its
 * discovered pods, intervals shortened by `global`, no Alertmanager (alerts are read from the
 * API), and without the jobs that need a cluster (test/prometheus.test.ts checks their shape).
 */
export async function startPrometheus(dir: string, targets: Json[], global: Record<string, string>): Promise<RunningPrometheus> {
  writeFileSync(join(dir, "targets-pod.json"), JSON.stringify(targets));
  const rulesDir = join(dir, "rules");
  mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(renderedRuleFiles())) writeFileSync(join(rulesDir, name), text);
  const config = withFileDiscovery(renderedPrometheusConfig(), dir);
  config.scrape_configs = (config.scrape_configs as Json[]).filter((job) => !needsCluster(job));
  config.global = { ...config.global, ...global };
  config.rule_files = [join(rulesDir, "*.yml")];
  config.alerting.alertmanagers = [];
  writeFileSync(join(dir, "prometheus.yml"), stringify(config));

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (chunk) => (log += chunk));
  child.on("error", (error) => (log += `could not start prometheus (Debian package prometheus; .ci/run installs it): ${error.message}`));
  const api = async (path: string) => ((await (await fetch(`${base}${path}`)).json()) as Json).data;
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  };

  const ready = await waitFor("Prometheus ready or gone", async () => (child.exitCode !== null || child.pid === undefined ? "exited" : (await fetch(`${base}/-/ready`)).ok && "ready"), 30_000).catch((error: Error) => error.message);
  // The one answering must be ours, not another left on a port that freePort handed out again.
  const ours = ready === "ready" && (await api("/api/v1/status/flags"))["storage.tsdb.path"] === join(dir, "data");
  if (!ours) {
    await stop();
    throw new Error(`Prometheus did not start (${ready === "ready" ? "another Prometheus answers on its port" : ready}); its log:\n${log.slice(-2000)}`);
  }
  return { base, api, stop };
}
