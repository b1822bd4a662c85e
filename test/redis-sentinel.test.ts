// Production carts: 3 Redis + 3 Sentinels, quorum 2. The rendered manifests are checked as a
// specification, then the rendered scripts and configuration start real redis-server and
// redis-sentinel processes (pod names mapped to loopback addresses): a stopping master hands over
// in preStop, a master recreated on an empty volume never serves empty, killing the master elects
// a new one, carts written before survive each of these, and handover and failover are timed.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envEntries as envOf, find, type Json } from "./support/repo";
import { objectsOf } from "./support/render";
import { waitFor } from "./support/wait";
import { parseBytes } from "../core/quantity";
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

  it("a stopping master hands over to a replica first, and the grace period outlasts the wait", () => {
    const pod = find(prod, "StatefulSet", "redis")!.spec.template.spec;
    const redis = pod.containers[0];
    expect(redis.lifecycle.preStop.exec.command).toEqual(["sh", "/scripts/redis-prestop.sh"]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(envOf(redis).HANDOVER_WAIT_SECONDS!.value));
  });

  it("a pod's init container sees its data volume (an empty one never becomes master while peers hold carts)", () => {
    const init = find(prod, "StatefulSet", "redis")!.spec.template.spec.initContainers[0];
    expect(init.volumeMounts).toContainEqual({ name: "data", mountPath: "/data", readOnly: true });
    expect(envOf(init).DATA_DIR!.value).toBe("/data");
    expect(envOf(init).REDIS_PEERS!.value.split(" ")).toHaveLength(3);
  });

  it("maxmemory leaves room inside the container limit for a fork's copy-on-write and two replicas' buffers", () => {
    const conf = find(prod, "ConfigMap", "redis-scripts")!.data["redis.conf"] as string;
    const mib = (pattern: RegExp) => Number(pattern.exec(conf)![1]);
    const dataset = mib(/^maxmemory (\d+)mb$/m);
    const replicaBuffer = mib(/^client-output-buffer-limit replica (\d+)mb/m);
    const limitMiB = parseBytes(find(prod, "StatefulSet", "redis")!.spec.template.spec.containers[0].resources.limits.memory) / 2 ** 20;
    expect(2 * dataset + 2 * replicaBuffer + 10).toBeLessThanOrEqual(limitMiB);
    expect(conf).toMatch(/^auto-aof-rewrite-percentage 100$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
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
const rendered = {
  scripts: find(prod, "ConfigMap", "redis-scripts")!.data as Record<string, string>,
  redisInit: find(prod, "StatefulSet", "redis")!.spec.template.spec.initContainers[0],
  redis: find(prod, "StatefulSet", "redis")!.spec.template.spec.containers[0],
  sentinelInit: find(prod, "StatefulSet", "redis-sentinel")!.spec.template.spec.initContainers[0],
};

function cli(host: string, port: number, ...args: string[]): string {
  return execFileSync("redis-cli", ["-h", host, "-p", String(port), ...args], { env: { ...process.env, REDISCLI_AUTH: password }, encoding: "utf8", timeout: 5000 }).trim();
}

/** Runs a rendered script with its rendered env, pod names replaced by loopback addresses. */
function runScript(script: string, container: Json, overrides: Record<string, string>): { status: number; stderr: string } {
  const env = Object.fromEntries(Object.entries(envOf(container)).filter(([, e]) => e.value !== undefined).map(([name, e]) => [name, String(e.value)]));
  const result = spawnSync("sh", [join(work, script)], { env: { PATH: process.env.PATH, ...env, REDIS_PASSWORD: password, ...overrides }, encoding: "utf8", timeout: 45_000 });
  return { status: result.status ?? -1, stderr: result.stderr };
}

function start(command: string, conf: string, log: string): ChildProcess {
  const child = spawn("sh", ["-c", `exec ${command} "$0" >>"$1" 2>&1`, conf, log], { stdio: "ignore" });
  processes.push(child);
  return child;
}

const redisDir = (ordinal: number) => join(work, `redis-${ordinal}`);
const dataDir = (ordinal: number) => join(redisDir(ordinal), "data");
const redisProcesses = new Map<string, ChildProcess>();
const master = () => cli(sentinelHosts[2]!, sentinelPort, "sentinel", "get-master-addr-by-name", "mymaster").split("\n")[0]!;
const role = (host: string) => /role:(\w+)/.exec(cli(host, redisPort, "info", "replication"))![1];

/** The redis-init env of pod `ordinal` on loopback; `sentinelPortOverride` points it at sentinels that may not answer. */
function redisInitEnv(ordinal: number, sentinelPortOverride = sentinelPort): Record<string, string> {
  return {
    SELF_HOST: redisHosts[ordinal]!,
    REDIS_PEERS: redisHosts.join(" "),
    REDIS_PORT: String(redisPort),
    INITIAL_MASTER_HOST: redisHosts[0]!,
    SENTINEL_HOST: sentinelHosts[0]!,
    SENTINEL_PORT: String(sentinelPortOverride),
    DATA_DIR: dataDir(ordinal),
    CONF_DIR: redisDir(ordinal),
    BASE_CONF: join(redisDir(ordinal), "base.conf"),
  };
}

/** A Redis pod's start: its init script, then redis-server on the written configuration. */
function startRedis(ordinal: number): void {
  const result = runScript("redis-init.sh", rendered.redisInit, redisInitEnv(ordinal));
  if (result.status !== 0) throw new Error(`redis-init failed: ${result.stderr}`);
  redisProcesses.set(redisHosts[ordinal]!, start("redis-server", join(redisDir(ordinal), "redis.conf"), join(redisDir(ordinal), "log")));
}

/** SIGKILL, as when a node dies; `recreated` also empties the volume, as when the pod is recreated (emptyDir). */
function killRedis(host: string, recreated = false): void {
  redisProcesses.get(host)!.kill("SIGKILL");
  const ordinal = redisHosts.indexOf(host);
  if (recreated) {
    rmSync(dataDir(ordinal), { recursive: true, force: true });
    mkdirSync(dataDir(ordinal));
  }
}

async function cartEverywhere(key: string, field: string, value: string): Promise<void> {
  for (const host of redisHosts) await waitFor(`${host} to have ${key}`, () => cli(host, redisPort, "hget", key, field) === value, 30_000, 100);
}

describe("Redis Sentinel failover with real redis-server and redis-sentinel", () => {
  beforeAll(async () => {
    [redisPort, sentinelPort] = [await freePort(), await freePort()];
    work = mkdtempSync(join(tmpdir(), "redis-ha-"));
    for (const name of ["redis.conf", "redis-init.sh", "redis-prestop.sh", "sentinel-init.sh"]) writeFileSync(join(work, name), rendered.scripts[name]!);

    // Redis pods in StatefulSet order; each init asks the (not yet running) sentinels and peers, then falls back to redis-0.
    redisHosts.forEach((host, ordinal) => {
      mkdirSync(dataDir(ordinal), { recursive: true });
      // The rendered settings, with what differs on loopback: the address and the data directory.
      writeFileSync(join(redisDir(ordinal), "base.conf"), `${rendered.scripts["redis.conf"]!.replace("dir /data", `dir ${dataDir(ordinal)}`)}bind ${host}\n`);
      startRedis(ordinal);
    });
    await waitFor("replicas to sync", () => /connected_slaves:2/.test(cli(redisHosts[0]!, redisPort, "info", "replication")));

    sentinelHosts.forEach((host, ordinal) => {
      const dir = join(work, `sentinel-${ordinal}`);
      mkdirSync(dir);
      const result = runScript("sentinel-init.sh", rendered.sentinelInit, { SELF_HOST: host, SENTINEL_PEERS: sentinelHosts.join(" "), SENTINEL_PORT: String(sentinelPort), REDIS_PORT: String(redisPort), INITIAL_MASTER_HOST: redisHosts[0]!, CONF_DIR: dir });
      if (result.status !== 0) throw new Error(`sentinel-init failed: ${result.stderr}`);
      appendFileSync(join(dir, "sentinel.conf"), `bind ${host}\n`);
      start("redis-sentinel", join(dir, "sentinel.conf"), join(dir, "log"));
    });
    await waitFor("sentinels to see each other and the replicas", () => {
      const state = cli(sentinelHosts[0]!, sentinelPort, "sentinel", "master", "mymaster").replace(/\n/g, " ");
      return /num-other-sentinels\s+2/.test(state) && /num-slaves\s+2/.test(state);
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

  it("a stopping master hands over in preStop: a replica is master before it stops, and no cart is lost", async () => {
    cli(redisHosts[0]!, redisPort, "hset", "cart:carol", "L9ECAV7KIM", "1");
    await cartEverywhere("cart:carol", "L9ECAV7KIM", "1");
    const startedAt = Date.now();
    const result = runScript("redis-prestop.sh", rendered.redis, { SELF_HOST: redisHosts[0]!, LOCAL_HOST: redisHosts[0]!, REDIS_PORT: String(redisPort), SENTINEL_HOST: sentinelHosts[0]!, SENTINEL_PORT: String(sentinelPort) });
    console.log(`redis preStop handover: ${Date.now() - startedAt} ms`);
    expect(result).toMatchObject({ status: 0 });
    expect(result.stderr).toMatch(/handed over/);
    expect(role(redisHosts[0]!)).toBe("slave");
    const newMaster = await waitFor("every sentinel to name the new master", () => sentinelHosts.every((h) => cli(h, sentinelPort, "sentinel", "get-master-addr-by-name", "mymaster").split("\n")[0] === master()) && master() !== redisHosts[0] && master());
    expect(role(newMaster)).toBe("master");
    expect(cli(newMaster, redisPort, "hget", "cart:carol", "L9ECAV7KIM")).toBe("1");
  }, 60_000);

  it("a replica's preStop does nothing", () => {
    const replica = redisHosts.find((h) => h !== master())!;
    const result = runScript("redis-prestop.sh", rendered.redis, { SELF_HOST: replica, LOCAL_HOST: replica, REDIS_PORT: String(redisPort), SENTINEL_HOST: sentinelHosts[0]!, SENTINEL_PORT: String(sentinelPort) });
    expect(result).toEqual({ status: 0, stderr: "" });
  });

  it("with no sentinel answering, a starting pod replicates the pod that says it is master, not redis-0", () => {
    const current = master();
    const replica = redisHosts.indexOf(redisHosts.find((h) => h !== current)!);
    const env = { ...redisInitEnv(replica, 1), CONF_DIR: join(work, "probe") };
    expect(runScript("redis-init.sh", rendered.redisInit, env).status).toBe(0);
    expect(readFileSync(join(work, "probe", "redis.conf"), "utf8")).toContain(`replicaof ${current} ${redisPort}`);
  });

  it("a master killed and recreated on an empty volume before the sentinels notice never serves empty: its init has a replica promoted, and the carts survive", async () => {
    // From a settled set: the previous test's failover may still be reconfiguring replicas.
    await waitFor("no failover in progress", () => sentinelHosts.every((host) => !cli(host, sentinelPort, "sentinel", "master", "mymaster").includes("failover_in_progress")));
    const victim = master();
    cli(victim, redisPort, "hset", "cart:dave", "9SIQT8TOJO", "3");
    await cartEverywhere("cart:dave", "9SIQT8TOJO", "3");
    killRedis(victim, true);
    expect(master()).toBe(victim); // down-after-milliseconds has not passed: the sentinels still name it
    const ordinal = redisHosts.indexOf(victim);
    const initStarted = Date.now();
    const result = runScript("redis-init.sh", rendered.redisInit, redisInitEnv(ordinal));
    console.log(`redis init on an empty volume, replica promoted: ${Date.now() - initStarted} ms`);
    expect(result.stderr).toMatch(/volume is empty and peers hold the carts; asking the sentinels to fail over/);
    expect(result.status).toBe(0);
    const conf = readFileSync(join(redisDir(ordinal), "redis.conf"), "utf8");
    expect(conf).toMatch(new RegExp(`^replicaof (?!${victim.replaceAll(".", "\\.")} )`, "m"));
    redisProcesses.set(victim, start("redis-server", join(redisDir(ordinal), "redis.conf"), join(redisDir(ordinal), "log")));
    await cartEverywhere("cart:dave", "9SIQT8TOJO", "3");
    await cartEverywhere("cart:carol", "L9ECAV7KIM", "1");
  }, 90_000);

  it("killing the master elects a new one once down-after-milliseconds has passed (not before, and within 10 s more), and a cart written before survives", async () => {
    const victim = master();
    cli(victim, redisPort, "hset", "cart:alice", "OLJCESPC7Z", "2");
    await waitFor("both replicas to acknowledge the write", () => cli(victim, redisPort, "wait", "2", "1000") === "2");
    const stoppedAt = Date.now();
    killRedis(victim);
    const newMaster = await waitFor("a new master", () => master() !== victim && master(), 60_000);
    await waitFor("the new master to accept writes", () => role(newMaster) === "master");
    const failoverMs = Date.now() - stoppedAt;
    const downAfterMs = Number(envOf(rendered.sentinelInit).DOWN_AFTER_MS!.value);
    console.log(`redis sentinel failover: ${failoverMs} ms (down-after-milliseconds ${downAfterMs})`);
    // Sentinels must not act on a master that is merely slow, and an election must not drag on.
    expect(failoverMs).toBeGreaterThanOrEqual(downAfterMs);
    expect(failoverMs).toBeLessThan(downAfterMs + 10_000);
    expect(cli(newMaster, redisPort, "hget", "cart:alice", "OLJCESPC7Z")).toBe("2");
    cli(newMaster, redisPort, "hset", "cart:bob", "66VCHSJNUP", "1");
    const other = redisHosts.find((h) => h !== newMaster && h !== victim)!;
    await waitFor("the remaining replica to follow the new master", () => cli(other, redisPort, "hget", "cart:bob", "66VCHSJNUP") === "1");
  }, 90_000);
});

describe("the Redis scripts' waits are seconds on the clock, however long each check takes", () => {
  // A sentinel that starts a failover when asked but then never answers: every later question
  // takes redis-cli's `timeout 3`, so one pass of a wait loop lasts about 4 s, not 1.
  const host = "127.0.0.31";
  let sentinel: Server;
  let port: number;
  let sentinelFakePort: number;
  let dir: string;
  let slowFrom = Number.POSITIVE_INFINITY;
  let asked = 0;
  let redis: ChildProcess | undefined;

  /** Runs a rendered script without blocking this process (the fake sentinel answers from here); resolves with exit code, stderr and seconds taken. */
  function runAsync(script: string, container: Json, overrides: Record<string, string>): Promise<{ status: number | null; stderr: string; seconds: number }> {
    const env = Object.fromEntries(Object.entries(envOf(container)).filter(([, e]) => e.value !== undefined).map(([name, e]) => [name, String(e.value)]));
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn("sh", [join(dir, script)], { env: { PATH: process.env.PATH, ...env, REDIS_PASSWORD: password, ...overrides }, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (status) => resolve({ status, stderr, seconds: (Date.now() - started) / 1000 }));
    });
  }

  beforeAll(async () => {
    [port, sentinelFakePort] = [await freePort(), await freePort()];
    dir = mkdtempSync(join(tmpdir(), "redis-waits-"));
    for (const name of ["redis-init.sh", "redis-prestop.sh"]) writeFileSync(join(dir, name), rendered.scripts[name]!);
    mkdirSync(join(dir, "data"));
    // A real Redis master: the stopping pod in preStop; as 127.0.0.32, a live peer for the init.
    redis = spawn("redis-server", ["--bind", host, "127.0.0.32", "--port", String(port), "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
    await waitFor("redis to answer", () => cli(host, port, "ping") === "PONG");
    sentinel = createServer((socket) => {
      socket.on("data", (chunk) => {
        for (const command of chunk.toString().split(/\*[0-9]+\r\n/).filter(Boolean)) {
          const words = command.split("\r\n").filter((_, i) => i % 2 === 1);
          const name = words.join(" ").toLowerCase();
          if (name.startsWith("auth") || name.includes("failover")) socket.write("+OK\r\n");
          else if (name.includes("get-master-addr-by-name") && ++asked < slowFrom) socket.write(`*2\r\n$${host.length}\r\n${host}\r\n$${String(port).length}\r\n${port}\r\n`);
          // anything else, and the master's address from the slowFrom-th question on: no answer
        }
      });
    });
    await new Promise<void>((resolve) => sentinel.listen(sentinelFakePort, "127.0.0.1", resolve));
  });

  afterAll(() => {
    // This block's own server: the first block's afterAll has run before it started.
    redis?.kill("SIGKILL");
    sentinel?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a master's preStop gives up after HANDOVER_WAIT_SECONDS of clock time", async () => {
    [asked, slowFrom] = [0, 1];
    const run = await runAsync("redis-prestop.sh", rendered.redis, { SELF_HOST: host, LOCAL_HOST: host, REDIS_PORT: String(port), SENTINEL_HOST: "127.0.0.1", SENTINEL_PORT: String(sentinelFakePort), HANDOVER_WAIT_SECONDS: "3" });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^redis-prestop: still master after [3-8]s; stopping anyway$/m);
    expect(run.seconds).toBeGreaterThanOrEqual(2); // date +%s counts whole seconds
    expect(run.seconds).toBeLessThan(9);
  }, 60_000);

  it("an init on an empty volume, named master, gives up waiting for the failover after FAILOVER_WAIT_SECONDS of clock time", async () => {
    // The sentinel names this pod master once, then never answers again.
    [asked, slowFrom] = [0, 2];
    const run = await runAsync("redis-init.sh", rendered.redisInit, { SELF_HOST: host, REDIS_PEERS: `${host} 127.0.0.32`, REDIS_PORT: String(port), INITIAL_MASTER_HOST: host, SENTINEL_HOST: "127.0.0.1", SENTINEL_PORT: String(sentinelFakePort), DATA_DIR: join(dir, "data"), CONF_DIR: dir, BASE_CONF: "/dev/null", FAILOVER_WAIT_SECONDS: "3", MASTER_NAME: "mymaster" });
    expect(run.stderr).toMatch(/^redis-init: no other master after [3-8]s; exiting so that the kubelet retries/m);
    expect(run.status).toBe(1);
    expect(run.seconds).toBeGreaterThanOrEqual(2); // date +%s counts whole seconds
    expect(run.seconds).toBeLessThan(9);
  }, 60_000);
});

describe("the Redis scripts refuse a password the setup cannot carry", () => {
  // cartservice's connection string splits on "," and "="; redis.conf on spaces and "#".
  it.each([
    ["a comma", "abcdefgh,ijklmnopq"],
    ["an equals sign", "abcdefgh=ijklmnopq"],
    ["a hash", "abcdefgh#ijklmnopq"],
    ["a space", "abcdefgh ijklmnopq"],
    ["fewer than 16 characters", "short"],
  ])("%s", (_, bad) => {
    const dir = mkdtempSync(join(tmpdir(), "redis-password-"));
    try {
      writeFileSync(join(dir, "init.sh"), rendered.scripts["redis-init.sh"]!);
      const result = spawnSync("sh", [join(dir, "init.sh")], { env: { PATH: process.env.PATH, REDIS_PASSWORD: bad, CONF_DIR: dir }, encoding: "utf8" });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^redis-init: Secret redis-auth: the password must be at least 16 characters of A-Z a-z 0-9 \. _ ~ - .*openssl rand -hex 32$/m);
      expect(result.stderr).not.toContain(bad);
      expect(existsSync(join(dir, "redis.conf"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
