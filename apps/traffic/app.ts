// Simulated users (k6): upstream's load generator journeys against the frontend, every 15
// minutes (CronJob `traffic`) and once right after the first sync (Job `traffic-initial`), so
// the dashboards have data from the first minutes. The script (apps/traffic/k6/script.ts) is
// bundled into a ConfigMap; the settings size each run through environment variables, and k6
// writes its results to Prometheus' remote-write receiver (p95/p99 of every trend).
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { trafficRunDeadlineSeconds, trafficSetupSeconds } from "../../core/settings/topology";
import { workloadApp, namespaceOf, type KubeObject, type RenderContext } from "../lib/app";
import { calledPort, serviceHost } from "../lib/service";
import { cronJob, job, type PodSpec } from "../lib/workload";
import { k6ScriptBundle } from "./k6-bundle";

const scriptConfigMap = "traffic-script";
const scriptDir = "/scripts";

/** Where k6 reaches the shop: the settings' address, else the frontend Service's in-cluster name. */
export function frontendUrl(context: RenderContext): string {
  return context.settings.traffic.frontendUrl ?? `http://${serviceHost(context, "frontend")}:${calledPort("traffic", "frontend")}`;
}

/** Prometheus' remote-write receiver (--web.enable-remote-write-receiver). */
function remoteWriteUrl(context: RenderContext): string {
  return `http://${serviceHost(context, "prometheus")}:${calledPort("traffic", "prometheus")}/api/v1/write`;
}

/** The script's inputs (apps/traffic/k6/script.ts reads them at init) and k6's output settings. */
function runEnv(context: RenderContext): IEnvVar[] {
  const { vus, duration, thresholds } = context.settings.traffic;
  return [
    { name: "FRONTEND_URL", value: frontendUrl(context) },
    { name: "TRAFFIC_VUS", value: String(vus) },
    { name: "TRAFFIC_DURATION", value: duration },
    { name: "TRAFFIC_MAX_FAILED_RATE", value: String(thresholds.maxFailedRequestRate) },
    { name: "TRAFFIC_P95_MS", value: String(thresholds.p95Milliseconds) },
    { name: "TRAFFIC_SETUP_TIMEOUT_SECONDS", value: String(trafficSetupSeconds) },
    { name: "K6_PROMETHEUS_RW_SERVER_URL", value: remoteWriteUrl(context) },
    // The application dashboard's k6 panels read these two of every trend (k6_http_req_duration_p95, ...).
    { name: "K6_PROMETHEUS_RW_TREND_STATS", value: "p(95),p(99)" },
  ];
}

/** One k6 run: the script from the ConfigMap, results to Prometheus, tagged with the run's kind. */
function k6Pod(context: RenderContext, name: "traffic" | "traffic-initial"): Omit<PodSpec, "name"> {
  return {
    containers: [
      {
        name: "k6",
        // The image's entrypoint is k6. No usage report: the NetworkPolicies let k6 reach the shop and Prometheus only.
        args: ["run", "--no-usage-report", "--out", "experimental-prometheus-rw", "--tag", `environment=${context.environment}`, "--tag", `run=${name === "traffic" ? "scheduled" : "initial"}`, `${scriptDir}/script.js`],
        env: runEnv(context),
        volumeMounts: [
          { name: "script", mountPath: scriptDir, readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      { name: "script", configMap: { name: scriptConfigMap } },
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
    ],
  };
}

function render(context: RenderContext): KubeObject[] {
  const { schedule } = context.settings.traffic;
  const deadline = trafficRunDeadlineSeconds(context.settings);
  // A failed run is not retried: the thresholds judged it, and the next one is 15 minutes away.
  const run = { backoffLimit: 0, activeDeadlineSeconds: deadline };
  return [
    new ConfigMap({ metadata: { name: scriptConfigMap, namespace: namespaceOf(context, "traffic") }, data: { "script.js": k6ScriptBundle() } }),
    cronJob(context, { name: "traffic", schedule, startingDeadlineSeconds: 120, ...run, ...k6Pod(context, "traffic") }),
    // No TTL, and Argo CD leaves its spec alone (generator/argocd.ts): it runs once per cluster.
    job(context, { name: "traffic-initial", ...run, ...k6Pod(context, "traffic-initial") }),
  ];
}

export const traffic = workloadApp({ name: "traffic", component: "load-generator", workloads: ["traffic", "traffic-initial"], render });
