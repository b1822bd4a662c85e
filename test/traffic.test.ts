// The traffic group as rendered: a k6 CronJob every 15 minutes that never overlaps itself and
// always ends before the next run, an initial run that runs once per cluster and never leaves
// Argo CD OutOfSync, the settings' sizes and thresholds handed to the script, and k6 allowed to
// reach the frontend, Prometheus and DNS only.
import { describe, expect, it } from "vitest";
import { parseCron, shortestIntervalSeconds } from "../core/cron";
import { loadEnvironment } from "../core/settings/load";
import { deployedWorkloads } from "../core/settings/topology";
import { renderEnvironment } from "../generator/render";
import { k6ScriptBundle } from "../apps/traffic/k6-bundle";
import { envEntries, environmentsDir, find, repoRoot, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const environments = ["dev", "prod"] as const;
const settingsOf = (environment: string) => loadEnvironment(environmentsDir, environment, repoRoot).settings;

function get(objects: Json[], kind: string, name: string): Json {
  const object = find(objects, kind, name);
  if (!object) throw new Error(`no ${kind} ${name}`);
  return object;
}

describe.each(environments)("%s traffic", (environment) => {
  const objects = objectsOf(environment);
  const settings = settingsOf(environment);
  const cron = get(objects, "CronJob", "traffic");
  const initial = get(objects, "Job", "traffic-initial");

  it("runs every 15 minutes, never two at once, and each run ends before the next is due", () => {
    expect(cron.spec.schedule).toBe("*/15 * * * *");
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    const parsed = parseCron(cron.spec.schedule);
    if ("problem" in parsed) throw new Error(parsed.problem);
    const period = shortestIntervalSeconds(parsed)!;
    expect(period).toBe(900);
    expect(cron.spec.jobTemplate.spec.activeDeadlineSeconds).toBeLessThan(period);
    expect(cron.spec.startingDeadlineSeconds).toBeLessThan(period);
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect([cron.spec.successfulJobsHistoryLimit, cron.spec.failedJobsHistoryLimit]).toEqual([3, 3]);
  });

  it("the initial run stays in the cluster once done (no TTL), and Argo CD neither compares nor patches its spec", () => {
    expect(initial.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(initial.spec.backoffLimit).toBe(0);
    expect(initial.spec.activeDeadlineSeconds).toBe(cron.spec.jobTemplate.spec.activeDeadlineSeconds);
    expect(initial.metadata.annotations?.["argocd.argoproj.io/hook"]).toBeUndefined(); // a hook would run on every sync
    const application = get(objects, "Application", `${environment}-traffic`);
    expect(application.spec.ignoreDifferences).toEqual([{ group: "batch", kind: "Job", namespace: "microservices-demo", name: "traffic-initial", jsonPointers: ["/spec"] }]);
    expect(application.spec.syncPolicy.syncOptions).toContain("RespectIgnoreDifferences=true");
    // Synced last: after the shop and the order tee it drives.
    const waves = objects.filter((o) => o.kind === "Application" && o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] !== undefined).map((o) => Number(o.metadata.annotations["argocd.argoproj.io/sync-wave"]));
    expect(Number(application.metadata.annotations["argocd.argoproj.io/sync-wave"])).toBe(Math.max(...waves));
  });

  it("both runs hand the settings' size, thresholds and addresses to the script, and write to Prometheus' remote-write receiver", () => {
    for (const pod of [cron.spec.jobTemplate.spec.template.spec, initial.spec.template.spec]) {
      const [k6] = pod.containers;
      const env = Object.fromEntries(Object.entries(envEntries(k6)).map(([name, entry]) => [name, entry.value]));
      expect(env).toMatchObject({
        FRONTEND_URL: "http://frontend.microservices-demo.svc.cluster.local:80",
        TRAFFIC_VUS: String(settings.traffic.vus),
        TRAFFIC_DURATION: settings.traffic.duration,
        TRAFFIC_MAX_FAILED_RATE: String(settings.traffic.thresholds.maxFailedRequestRate),
        TRAFFIC_P95_MS: String(settings.traffic.thresholds.p95Milliseconds),
        K6_PROMETHEUS_RW_SERVER_URL: "http://prometheus.monitoring.svc.cluster.local:9090/api/v1/write",
        K6_PROMETHEUS_RW_TREND_STATS: "p(95),p(99)",
      });
      expect(k6.args).toEqual(expect.arrayContaining(["run", "--out", "experimental-prometheus-rw", "/scripts/script.js"]));
      expect(pod.volumes).toContainEqual({ name: "script", configMap: { name: "traffic-script" } });
      expect(pod.automountServiceAccountToken).toBe(false);
    }
    expect(get(objects, "ConfigMap", "traffic-script").data["script.js"]).toBe(k6ScriptBundle());
  });

  it("k6 reaches the frontend, Prometheus and DNS, nothing else; nobody reaches k6", () => {
    for (const run of ["traffic", "traffic-initial"]) {
      const policy = get(objects, "NetworkPolicy", run);
      expect(policy.spec.podSelector).toEqual({ matchLabels: { app: run } });
      expect(policy.spec.ingress).toEqual([]);
      const egress = (policy.spec.egress as Json[]).map((rule) => ({ to: rule.to.map((peer: Json) => `${peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? "same namespace"}/${Object.values(peer.podSelector.matchLabels).join()}`), ports: rule.ports.map((p: Json) => `${p.port}/${p.protocol}`) }));
      expect(egress, run).toEqual([
        { to: ["kube-system/kube-dns"], ports: ["53/UDP", "53/TCP"] },
        { to: ["same namespace/frontend"], ports: ["8080/TCP"] },
        { to: ["monitoring/prometheus"], ports: ["9090/TCP"] },
      ]);
    }
  });
});

describe("traffic settings", () => {
  it("traffic.enabled: false leaves the whole group out", () => {
    const loaded = loadEnvironment(environmentsDir, "dev", repoRoot);
    const settings = { ...loaded.settings, traffic: { ...loaded.settings.traffic, enabled: false } };
    const deployed = deployedWorkloads(settings);
    expect(deployed).not.toContain("traffic");
    expect(deployed).not.toContain("traffic-initial");
    const { objects } = renderEnvironment({ ...loaded, settings, deployed }, undefined, repoRoot);
    expect((objects as Json[]).filter((o) => o.metadata?.name?.startsWith("traffic") || o.metadata?.name === "dev-traffic").map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([]);
  });

  it("prod drives more traffic than dev, with stricter thresholds", () => {
    const [dev, prod] = [settingsOf("dev").traffic, settingsOf("prod").traffic];
    expect(prod.vus).toBeGreaterThan(dev.vus);
    expect(prod.thresholds.maxFailedRequestRate).toBeLessThan(dev.thresholds.maxFailedRequestRate);
  });
});
