// The data tier's exporters as Prometheus sees them, with real engines end to end: a real
// PostgreSQL and its real postgres-exporter, a real Redis and its real redis_exporter (Debian
// packages prometheus-postgres-exporter 0.11 and prometheus-redis-exporter 1.45, older than the
// images; .ci/run installs them), scraped by a real Prometheus 2.42 with the rendered scrape
// relabelling (pods found through file discovery carrying their __meta_kubernetes_* labels) and
// the rendered rules. The alerts read the series these exporters really expose, and
// PostgresDown goes pending when PostgreSQL stops.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, removeServerOwnedTempDirs, startPostgres, type PostgresServer } from "./support/postgres";
import { startPrometheus, type RunningPrometheus } from "./support/prometheus";
import { type Json } from "./support/repo";
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


beforeAll(async () => {
  postgres = await startPostgres();
  const [redisPort, redisExporterPort, postgresExporterPort] = await Promise.all([freePort(), freePort(), freePort()]);
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
  const targets = [...pod("postgres-0", "postgres", postgres.port, postgresExporterPort), ...pod("redis-cart-abcde", "redis-cart", redisPort, redisExporterPort)];
  // Faster than the rendered 30 s, but not tighter than the exporter needs: with PostgreSQL gone it
  // takes over a second to answer on a loaded machine (the rendered timeout is 10 s).
  prometheus = await startPrometheus(dir, targets, { scrape_interval: "3s", scrape_timeout: "3s", evaluation_interval: "1s" });
  base = prometheus.base;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const child of processes) child.kill("SIGTERM");
  await Promise.all(processes.map((child) => (child.pid === undefined || child.exitCode !== null ? undefined : new Promise((resolve) => child.once("exit", resolve)))));
  postgres?.destroy();
  removeServerOwnedTempDirs();
  rmSync(dir, { recursive: true, force: true });
});

const query = async (expr: string) => ((await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as Json).data.result as Json[];

describe("the data tier's exporters, scraped through the rendered configuration", () => {
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
