// The exporters as Prometheus sees them, with real engines end to end: a real PostgreSQL and its
// real postgres-exporter, a real Redis and its real redis_exporter, a real node-exporter started
// with the rendered DaemonSet's flags (Debian packages prometheus-postgres-exporter 0.11,
// prometheus-redis-exporter 1.45 and prometheus-node-exporter 1.5, older than the images;
// .ci/run installs them), and the order persistence service itself, all scraped by a real
// Prometheus 2.42 with the rendered scrape relabelling (pods found through file discovery carrying
// their __meta_kubernetes_* labels) and the rendered rules. The alerts read the series these
// exporters really expose, PostgresDown goes pending when PostgreSQL stops, and the dashboards' queries
// on the series of node-exporter and the order service answer here.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { records } from "../core/contract/index";
import { silentLogger } from "../services/order-persistence/src/log";
import { defaultMigrationsDir } from "../services/order-persistence/src/paths";
import { startServer, type RunningServer } from "../services/order-persistence/src/server";
import { freePort, removeServerOwnedTempDirs, startPostgres, type PostgresServer } from "./support/postgres";
import { startPrometheus, type RunningPrometheus } from "./support/prometheus";
import * as grpc from "@grpc/grpc-js";
import { dashboardQueries, promqlNames, substitute } from "./support/dashboard-queries";
import { orderRequest, protos, send } from "./support/order-service";
import { repoRoot, type Json } from "./support/repo";
import { waitFor } from "./support/wait";

const dir = mkdtempSync(join(tmpdir(), "prometheus-exporters-"));
const processes: ChildProcess[] = [];
let postgres: PostgresServer;
let base: string;
let prometheus: RunningPrometheus;

/** Starts a program of a Debian package; a missing one fails the test with the package to install. */
function start(program: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  if (spawnSync("sh", ["-c", `command -v ${program}`]).status !== 0) throw new Error(`${program} is not installed (the Debian package of that name; .ci/run installs it)`);
  const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: "ignore" });
  processes.push(child);
  return child;
}


/**
 * node-exporter's flags as the rendered DaemonSet gives them, with its container's view of the
 * node (/host/proc, …) pointed back at this machine's own paths and the address on loopback.
 */
function renderedNodeExporterArgs(port: number): string[] {
  const daemonSet = parse(readFileSync(join(repoRoot, "rendered/prod/monitoring/node-exporter/daemonset-node-exporter.yaml"), "utf8")) as Json;
  const mounts = daemonSet.spec.template.spec.containers[0].volumeMounts as Json[];
  const hostPaths = records["node-exporter"].hostAccess!.hostPaths!.volumes;
  const onThisMachine = (value: string) => mounts.reduce((text: string, mount) => text.replace(new RegExp(`^${mount.mountPath}$`), hostPaths[mount.name]!), value);
  return (daemonSet.spec.template.spec.containers[0].args as string[]).map((arg) => {
    const [flag, value] = [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)];
    if (flag === "--web.listen-address") return `${flag}=127.0.0.1:${port}`;
    return flag.startsWith("--path.") ? `${flag}=${onThisMachine(value)}` : arg;
  });
}

let orderService: RunningServer;
let nodeExporter: ChildProcess;

beforeAll(async () => {
  postgres = await startPostgres();
  const [redisPort, redisExporterPort, postgresExporterPort, nodeExporterPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  nodeExporter = start("prometheus-node-exporter", renderedNodeExporterArgs(nodeExporterPort));
  postgres.sql("CREATE DATABASE orders");
  orderService = await startServer(
    { host: "127.0.0.1", port: 0, metricsPort: 0, databaseUrl: postgres.url("orders"), poolSize: 2, emailServiceAddr: undefined, emailTimeoutMs: 2_000, spoolDir: mkdtempSync(join(dir, "spool-")), migrationsDir: defaultMigrationsDir, shutdownDelayMs: 0, shutdownTimeoutMs: 5_000, logger: silentLogger },
    { migrationRetryMs: 100 },
  );
  start("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  start("prometheus-redis-exporter", ["-web.listen-address", `127.0.0.1:${redisExporterPort}`, "-redis.addr", `redis://127.0.0.1:${redisPort}`]);
  start("prometheus-postgres-exporter", [`--web.listen-address=127.0.0.1:${postgresExporterPort}`], { DATA_SOURCE_NAME: `postgresql://postgres@127.0.0.1:${postgres.port}/postgres?sslmode=disable` });

  // Two pods as the rendered workloads declare them: the server's port, and the exporter's, which the annotation names.
  const pod = (name: string, app: string, serverPort: number, exporterPort: number) =>
    [serverPort, exporterPort].map((port) => ({
      targets: [`127.0.0.1:${port}`],
      labels: {
        __meta_kubernetes_namespace: "microservices-demo",
        __meta_kubernetes_pod_name: name,
        __meta_kubernetes_pod_label_app: app,
        __meta_kubernetes_pod_phase: "Running",
        __meta_kubernetes_pod_container_port_number: String(port),
        __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true",
        __meta_kubernetes_pod_annotation_prometheus_io_port: String(exporterPort),
      },
    }));
  // node-exporter on the host network: its pod's address is the node's, and it listens on one port.
  const nodeExporterPod: Json[] = pod("node-exporter-x7k2p", "node-exporter", nodeExporterPort, nodeExporterPort).slice(0, 1);
  nodeExporterPod[0]!.labels = { ...nodeExporterPod[0]!.labels, __meta_kubernetes_namespace: "monitoring", __meta_kubernetes_pod_node_name: "node-a" };
  const targets = [
    ...pod("postgres-0", "postgres", postgres.port, postgresExporterPort),
    ...pod("redis-cart-abcde", "redis-cart", redisPort, redisExporterPort),
    ...pod("order-persistence-0", "order-persistence", orderService.port, orderService.metricsPort),
    ...nodeExporterPod,
  ];
  // Faster than the rendered 30 s, but not tighter than the exporter needs: with PostgreSQL gone it
  // takes over a second to answer on a loaded machine (the rendered timeout is 10 s).
  prometheus = await startPrometheus(dir, targets, { scrape_interval: "3s", scrape_timeout: "3s", evaluation_interval: "1s" });
  base = prometheus.base;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await orderService?.close();
  for (const child of processes) child.kill("SIGTERM");
  await Promise.all(processes.map((child) => (child.pid === undefined || child.exitCode !== null ? undefined : new Promise((resolve) => child.once("exit", resolve)))));
  postgres?.destroy();
  removeServerOwnedTempDirs();
  rmSync(dir, { recursive: true, force: true });
});

const query_ = async (expr: string): Promise<Json[]> => {
  const body = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as Json;
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result as Json[];
};
const query = async (expr: string) => ((await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as Json).data.result as Json[];

describe("the data tier's exporters, scraped through the rendered configuration", () => {
  it("node-exporter accepts the rendered flags and is scraped as a pod of the node, with the node's CPU, memory and filesystems", async () => {
    expect(nodeExporter.exitCode).toBeNull();
    const series = await waitFor("node series scraped", async () => {
      const found = await query('count by (__name__, namespace, pod, app, node) ({__name__=~"node_cpu_seconds_total|node_memory_MemAvailable_bytes|node_filesystem_avail_bytes"})');
      return found.length === 3 ? found : undefined;
    }, 30_000);
    expect(series.map((s) => `${s.metric.__name__} ${s.metric.namespace}/${s.metric.pod} ${s.metric.app} ${s.metric.node}`).sort()).toEqual([
      "node_cpu_seconds_total monitoring/node-exporter-x7k2p node-exporter node-a",
      "node_filesystem_avail_bytes monitoring/node-exporter-x7k2p node-exporter node-a",
      "node_memory_MemAvailable_bytes monitoring/node-exporter-x7k2p node-exporter node-a",
    ]);
    // The node's root filesystem is read through --path.rootfs; the excluded mount points (pseudo filesystems) are not reported.
    const mountpoints = (await query("node_filesystem_avail_bytes")).map((s) => s.metric.mountpoint as string);
    expect(mountpoints).toContain("/");
    expect(mountpoints.filter((mount) => /^\/(dev|proc|run|sys)($|\/)/.test(mount))).toEqual([]);
  });

  it("the order persistence service is scraped on its metrics port, and the orders rules evaluate against its series", async () => {
    const depth = await waitFor("order_spool_depth scraped", async () => (await query("order_spool_depth"))[0], 30_000);
    expect([depth.metric.pod, depth.metric.app, depth.value[1]]).toEqual(["order-persistence-0", "order-persistence", "0"]);
    const orders = await waitFor("orders rules evaluated", async () => {
      const found = ((await (await fetch(`${base}/api/v1/rules`)).json()) as Json).data.groups as Json[];
      const group = found.find((g) => g.name === "orders");
      return group?.rules.every((rule: Json) => rule.health === "ok" && rule.lastEvaluation !== "0001-01-01T00:00:00Z") ? group : undefined;
    });
    expect(orders.rules.filter((rule: Json) => rule.state !== "inactive").map((rule: Json) => rule.name)).toEqual([]);
  });

  it("the dashboards' queries on what these exporters serve (node-exporter, the order service) answer from this live Prometheus", async () => {
    // One order stored, so that the series a first order creates (its persist time) exist.
    const email = new protos.EmailService(`127.0.0.1:${orderService.port}`, grpc.credentials.createInsecure());
    try {
      expect(await send({ email, health: email }, orderRequest("dashboard-order-1"))).toBeNull();
    } finally {
      email.close();
    }
    const dir = join(repoRoot, "rendered/prod/monitoring/grafana");
    const files = Object.assign({}, ...readdirSync(dir).filter((file) => /^configmap-grafana-dashboard-(?!provider)/.test(file)).map((file) => (parse(readFileSync(join(dir, file), "utf8")) as Json).data as Record<string, string>));
    const served = /^(node_|orders?_|email_forward_)/;
    const queries = dashboardQueries(files).filter((query) => query.language === "promql" && promqlNames(query.text).metrics.every((metric) => served.test(metric)) && promqlNames(query.text).metrics.length > 0);
    const wanted = [...new Set(queries.flatMap((query) => promqlNames(query.text).metrics))].sort();
    // Every such metric is one these real exporters expose (a misspelt name is missing here).
    const present = await waitFor("every metric scraped", async () => {
      const names = ((await (await fetch(`${base}/api/v1/label/__name__/values`)).json()) as Json).data as string[];
      return wanted.every((metric) => names.includes(metric)) ? names : undefined;
    }, 30_000).catch(async () => ((await (await fetch(`${base}/api/v1/label/__name__/values`)).json()) as Json).data as string[]);
    expect(wanted.filter((metric) => !present.includes(metric))).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const values = { __rate_interval: "1m", __interval: "15s", __range: "5m", node: "node-a", namespace: "microservices-demo", currency: "USD" };
    // Rates need two scrapes of a series inside their window: ask until every query has answered once.
    const unanswered = new Set(queries);
    await waitFor("every query answered", async () => {
      for (const query of [...unanswered]) if ((await query_(substitute(query.text, values))).length > 0) unanswered.delete(query);
      return unanswered.size === 0;
    }, 30_000).catch(() => undefined);
    expect([...unanswered].map((query) => `${query.dashboard}: ${query.where}`)).toEqual([]);
  });

  it("pg_up and redis_up are 1, labelled with the pod they run beside", async () => {
    const up = await waitFor("both exporters scraped", async () => {
      const series = await query("pg_up or redis_up");
      return series.length === 2 && series.every((s) => s.value[1] === "1") ? series : undefined;
    }, 30_000);
    expect(up.map((s) => `${s.metric.__name__} ${s.metric.namespace}/${s.metric.pod} ${s.metric.app}`).sort()).toEqual(["pg_up microservices-demo/postgres-0 postgres", "redis_up microservices-demo/redis-cart-abcde redis-cart"]);
  });

  it("the data tier's rules evaluate against the real series: nothing is down, and a primary without a replica is noticed", async () => {
    const groups = await waitFor("rules evaluated", async () => {
      const found = ((await (await fetch(`${base}/api/v1/rules`)).json()) as Json).data.groups as Json[];
      return found.some((group) => group.name === "data" && group.rules.every((rule: Json) => rule.health === "ok" && rule.lastEvaluation !== "0001-01-01T00:00:00Z")) ? found : undefined;
    });
    const data = groups.find((group) => group.name === "data")!;
    expect(data.rules.map((rule: Json) => rule.name)).toEqual(expect.arrayContaining(["PostgresDown", "RedisDown"]));
    const state = (name: string) => data.rules.find((rule: Json) => rule.name === name).state;
    expect([state("PostgresDown"), state("RedisDown")]).toEqual(["inactive", "inactive"]);
    // prod's rules expect a streaming replica; this PostgreSQL has none.
    await waitFor("PostgresReplicaNotStreaming active", async () => {
      const found = ((await (await fetch(`${base}/api/v1/rules`)).json()) as Json).data.groups as Json[];
      return found.find((group) => group.name === "data")!.rules.find((rule: Json) => rule.name === "PostgresReplicaNotStreaming").state !== "inactive";
    });
  });

  it("PostgreSQL stopped: pg_up drops to 0 and PostgresDown is pending (it fires after 2 minutes)", async () => {
    postgres.stop();
    const alert = await waitFor(`PostgresDown pending`, async () => {
      const up = await query("pg_up");
      if (up[0]?.value[1] !== "0") return undefined;
      const alerts = ((await (await fetch(`${base}/api/v1/alerts`)).json()) as Json).data.alerts as Json[];
      return alerts.find((a) => a.labels.alertname === "PostgresDown");
    }, 30_000);
    expect(alert.state).toBe("pending");
    expect(alert.labels).toMatchObject({ severity: "critical", namespace: "microservices-demo", pod: "postgres-0" });
    expect(alert.annotations.summary).toBe("postgres-0: PostgreSQL does not answer its exporter");
  });
});
