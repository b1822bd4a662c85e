// Alertmanager as rendered: its configuration checked and its routing tested by the real amtool
// (Debian package prometheus-alertmanager, 0.25; .ci/run installs it), read from the rendered
// ConfigMaps; the cluster of peers, the credentials that stay out of Git, and the settings that
// are refused before anything renders.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SettingsError } from "../core/errors";
import { loadEnvironment } from "../core/settings/load";
import { environmentsDir, find, repoRoot, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const dir = mkdtempSync(join(tmpdir(), "alertmanager-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The alertmanager.yml of a rendered environment, as Argo CD would apply it, written to the temp folder. */
function renderedConfig(environment: string): string {
  const configMap = parse(readFileSync(join(repoRoot, "rendered", environment, "monitoring/alertmanager/configmap-alertmanager-config.yaml"), "utf8")) as Json;
  const file = join(dir, `${environment}.yml`);
  writeFileSync(file, configMap.data["alertmanager.yml"]);
  return file;
}

function amtool(args: string[]) {
  const result = spawnSync("amtool", args, { cwd: dir, encoding: "utf8" });
  if (result.error) throw new Error(`amtool could not run (Debian package prometheus-alertmanager; .ci/run installs it): ${result.error.message}`);
  return { status: result.status, output: result.stdout + result.stderr };
}

/** The receivers an alert with these labels reaches, in route order (amtool config routes test). */
function receiversOf(environment: string, labels: Record<string, string>): string {
  const result = amtool(["config", "routes", "test", `--config.file=${renderedConfig(environment)}`, ...Object.entries(labels).map(([name, value]) => `${name}=${value}`)]);
  expect(result.status, result.output).toBe(0);
  return result.output.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("Warning:")).join("\n").trim();
}

describe("the rendered configuration, read by amtool", () => {
  it.each(["dev", "prod"])("%s: amtool check-config accepts it", (environment) => {
    const result = amtool(["check-config", renderedConfig(environment)]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("prod: a critical alert pages and reaches the channel; a warning only the channel; the Watchdog only the dead man's switch", () => {
    expect(receiversOf("prod", { alertname: "PostgresDown", severity: "critical", namespace: "microservices-demo" })).toBe("pager,on-call");
    expect(receiversOf("prod", { alertname: "ServiceLatencyHigh", severity: "warning", namespace: "microservices-demo" })).toBe("on-call");
    expect(receiversOf("prod", { alertname: "Watchdog", severity: "none" })).toBe("dead-mans-switch");
  });

  it("dev: everything reaches the one receiver; the Watchdog is dropped (no dead man's switch)", () => {
    expect(receiversOf("dev", { alertname: "PostgresDown", severity: "critical" })).toBe("on-call");
    expect(receiversOf("dev", { alertname: "Watchdog", severity: "none" })).toBe("watchdog-dropped");
  });

  it("a critical alert mutes the warnings of the same alert in the same namespace", () => {
    const config = parse(readFileSync(renderedConfig("prod"), "utf8")) as Json;
    expect(config.inhibit_rules).toEqual([{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "namespace"] }]);
  });

  it("credentials are files of the mounted Secret, never values: the configuration holds paths, the Secret's keys are the ones it names", () => {
    const text = readFileSync(renderedConfig("prod"), "utf8");
    expect(text).toContain("api_url_file: /etc/alertmanager/secrets/slack-api-url");
    expect(text).toContain("credentials_file: /etc/alertmanager/secrets/pager-token");
    expect(text).not.toMatch(/hooks\.slack\.com|api_url:|password:|credentials:/);
    const pod = find(objectsOf("prod"), "StatefulSet", "alertmanager")!.spec.template.spec;
    const secretVolume = pod.volumes.find((volume: Json) => volume.secret);
    expect(secretVolume.secret).toEqual({ secretName: "alertmanager-receivers", items: [{ key: "pager-token", path: "pager-token" }, { key: "slack-api-url", path: "slack-api-url" }] });
    expect(pod.containers[0].volumeMounts.map((mount: Json) => mount.mountPath)).toEqual(["/etc/alertmanager/config", "/etc/alertmanager/secrets", "/alertmanager"]);
    // dev's receiver needs no credential: no Secret to create, none mounted.
    expect(find(objectsOf("dev"), "StatefulSet", "alertmanager")!.spec.template.spec.volumes.some((volume: Json) => volume.secret)).toBe(false);
  });
});

describe("the cluster", () => {
  it("prod runs three peers, each told every peer's stable name, gossiping on 9094 TCP and UDP; dev runs one", () => {
    const prod = find(objectsOf("prod"), "StatefulSet", "alertmanager")!;
    expect(prod.spec.replicas).toBe(3);
    expect(prod.spec.podManagementPolicy).toBe("Parallel");
    const args: string[] = prod.spec.template.spec.containers[0].args;
    expect(args.filter((arg) => arg.startsWith("--cluster.peer="))).toEqual([0, 1, 2].map((n) => `--cluster.peer=alertmanager-${n}.alertmanager-headless.monitoring.svc.cluster.local:9094`));
    expect(args).toContain("--cluster.advertise-address=$(POD_IP):9094");
    const headless = find(objectsOf("prod"), "Service", "alertmanager-headless")!;
    expect(headless.spec.ports.map((port: Json) => `${port.name} ${port.port}/${port.protocol}`)).toEqual(["web 9093/TCP", "cluster 9094/TCP", "cluster-udp 9094/UDP"]);
    expect(find(objectsOf("prod"), "PodDisruptionBudget", "alertmanager")).toBeDefined();
    expect(find(objectsOf("dev"), "StatefulSet", "alertmanager")!.spec.replicas).toBe(1);
  });

  it("a change of the routing rolls the pods (a hash of the configuration on the pod template)", () => {
    const hash = (adjust?: (settings: Json) => void) => find(objectsOf("dev", adjust as never), "StatefulSet", "alertmanager")!.spec.template.metadata.annotations["checksum/config"];
    expect(hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(hash((settings) => (settings.monitoring.alertmanager.repeatInterval = "1h"))).not.toBe(hash());
  });
});

describe("routing settings that Alertmanager would refuse are refused at load, at their line", () => {
  function loadWith(edit: (text: string) => string): string {
    const environments = mkdtempSync(join(dir, "environments-"));
    cpSync(join(environmentsDir, "prod"), join(environments, "prod"), { recursive: true });
    const file = join(environments, "prod", "settings.yaml");
    writeFileSync(file, edit(readFileSync(file, "utf8")));
    try {
      loadEnvironment(environments, "prod", environments);
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      return (error as Error).message;
    }
    throw new Error("the settings loaded");
  }

  it("a route, the default or the Watchdog naming a receiver that does not exist", () => {
    expect(loadWith((text) => text.replace("        receiver: pager\n", "        receiver: pagr\n"))).toMatch(/^prod\/settings\.yaml:\d+:9: \/monitoring\/alertmanager\/routes\/0\/receiver: expected one of the receivers \(on-call, pager, dead-mans-switch\), got "pagr"/m);
    expect(loadWith((text) => text.replace("defaultReceiver: on-call", "defaultReceiver: oncall"))).toMatch(/\/monitoring\/alertmanager\/defaultReceiver: expected one of the receivers \(on-call, pager, dead-mans-switch\), got "oncall"/);
    expect(loadWith((text) => text.replace("watchdogReceiver: dead-mans-switch", "watchdogReceiver: heartbeat"))).toMatch(/\/monitoring\/alertmanager\/watchdogReceiver: expected one of the receivers/);
  });

  it("a receiver named like the one that drops the Watchdog", () => {
    expect(loadWith((text) => text.replace("      pager:\n", "      watchdog-dropped:\n").replace("receiver: pager", "receiver: watchdog-dropped"))).toMatch(/\/monitoring\/alertmanager\/receivers\/watchdog-dropped: expected another name/);
  });

  it("a matcher, a duration, a URL or a receiver without integration that the schema refuses", () => {
    expect(loadWith((text) => text.replace(`['severity="critical"']\n        receiver: pager`, `['severity=critical']\n        receiver: pager`))).toMatch(/\/monitoring\/alertmanager\/routes\/0\/matchers\/0: expected a label matcher such as severity="critical"/);
    expect(loadWith((text) => text.replace("repeatInterval: 4h", "repeatInterval: 4 hours"))).toMatch(/\/monitoring\/alertmanager\/repeatInterval: expected a duration such as 30s, 5m or 4h/);
    expect(loadWith((text) => text.replace("url: https://heartbeat.example.com", "url: ftp://heartbeat.example.com"))).toMatch(/webhook\/url: expected an http\(s\) URL/);
    expect(loadWith((text) => text.replace(/ {6}dead-mans-switch:\n {8}webhook:\n {10}url: \S+\n/, "      dead-mans-switch: {}\n"))).toMatch(/\/monitoring\/alertmanager\/receivers\/dead-mans-switch: /);
  });
});
