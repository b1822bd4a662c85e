// Adding a workload is its module, its contract record and an index entry — nothing else. A
// scratch copy of the repository gets two: a metrics collector in the monitoring namespace with two
// ports (a web port for clients outside the cluster, a metrics port) that scrapes every metrics
// port, and a watcher there that uses the Kubernetes API. The compiler, the real render CLI and
// the real policy CLI then run on that copy. Both are added before the one build of the CLIs
// (generator/build.mjs, ~2.5 CPU-s): what the second part changes (the API server's place) is in
// the settings, which the CLIs read when they run.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliNodeArgs } from "../generator/cli-command.mjs";
import { repoRoot } from "./support/repo";

const record = `
  /** Scratch: a metrics collector (test/adding-a-workload.test.ts). */
  "scratch-collector": {
    namespace: "monitoring",
    group: "data",
    kind: "Deployment",
    containers: {
      collector: { image: { pinned: "quay.io/prometheus/prometheus:v3.13.2" }, resources: resources("100m", "200m", "128Mi", "256Mi"), ports: ["http", "metrics"] },
    },
    ports: { http: { port: 9090, servicePort: 80, external: true }, metrics: { port: 9091, metrics: true } },
    scrapesMetrics: true,
    minimumReplicas: { production: 2 },
  },
`;

/** The watcher (a Prometheus, which watches the API to find its targets): its record grants it API access, its module renders that access. */
const watcherRecord = `
  /** Scratch: a workload that watches the Kubernetes API (test/adding-a-workload.test.ts). */
  "scratch-watcher": {
    namespace: "monitoring",
    group: "data",
    kind: "Deployment",
    containers: {
      watcher: { image: { pinned: "quay.io/prometheus/prometheus:v3.13.2" }, resources: resources("50m", "100m", "64Mi", "128Mi"), ports: ["http"] },
    },
    ports: { http: { port: 8080 } },
    usesKubernetesApi: true,
    apiAccess: { cluster: [{ apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] }] },
  },
`;

const watcherModule = `import { workloadApp } from "./lib/app";
import { recordedAccess } from "./lib/rbac";
import { deployment, tcpProbe } from "./lib/workload";

export const scratchWatcher = workloadApp({
  name: "scratch-watcher",
  component: "watcher",
  workloads: ["scratch-watcher"],
  render: (context) => [
    ...deployment(context, {
      name: "scratch-watcher",
      containers: [{ name: "watcher", readinessProbe: tcpProbe(8080), livenessProbe: tcpProbe(8080) }],
    }),
    ...recordedAccess(context, "scratch-watcher"),
  ],
});
`;

const module = `import { workloadApp } from "./lib/app";
import { clusterService } from "./lib/service";
import { deployment, tcpProbe } from "./lib/workload";

export const scratchCollector = workloadApp({
  name: "scratch-collector",
  component: "metrics",
  workloads: ["scratch-collector"],
  render: (context) => [
    ...deployment(context, {
      name: "scratch-collector",
      containers: [{ name: "collector", readinessProbe: tcpProbe(9090), livenessProbe: tcpProbe(9090) }],
    }),
    clusterService(context, "scratch-collector", "http"),
  ],
});
`;

const scratch = mkdtempSync(join(tmpdir(), "add-workload-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function edit(file: string, change: (text: string) => string): void {
  const path = join(scratch, file);
  const before = readFileSync(path, "utf8");
  const after = change(before);
  if (after === before) throw new Error(`${file}: the edit found nothing to change`);
  writeFileSync(path, after);
}

function run(command: "render" | "policy", args: string[]) {
  const result = spawnSync(process.execPath, [...cliNodeArgs(command, scratch), ...args], { cwd: scratch, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const yamlAt = (path: string) => parse(readFileSync(join(scratch, "rendered", path), "utf8"));

beforeAll(() => {
  for (const entry of ["core", "apps", "generator", "policies", "services", "test/support", "environments", "rendered", "package.json", "tsconfig.json"]) cpSync(join(repoRoot, entry), join(scratch, entry), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(scratch, "node_modules"), "dir");
  // The three edits per workload: the record, the module, the index entry.
  edit("core/contract/workloads.ts", (text) => text.replace(/\n} satisfies Record<string, WorkloadRecord>;/, `${record}${watcherRecord}} satisfies Record<string, WorkloadRecord>;`));
  writeFileSync(join(scratch, "apps", "scratch-collector.ts"), module);
  writeFileSync(join(scratch, "apps", "scratch-watcher.ts"), watcherModule);
  edit("apps/index.ts", (text) =>
    text
      .replace("\nexport const apps", '\nimport { scratchCollector } from "./scratch-collector";\nimport { scratchWatcher } from "./scratch-watcher";\nexport const apps')
      .replace("  traffic,\n];", "  traffic,\n  scratchCollector,\n  scratchWatcher,\n];"),
  );
  execFileSync(process.execPath, [join(scratch, "generator", "build.mjs")], { cwd: scratch, stdio: "pipe" });
  // The type-check covers the code a new workload's record and module reach: core (the contract,
  // the settings checks), apps (the index, the modules), generator (render, verify, diff),
  // policies, and the test helpers (test/support, copied here, which read the contract's records
  // and workloadNames), with all they import. The claim is that none of it needs another edit;
  // the repository's own type-check (npm test) cannot vouch for that: it never sees the new workload.
  writeFileSync(join(scratch, "tsconfig.scratch.json"), JSON.stringify({ extends: "./tsconfig.json", include: ["core", "apps", "generator", "policies", "test/support"] }));
});

describe("a new workload: module + contract record + index entry", () => {
  it("type-checks", () => {
    const tsc = spawnSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", join(scratch, "tsconfig.scratch.json"), "--noEmit"], { cwd: scratch, encoding: "utf8" });
    expect(tsc.stdout).toBe("");
    expect(tsc.status).toBe(0);
  });

  it("renders into its namespace, with its Service, NetworkPolicy, PDB and scrape annotations", () => {
    const result = run("render", []);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const deployment = yamlAt("prod/data/scratch-collector/deployment-scratch-collector.yaml");
    expect(deployment.metadata.namespace).toBe("monitoring");
    expect(deployment.spec.template.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": "9091" });
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe("quay.io/prometheus/prometheus:v3.13.2");
    expect(container.ports).toEqual([
      { name: "http", containerPort: 9090, protocol: "TCP" },
      { name: "metrics", containerPort: 9091, protocol: "TCP" },
    ]);
    expect(container.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
    expect(deployment.spec.replicas).toBe(2); // the record's production minimum
    expect(yamlAt("prod/data/scratch-collector/service-scratch-collector.yaml").spec.ports).toEqual([{ name: "http", port: 80, targetPort: 9090, protocol: "TCP" }]);
    expect(yamlAt("prod/data/scratch-collector/poddisruptionbudget-scratch-collector.yaml").metadata.namespace).toBe("monitoring");
    expect(yamlAt("prod/platform/network-policies/networkpolicy-scratch-collector.monitoring.yaml").metadata.namespace).toBe("monitoring");
    expect(existsSync(join(scratch, "rendered/prod/data/scratch-collector/deployment-scratch-collector.monitoring.yaml"))).toBe(false);
  });

  it("the app namespace admits it on the metrics port of postgres, not on postgres' own port", () => {
    const postgres = yamlAt("prod/platform/network-policies/networkpolicy-postgres.yaml");
    const fromCollector = postgres.spec.ingress.filter((rule: { from?: { podSelector?: { matchLabels?: { app?: string } } }[] }) => rule.from?.some((peer) => peer.podSelector?.matchLabels?.app === "scratch-collector"));
    const monitoring = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
    // Beside Prometheus, the other scraper.
    expect(fromCollector).toEqual([
      {
        from: [{ podSelector: { matchLabels: { app: "prometheus" } }, ...monitoring }, { podSelector: { matchLabels: { app: "scratch-collector" } }, ...monitoring }],
        ports: [{ protocol: "TCP", port: 9187 }],
      },
    ]);
  });

  it("passes the policy run, and the reachability proof includes its flows", () => {
    const result = run("policy", ["--matrix"]);
    expect(result.stdout).toMatch(/rendered\/prod \(environment prod\): \d+ objects, \d+ rules — 0 error\(s\), 0 warning\(s\)/);
    expect(result.stdout).not.toContain("differs from the contract");
    expect(result.status).toBe(0);
    // The run proves each environment in turn: prod's proof runs from its header to the next
    // environment's header (or the end), wherever prod comes in the order.
    const lines = result.stdout.split("\n");
    const isHeader = (line: string) => /^\S.* \(environment [^)]+\): /.test(line);
    const start = lines.findIndex((line) => line.startsWith("rendered/prod (environment prod): "));
    expect(start).not.toBe(-1);
    const end = lines.findIndex((line, index) => index > start && isHeader(line));
    const flows = lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.trim());
    expect(flows).toContain("external → monitoring/scratch-collector:9090/TCP");
    // Into the app namespace it reaches the metrics ports, and nothing else.
    expect(flows.filter((flow) => flow.startsWith("monitoring/scratch-collector → microservices-demo/")).sort()).toEqual([
      "monitoring/scratch-collector → microservices-demo/order-persistence:9464/TCP",
      "monitoring/scratch-collector → microservices-demo/postgres:9187/TCP",
      "monitoring/scratch-collector → microservices-demo/redis-sentinel:9121/TCP",
      "monitoring/scratch-collector → microservices-demo/redis:9121/TCP",
    ]);
  });
});

describe("a workload that uses the Kubernetes API", () => {
  const api = "kubernetesApi:\n  cidrs: [172.18.0.2/32]\n  port: 6443\n";

  beforeAll(() => {
    // Settings without the API server's place, as before any workload used the API.
    for (const environment of ["dev", "prod"]) edit(`environments/${environment}/settings.yaml`, (text) => text.replace(/(#[^\n]*\n)*kubernetesApi:\n(  [^\n]*\n)+/, ""));
  });

  it("needs the API server's addresses in the settings", () => {
    const result = run("render", ["--check"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/environments\/dev\/settings\.yaml:\d+:1: \/: missing key "kubernetesApi": prometheus, alloy, alloy-events, kube-state-metrics, scratch-watcher use the Kubernetes API/);
    expect(result.stderr).toMatch(/environments\/prod\/settings\.yaml:\d+:1: \/: missing key "kubernetesApi"/);
  });

  it("gets a token, its role, and egress to exactly the API server", () => {
    for (const environment of ["dev", "prod"]) writeFileSync(join(scratch, "environments", environment, "settings.yaml"), `${readFileSync(join(scratch, "environments", environment, "settings.yaml"), "utf8")}${api}`);
    const result = run("render", []);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(yamlAt("prod/data/scratch-watcher/deployment-scratch-watcher.yaml").spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(yamlAt("prod/data/scratch-watcher/clusterrolebinding-monitoring-scratch-watcher.yaml").subjects).toEqual([{ kind: "ServiceAccount", name: "scratch-watcher", namespace: "monitoring" }]);
    const policy = yamlAt("prod/platform/network-policies/networkpolicy-scratch-watcher.monitoring.yaml");
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: "172.18.0.2/32" } }], ports: [{ protocol: "TCP", port: 6443 }] });
  });

  it("passes the policy run, with the API flow in the proof", () => {
    const result = run("policy", ["--matrix"]);
    expect(result.stdout).not.toContain("differs from the contract");
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n").map((line) => line.trim())).toContain("monitoring/scratch-watcher → kubernetes-api:6443/TCP");
  });

  it("an egress ipBlock wider than the API server is a hole", () => {
    edit("rendered/prod/platform/network-policies/networkpolicy-scratch-watcher.monitoring.yaml", (text) => text.replace("cidr: 172.18.0.2/32", "cidr: 0.0.0.0/0"));
    const result = run("policy", ["rendered/prod"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR NET003 .*networkpolicy-scratch-watcher\.monitoring\.yaml NetworkPolicy monitoring\/scratch-watcher \/spec\/egress\/\d+: ipBlock lets pods connect outside the cluster/);
  });
});
