// Production carts: 3 Redis + 3 Sentinels, quorum 2. The rendered manifests are checked as a
// specification, then the rendered scripts and configuration start real redis-server and
// redis-sentinel processes (pod names mapped to loopback addresses): killing the master elects
// a new one, a cart written before the failover survives it, and the failover time is measured.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envEntries as envOf, find, objectsOf, type Json } from "./support/repo";
import { waitFor } from "./support/wait";
import { freePort } from "./support/postgres";

const prod = objectsOf("prod");
const dev = objectsOf("dev");

describe("Redis in the rendered environments", () => {
  it("prod runs three Redis and three Sentinels with quorum 2", () => {
    expect(find(prod, "StatefulSet", "redis")!.spec.replicas).toBe(3);
    expect(find(prod, "StatefulSet", "redis-sentinel")!.spec.replicas).toBe(3);
    const sentinelInit = envOf(find(prod, "StatefulSet", "redis-sentinel")!.spec.template.spec.initContainers[0]);
    expect(sentinelInit.QUORUM!.value).toBe("2");
    expect(sentinelInit.SENTINEL_PEERS!.value.split(" ")).toHaveLength(3);
  });

  it("prod's cartservice finds the master through the sentinels, password from the Secret", () => {
    const env = find(prod, "Deployment", "cartservice")!.spec.template.spec.containers[0].env;
    expect(env[0]).toEqual({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } });
    expect(env[1]).toEqual({ name: "REDIS_ADDR", value: "redis-sentinel:26379,serviceName=mymaster,password=$(REDIS_PASSWORD)" });
  });

  it("dev stays a single Redis without Sentinel", () => {
    expect(find(dev, "Deployment", "redis-cart")!.spec.replicas).toBe(1);
    expect(dev.filter((o) => o.kind === "StatefulSet" && o.metadata.name.startsWith("redis"))).toEqual([]);
    expect(find(dev, "Deployment", "cartservice")!.spec.template.spec.containers[0].env).toEqual([{ name: "REDIS_ADDR", value: "redis-cart:6379" }]);
  });

  it("announces hostnames, and no password appears in any rendered object", () => {
    const scripts = find(prod, "ConfigMap", "redis-scripts")!.data;
    expect(scripts["sentinel-init.sh"]).toContain("sentinel announce-hostnames yes");
    expect(scripts["sentinel-init.sh"]).toContain("sentinel resolve-hostnames yes");
    const text = JSON.stringify(prod);
    expect(text).not.toMatch(/requirepass [^$]/);
    for (const workload of ["redis", "redis-sentinel"]) {
      for (const container of [...find(prod, "StatefulSet", workload)!.spec.template.spec.initContainers, ...find(prod, "StatefulSet", workload)!.spec.template.spec.containers]) {
        const password = envOf(container).REDIS_PASSWORD;
        if (password) expect(password.valueFrom.secretKeyRef.name).toBe("redis-auth");
      }
    }
  });
});

// --- real engines --------------------------------------------------------------------------

const password = "test-only-cart-password";
// Free ports, so nothing else on the machine (a system redis-sentinel on *:26379) gets in the way.
let redisPort: number;
let sentinelPort: number;
const redisHosts = ["127.0.0.11", "127.0.0.12", "127.0.0.13"];
const sentinelHosts = ["127.0.0.21", "127.0.0.22", "127.0.0.23"];
const processes: ChildProcess[] = [];
let work: string;

function cli(host: string, port: number, ...args: string[]): string {
  return execFileSync("redis-cli", ["--no-auth-warning", "-a", password, "-h", host, "-p", String(port), ...args], { encoding: "utf8", timeout: 5000 }).trim();
}

/** Runs a rendered init script with its rendered env, pod names replaced by loopback addresses. */
function runInit(script: string, container: Json, overrides: Record<string, string>): void {
  const rendered = Object.fromEntries(Object.entries(envOf(container)).filter(([, e]) => e.value !== undefined).map(([name, e]) => [name, String(e.value)]));
  execFileSync("sh", [script], { env: { PATH: process.env.PATH, ...rendered, REDIS_PASSWORD: password, ...overrides }, encoding: "utf8", timeout: 20_000 });
}

function start(command: string, conf: string, log: string): ChildProcess {
  const child = spawn("sh", ["-c", `exec ${command} "$0" >"$1" 2>&1`, conf, log], { stdio: "ignore" });
  processes.push(child);
  return child;
}

describe("Redis Sentinel failover with real redis-server and redis-sentinel", () => {
  let redisProcesses: ChildProcess[] = [];

  beforeAll(async () => {
    [redisPort, sentinelPort] = [await freePort(), await freePort()];
    work = mkdtempSync(join(tmpdir(), "redis-ha-"));
    const scripts = find(prod, "ConfigMap", "redis-scripts")!.data;
    for (const name of ["redis.conf", "redis-init.sh", "sentinel-init.sh"]) writeFileSync(join(work, name), scripts[name]);
    const redisInit = find(prod, "StatefulSet", "redis")!.spec.template.spec.initContainers[0];
    const sentinelInit = find(prod, "StatefulSet", "redis-sentinel")!.spec.template.spec.initContainers[0];

    // Redis pods in StatefulSet order; each init asks the (not yet running) sentinels, then falls back to redis-0.
    redisProcesses = redisHosts.map((host, ordinal) => {
      const dir = join(work, `redis-${ordinal}`);
      mkdirSync(dir);
      const base = join(dir, "base.conf");
      // The rendered settings, with what differs on loopback: the address and the data directory.
      writeFileSync(base, `${scripts["redis.conf"].replace("dir /data", `dir ${dir}`)}bind ${host}\n`);
      runInit(join(work, "redis-init.sh"), redisInit, { SELF_HOST: host, REDIS_PORT: String(redisPort), INITIAL_MASTER_HOST: redisHosts[0]!, SENTINEL_HOST: sentinelHosts[0]!, SENTINEL_PORT: String(sentinelPort), CONF_DIR: dir, BASE_CONF: base });
      const child = start("redis-server", join(dir, "redis.conf"), join(dir, "log"));
      return child;
    });
    await waitFor("replicas to sync", () => (/connected_slaves:2/.test(cli(redisHosts[0]!, redisPort, "info", "replication")) ? true : undefined));

    sentinelHosts.forEach((host, ordinal) => {
      const dir = join(work, `sentinel-${ordinal}`);
      mkdirSync(dir);
      runInit(join(work, "sentinel-init.sh"), sentinelInit, { SELF_HOST: host, SENTINEL_PEERS: sentinelHosts.join(" "), SENTINEL_PORT: String(sentinelPort), REDIS_PORT: String(redisPort), INITIAL_MASTER_HOST: redisHosts[0]!, CONF_DIR: dir });
      appendFileSync(join(dir, "sentinel.conf"), `bind ${host}\n`);
      start("redis-sentinel", join(dir, "sentinel.conf"), join(dir, "log"));
    });
    await waitFor("sentinels to see each other and the replicas", () => {
      const master = cli(sentinelHosts[0]!, sentinelPort, "sentinel", "master", "mymaster");
      return /num-other-sentinels\s+2/.test(master.replace(/\n/g, " ")) && /num-slaves\s+2/.test(master.replace(/\n/g, " ")) ? true : undefined;
    });
  }, 60_000);

  afterAll(() => {
    for (const child of processes) child.kill("SIGKILL");
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("the sentinels agree on redis-0 as master and the quorum is reachable", () => {
    for (const host of sentinelHosts) expect(cli(host, sentinelPort, "sentinel", "get-master-addr-by-name", "mymaster").split("\n")[0]).toBe(redisHosts[0]);
    expect(cli(sentinelHosts[1]!, sentinelPort, "sentinel", "ckquorum", "mymaster")).toMatch(/^OK/);
  });

  it("stopping the master elects a new one within seconds, and a cart written before survives", async () => {
    cli(redisHosts[0]!, redisPort, "hset", "cart:alice", "OLJCESPC7Z", "2");
    await waitFor("both replicas to acknowledge the write", () => (cli(redisHosts[0]!, redisPort, "wait", "2", "1000") === "2" ? true : undefined));
    const stoppedAt = Date.now();
    redisProcesses[0]!.kill("SIGKILL");
    const newMaster = await waitFor(
      "a new master",
      () => {
        const answer = cli(sentinelHosts[2]!, sentinelPort, "sentinel", "get-master-addr-by-name", "mymaster").split("\n")[0];
        return answer && answer !== redisHosts[0] ? answer : undefined;
      },
      60_000,
    );
    await waitFor("the new master to accept writes", () => (/role:master/.test(cli(newMaster, redisPort, "info", "replication")) ? true : undefined));
    const failoverMs = Date.now() - stoppedAt;
    console.log(`redis sentinel failover: ${failoverMs} ms (down-after-milliseconds ${envOf(find(prod, "StatefulSet", "redis-sentinel")!.spec.template.spec.initContainers[0]).DOWN_AFTER_MS!.value})`);
    expect(redisHosts.slice(1)).toContain(newMaster);
    expect(cli(newMaster, redisPort, "hget", "cart:alice", "OLJCESPC7Z")).toBe("2");
    cli(newMaster, redisPort, "hset", "cart:bob", "66VCHSJNUP", "1");
    const other = redisHosts.slice(1).find((h) => h !== newMaster)!;
    await waitFor("the remaining replica to follow the new master", () => (cli(other, redisPort, "hget", "cart:bob", "66VCHSJNUP") === "1" ? true : undefined));
  }, 90_000);
});
