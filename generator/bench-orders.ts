// Throughput of the order persistence service against a local PostgreSQL, next to what the same
// gRPC calls reach through a server that only forwards them (the ceiling for any gRPC tee on this
// machine), and to raw batched INSERTs of the same rows with pg. Exits 1 when a target is missed.
//   npx tsx generator/bench-orders.ts [--orders 5000] [--concurrency 64] [--pool 10] [--batch 100]
//                                     [--warmup 2000] [--email on|off] [--latency-calls 1000] [--profile out.cpuprofile]
//                                     [--target-rate 2000] [--target-share 0.5]
// The service runs in this process's main thread; the load driver (checkout's role) and a fake
// emailservice run in a worker thread. --email off skips forwarding. --profile writes a V8 CPU
// profile of the main thread during the measured run (open it in Chrome DevTools).
// Both runs share one PostgreSQL (test harness: fsync=off), so the comparison is about what the
// service adds — gRPC, validation, one transaction per order — not about disk flushes.
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import pg from "pg";
import { silentLogger } from "../services/order-persistence/src/log";
import type { SendOrderConfirmationRequest } from "../services/order-persistence/src/messages";
import { migrate } from "../services/order-persistence/src/migrate";
import { toOrderRecord, type OrderRecord } from "../services/order-persistence/src/order";
import { defaultMigrationsDir } from "../services/order-persistence/src/paths";
import { loadProtos } from "../services/order-persistence/src/proto";
import { startServer } from "../services/order-persistence/src/server";
import { startPostgres } from "../test/support/postgres";

const { values: args } = parseArgs({
  options: {
    orders: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "64" },
    pool: { type: "string", default: "10" },
    batch: { type: "string", default: "100" },
    // Steady state is what a long-running service sees: with 500 warm-up calls the measured run
    // still paid for JIT compilation (about 15 % fewer orders/s on 5,000 orders).
    warmup: { type: "string", default: "2000" },
    email: { type: "string", default: "on" },
    "latency-calls": { type: "string", default: "1000" },
    profile: { type: "string" },
    "target-rate": { type: "string", default: "2000" },
    "target-share": { type: "string", default: "0.5" },
  },
});
const ORDERS = Number(args.orders);
const CONCURRENCY = Number(args.concurrency);
const POOL = Number(args.pool);
const BATCH = Number(args.batch);
const WARMUP = Number(args.warmup);
const LATENCY_CALLS = Number(args["latency-calls"]);

/**
 * What the service must reach on the development machine (2 cores shared with the load driver,
 * the fake emailservice and PostgreSQL). Relative to the pass-through, not to raw INSERTs: gRPC
 * calls alone reach a fraction of batched INSERTs on 2 cores, so no tee could reach half of them.
 */
const targets = { ordersPerSecond: Number(args["target-rate"]), shareOfPassThrough: Number(args["target-share"]) };

const PRODUCTS = ["OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ"];

function makeOrder(id: string, i: number): SendOrderConfirmationRequest {
  return {
    email: `user${i % 1000}@example.com`,
    order: {
      order_id: id,
      shipping_tracking_id: `TRK-${i}`,
      shipping_cost: { currency_code: "USD", units: "8", nanos: 990000000 },
      shipping_address: { street_address: "1600 Amphitheatre Parkway", city: "Mountain View", state: "CA", country: "United States", zip_code: 94043 },
      items: [0, 1, 2].map((k) => ({
        item: { product_id: PRODUCTS[(i + k) % PRODUCTS.length]!, quantity: 1 + ((i + k) % 4) },
        cost: { currency_code: "USD", units: String(10 + ((i * 7 + k) % 90)), nanos: ((i * 13 + k) % 100) * 10_000_000 },
      })),
    },
  };
}

/** CPU seconds used so far by all PostgreSQL processes (Linux /proc; 0 elsewhere). */
function postgresCpuSeconds(): number {
  let ticks = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== "postgres") continue;
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // The process ended between readdir and read.
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Busy fraction of the whole machine, of this Node process and of PostgreSQL (in cores) between two snapshots. */
function cpuSnapshot(): { machine: { idle: number; total: number }; process: NodeJS.CpuUsage; postgres: number; at: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq + cpu.times.idle;
  }
  return { machine: { idle, total }, process: process.cpuUsage(), postgres: postgresCpuSeconds(), at: performance.now() };
}

function cpuSince(before: ReturnType<typeof cpuSnapshot>): string {
  const after = cpuSnapshot();
  const machineBusy = 1 - (after.machine.idle - before.machine.idle) / (after.machine.total - before.machine.total);
  const used = process.cpuUsage(before.process);
  const nodeCores = (used.user + used.system) / 1000 / (after.at - before.at);
  const postgresCores = ((after.postgres - before.postgres) * 1000) / (after.at - before.at);
  return `machine ${(machineBusy * 100).toFixed(0)} % busy of ${cpus().length} cores; this Node process ${nodeCores.toFixed(2)} cores, PostgreSQL ${postgresCores.toFixed(2)} cores`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface EmailClient extends grpc.Client {
  SendOrderConfirmation(request: SendOrderConfirmationRequest, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): void;
}

// ---- load driver (worker thread) ------------------------------------------------------------
// Checkout (the caller) and the real emailservice are other processes in a cluster; here they
// share a worker thread, so that the service's own event loop (the main thread) does only the
// service's work and the measured rate is not capped by the client's CPU in the same loop.

interface RunRequest {
  type: "run";
  /** host:port to call */
  target: string;
  prefix: string;
  count: number;
  concurrency: number;
}

interface RunResult {
  type: "result";
  seconds: number;
  latencies: number[];
  errors: number;
  /** Event-loop utilisation of the driver thread during the run (1 = saturated). */
  utilisation: number;
}

async function driveService(client: EmailClient, requests: SendOrderConfirmationRequest[], concurrency: number): Promise<{ seconds: number; latencies: number[]; errors: number }> {
  const latencies: number[] = new Array(requests.length);
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      const started = performance.now();
      await new Promise<void>((resolve) =>
        client.SendOrderConfirmation(requests[index]!, { deadline: Date.now() + 30_000 }, (error) => {
          if (error) errors++;
          resolve();
        }),
      );
      latencies[index] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000, latencies, errors };
}

async function driverThread(): Promise<void> {
  const port = parentPort!;
  const protos = loadProtos();
  // The stand-in emailservice: accepts everything.
  const email = new grpc.Server();
  email.addService(protos.EmailService.service, { SendOrderConfirmation: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, {}) });
  const emailPort = await new Promise<number>((resolve, reject) => email.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const clients = new Map<string, EmailClient>();
  port.on("message", async (message: RunRequest | { type: "stop" }) => {
    if (message.type === "stop") {
      for (const client of clients.values()) client.close();
      email.forceShutdown();
      port.close();
      return;
    }
    let client = clients.get(message.target);
    if (!client) {
      client = new protos.EmailService(message.target, grpc.credentials.createInsecure()) as unknown as EmailClient;
      clients.set(message.target, client);
    }
    const requests = Array.from({ length: message.count }, (_, i) => makeOrder(`${message.prefix}-${i}`, i));
    const before = performance.eventLoopUtilization();
    const run = await driveService(client, requests, message.concurrency);
    const result: RunResult = { type: "result", ...run, utilisation: performance.eventLoopUtilization(before).utilization };
    port.postMessage(result);
  });
  port.postMessage({ type: "ready", emailAddr: `127.0.0.1:${emailPort}` });
}

/** Runs the load driver in a worker thread; run() sends one batch of calls and awaits the result. */
async function startDriver(): Promise<{ emailAddr: string; run(request: Omit<RunRequest, "type">): Promise<RunResult>; stop(): Promise<void> }> {
  // This file is TypeScript and Node 20's worker threads do not inherit tsx's loader: register it
  // in the worker first, then load this same file (which takes the driverThread() branch).
  const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(bootstrap, { eval: true, argv: process.argv.slice(2) });
  const ready = await new Promise<{ emailAddr: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    emailAddr: ready.emailAddr,
    run: (request) =>
      new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.postMessage({ type: "run", ...request } satisfies RunRequest);
      }),
    stop: async () => {
      worker.postMessage({ type: "stop" });
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

/**
 * A reference server of the service's shape without persistence: it answers each call after
 * forwarding it to the emailservice (or at once, without one). What the gRPC transport and the
 * forward cost on this machine; the service can only be slower.
 */
async function startPassThrough(emailAddr: string | undefined): Promise<{ target: string; close(): void }> {
  const protos = loadProtos();
  const email = emailAddr === undefined ? undefined : (new protos.EmailService(emailAddr, grpc.credentials.createInsecure()) as unknown as EmailClient);
  const server = new grpc.Server();
  server.addService(protos.EmailService.service, {
    SendOrderConfirmation: (call: grpc.ServerUnaryCall<SendOrderConfirmationRequest, object>, callback: grpc.sendUnaryData<object>) => {
      if (!email) return callback(null, {});
      email.SendOrderConfirmation(call.request, { deadline: Date.now() + 5_000 }, () => callback(null, {}));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    target: `127.0.0.1:${port}`,
    close: () => {
      email?.close();
      server.forceShutdown();
    },
  };
}

function summary(latencies: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** The same rows, multi-row INSERTs, one transaction per `batch` orders, one connection. */
async function baseline(pool: pg.Pool, records: OrderRecord[], batch: number): Promise<number> {
  const client = await pool.connect();
  const started = performance.now();
  try {
    for (let start = 0; start < records.length; start += batch) {
      const chunk = records.slice(start, start + batch);
      const orderValues: unknown[] = [];
      const orderRows = chunk.map((o) => {
        const base = orderValues.length;
        orderValues.push(o.orderId, o.userId, o.shippingTrackingId, o.shippingCostCurrency, o.shippingCost, o.totalCurrency, o.total, o.streetAddress, o.city, o.state, o.country, o.zipCode);
        return `(${Array.from({ length: 12 }, (_, k) => `$${base + k + 1}`).join(",")})`;
      });
      const itemValues: unknown[] = [];
      const itemRows = chunk.flatMap((o) =>
        o.items.map((item) => {
          const base = itemValues.length;
          itemValues.push(o.orderId, item.line, item.productId, item.quantity, item.unitPriceCurrency, item.unitPrice);
          return `(${Array.from({ length: 6 }, (_, k) => `$${base + k + 1}`).join(",")})`;
        }),
      );
      await client.query("BEGIN");
      await client.query(`INSERT INTO orders (order_id, user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code) VALUES ${orderRows.join(",")}`, orderValues);
      await client.query(`INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_currency, unit_price) VALUES ${itemRows.join(",")}`, itemValues);
      await client.query("COMMIT");
    }
  } finally {
    client.release();
  }
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const postgres = await startPostgres({ settings: { max_connections: "200" } });
  const spoolDir = mkdtempSync(join(tmpdir(), "bench-spool-"));
  const cleanups: (() => Promise<void> | void)[] = [() => postgres.destroy(), () => rmSync(spoolDir, { recursive: true, force: true })];
  try {
    postgres.sql("CREATE DATABASE bench_service");
    postgres.sql("CREATE DATABASE bench_baseline");
    const driver = await startDriver();
    cleanups.unshift(() => driver.stop());
    const forwarding = args.email !== "off";

    const server = await startServer({
      host: "127.0.0.1",
      port: 0,
      metricsPort: 0,
      databaseUrl: postgres.url("bench_service"),
      poolSize: POOL,
      emailServiceAddr: forwarding ? driver.emailAddr : undefined,
      emailTimeoutMs: 5_000,
      spoolDir,
      migrationsDir: defaultMigrationsDir,
      shutdownDelayMs: 0,
      shutdownTimeoutMs: 10_000,
      logger: silentLogger,
    });
    cleanups.unshift(() => server.close());
    const target = `127.0.0.1:${server.port}`;
    const passThrough = await startPassThrough(forwarding ? driver.emailAddr : undefined);
    cleanups.unshift(() => passThrough.close());

    await driver.run({ target, prefix: "warmup", count: WARMUP, concurrency: CONCURRENCY });
    await driver.run({ target: passThrough.target, prefix: "warmup", count: WARMUP, concurrency: CONCURRENCY });
    const profiler = args.profile === undefined ? undefined : new Session();
    if (profiler) {
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.start");
    }
    const cpuBefore = cpuSnapshot();
    const eluBefore = performance.eventLoopUtilization();
    const run = await driver.run({ target, prefix: "bench", count: ORDERS, concurrency: CONCURRENCY });
    const serviceLoop = performance.eventLoopUtilization(eluBefore).utilization;
    const serviceCpu = cpuSince(cpuBefore);
    if (profiler) {
      const { profile } = await profiler.post("Profiler.stop");
      writeFileSync(args.profile!, JSON.stringify(profile));
      profiler.disconnect();
    }
    const reference = await driver.run({ target: passThrough.target, prefix: "reference", count: ORDERS, concurrency: CONCURRENCY });
    const stored = Number(postgres.sql("SELECT count(*) FROM orders WHERE order_id LIKE 'bench-%'", "bench_service").trim());
    const items = Number(postgres.sql("SELECT count(*) FROM order_items WHERE order_id LIKE 'bench-%'", "bench_service").trim());

    // Added latency, unloaded: one call at a time through the service (store + forward) versus
    // the same calls straight to the emailservice, which is what checkout would do without us.
    const direct = await driver.run({ target: driver.emailAddr, prefix: "direct", count: LATENCY_CALLS, concurrency: 1 });
    const through = await driver.run({ target, prefix: "latency", count: LATENCY_CALLS, concurrency: 1 });

    const basePool = new pg.Pool({ connectionString: postgres.url("bench_baseline"), max: 1 });
    cleanups.unshift(() => basePool.end());
    await migrate(basePool, defaultMigrationsDir);
    const records = Array.from({ length: ORDERS }, (_, i) => toOrderRecord(makeOrder(`bench-${i}`, i)));
    await baseline(basePool, Array.from({ length: WARMUP }, (_, i) => toOrderRecord(makeOrder(`warmup-${i}`, i))), BATCH);
    const baseCpuBefore = cpuSnapshot();
    const baseSeconds = await baseline(basePool, records, BATCH);
    const baseCpu = cpuSince(baseCpuBefore);

    const serviceRate = ORDERS / run.seconds;
    const referenceRate = ORDERS / reference.seconds;
    const baseRate = ORDERS / baseSeconds;
    const percent = (part: number, whole: number): string => `${((part / whole) * 100).toFixed(0)} %`;
    const missed = [
      ...(serviceRate < targets.ordersPerSecond ? [`${serviceRate.toFixed(0)} orders/s is under ${targets.ordersPerSecond}`] : []),
      ...(serviceRate < targets.shareOfPassThrough * referenceRate ? [`${percent(serviceRate, referenceRate)} of the pass-through is under ${percent(targets.shareOfPassThrough, 1)}`] : []),
    ];
    const ms = (v: number): string => `${v.toFixed(2)} ms`;
    const loaded = summary(run.latencies);
    const unloadedDirect = summary(direct.latencies);
    const unloadedThrough = summary(through.latencies);
    const lines = [
      `order persistence bench: ${ORDERS} orders × 3 items, concurrency ${CONCURRENCY}, pg pool ${POOL}, forwarding to a fake emailservice ${forwarding ? "on" : "off"}; ${cpus().length} cores`,
      `  service : ${serviceRate.toFixed(0).padStart(6)} orders/s   (${run.seconds.toFixed(2)} s; p50 ${ms(loaded.p50)}, p99 ${ms(loaded.p99)}, max ${ms(loaded.max)} under load; errors ${run.errors}; rows ${stored} orders / ${items} items)`,
      `            CPU: ${serviceCpu}; event loop busy: service ${(serviceLoop * 100).toFixed(0)} %, driver ${(run.utilisation * 100).toFixed(0)} %`,
      `  pass-through: ${referenceRate.toFixed(0).padStart(6)} orders/s   (the same calls through a server that only ${forwarding ? "forwards them" : "answers"}: no validation, no PostgreSQL)`,
      `  INSERTs : ${baseRate.toFixed(0).padStart(6)} orders/s   (${baseSeconds.toFixed(2)} s; multi-row INSERTs, ${BATCH} orders per transaction, 1 connection, no gRPC)`,
      `            CPU: ${baseCpu}`,
      `  ratio   : ${percent(serviceRate, referenceRate)} of the pass-through, ${percent(serviceRate, baseRate)} of raw INSERTs (the pass-through itself: ${percent(referenceRate, baseRate)})`,
      `  targets : ≥ ${targets.ordersPerSecond} orders/s and ≥ ${percent(targets.shareOfPassThrough, 1)} of the pass-through — ${missed.length === 0 ? "met" : `MISSED: ${missed.join("; ")}`}`,
      `  latency : one call at a time, ${LATENCY_CALLS} calls: through the service p50 ${ms(unloadedThrough.p50)}, p99 ${ms(unloadedThrough.p99)}; straight to the emailservice p50 ${ms(unloadedDirect.p50)}, p99 ${ms(unloadedDirect.p99)}`,
      `            added by the service: p50 ${ms(unloadedThrough.p50 - unloadedDirect.p50)}, p99 ${ms(unloadedThrough.p99 - unloadedDirect.p99)}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (run.errors + through.errors > 0 || stored !== ORDERS || items !== ORDERS * 3 || missed.length > 0) process.exitCode = 1;
  } finally {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

if (isMainThread) await main();
else await driverThread();
