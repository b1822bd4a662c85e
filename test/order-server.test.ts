// The service in-process (startServer): what a caller of SendOrderConfirmation is answered for each
// outcome, what is logged and counted, how it starts with PostgreSQL up, down or broken, and how it
// shuts down. A real PostgreSQL behind a TCP proxy (an outage is a closed port), gRPC clients on
// the real proto, the service's own logger captured.
import * as grpc from "@grpc/grpc-js";
import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import type { Config } from "../services/order-persistence/src/config";
import type { Logger } from "../services/order-persistence/src/log";
import { defaultMigrationsDir } from "../services/order-persistence/src/paths";
import type { PersisterOptions } from "../services/order-persistence/src/persister";
import { startServer, type RunningServer, type ServerOptions } from "../services/order-persistence/src/server";
import { spoolFileName } from "../services/order-persistence/src/spool";
import { freePort } from "./support/postgres";
import { capturedLogs, healthStatus, metricsText, money, orderDatabaseForFile, orderRequest, portIsClosed, protos, sample, send, spoolFiles, waitFor, type Clients, type LogEntry } from "./support/order-service";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

const database = orderDatabaseForFile("server");
const { testbed, db, cleanups } = database;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>) => waitFor(what, probe, 5_000, 10);
const fast: PersisterOptions = { initialBackoffMs: 20, maxBackoffMs: 80, outageProbeMs: 20 };
const storedIds = async () => (await database.check.query<{ order_id: string }>("SELECT order_id FROM orders ORDER BY order_id")).rows.map((row) => row.order_id);

interface Served {
  server: RunningServer;
  proxy: TcpProxy;
  config: Config;
  c: Clients;
  logs: LogEntry[];
  logged(msg: string): LogEntry[];
  metric(series: string): Promise<number | undefined>;
}

interface ServeOptions {
  config?: Partial<Config>;
  server?: ServerOptions;
  /** The proxy's state at startup: "drop" and "refuse" are PostgreSQL down. */
  database?: "up" | "drop" | "refuse";
  logger?: (logger: Logger) => Logger;
  /** Database behind the proxy (default: the file's migrated one). */
  database_name?: string;
}

async function proxyTo(): Promise<TcpProxy> {
  const proxy = await startTcpProxy(testbed.postgres.port);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function serve(options: ServeOptions = {}): Promise<Served> {
  const proxy = await proxyTo();
  if (options.database && options.database !== "up") await proxy.down(options.database);
  const captured = capturedLogs();
  const config = testbed.config(db, {
    databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/${options.database_name ?? db}`,
    logger: options.logger ? options.logger(captured.logger) : captured.logger,
    ...options.config,
  });
  const server = await startServer(config, { persister: fast, migrationRetryMs: 50, ...options.server });
  cleanups.push(() => server.close());
  return {
    server,
    proxy,
    config,
    c: testbed.clients(server.port),
    logs: captured.entries,
    logged: captured.withMessage,
    metric: async (series) => sample(await metricsText(server.metricsPort), series),
  };
}

/** Replaces the spool directory by a file: every spool write fails (ENOTDIR). Returns the repair. */
function breakSpool(dir: string): () => void {
  renameSync(dir, `${dir}.away`);
  writeFileSync(dir, "");
  return () => {
    rmSync(dir);
    renameSync(`${dir}.away`, dir);
  };
}

/** The service's migrations plus one that fails (not an outage). */
function brokenMigrations(): string {
  const dir = testbed.tempDir("broken-migrations-");
  cpSync(defaultMigrationsDir, dir, { recursive: true });
  writeFileSync(join(dir, "003_broken.sql"), "ALTER TABLE no_such_table ADD COLUMN x int;\n");
  return dir;
}

describe("SendOrderConfirmation: the answer per outcome", () => {
  it("an order is stored, forwarded and answered OK; logged with its outcome and fields; its duration observed in seconds under its outcome", async () => {
    const email = await testbed.fakeEmailService();
    const s = await serve({ config: { emailServiceAddr: email.address } });
    expect(s.logged("listening")).toEqual([
      expect.objectContaining({ level: "info", port: s.server.port, metricsPort: s.server.metricsPort, spoolDir: s.config.spoolDir, spoolDepth: 0, emailService: email.address }),
    ]);
    expect(s.logged("migrations done")).toEqual([expect.objectContaining({ level: "info", applied: [], alreadyApplied: 2 })]);
    expect(s.logged("serving")).toEqual([expect.objectContaining({ level: "info", port: s.server.port })]);

    expect(await send(s.c, orderRequest("order-1"))).toBeNull();
    expect(await send(s.c, orderRequest("order-1"))).toBeNull();
    await s.proxy.down();
    expect(await send(s.c, orderRequest("order-2"))).toBeNull();
    expect(email.calls.map((call) => call.order!.order_id)).toEqual(["order-1", "order-1", "order-2"]);
    expect(s.logged("order persisted").map(({ orderId, outcome, total, currency, items }) => ({ orderId, outcome, total, currency, items }))).toEqual([
      { orderId: "order-1", outcome: "stored", total: "35.980000000", currency: "USD", items: 2 },
      { orderId: "order-1", outcome: "duplicate", total: "35.980000000", currency: "USD", items: 2 },
      { orderId: "order-2", outcome: "spooled", total: "35.980000000", currency: "USD", items: 2 },
    ]);
    const text = await metricsText(s.server.metricsPort);
    for (const outcome of ["stored", "duplicate", "spooled"]) {
      expect(sample(text, `order_persist_duration_seconds_count{outcome="${outcome}"}`), outcome).toBe(1);
      const seconds = sample(text, `order_persist_duration_seconds_sum{outcome="${outcome}"}`)!;
      expect(seconds, outcome).toBeGreaterThan(0);
      expect(seconds, outcome).toBeLessThan(2);
    }
    expect(spoolFiles(s.config.spoolDir)).toEqual([spoolFileName("order-2")]);
    expect(await storedIds()).toEqual(["order-1"]);
  });

  it("an order the rules refuse is INVALID_ARGUMENT with the reason: counted, logged, neither stored nor forwarded; a request without an order too", async () => {
    const email = await testbed.fakeEmailService();
    const s = await serve({ config: { emailServiceAddr: email.address } });
    const zero = await send(s.c, orderRequest("order-zero", { items: [["A", 0, money("USD", "1", 0)]] }));
    expect(zero?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(zero?.details).toBe("order.items[0].item.quantity must be positive, got 0");
    const none = await send(s.c, { email: "someone@example.com", order: null });
    expect(none?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(none?.details).toBe("order is missing");
    expect(s.logged("order rejected")).toEqual([
      expect.objectContaining({ level: "warn", orderId: "order-zero", reason: "order.items[0].item.quantity must be positive, got 0" }),
      expect.objectContaining({ level: "warn", reason: "order is missing" }),
    ]);
    expect(s.logged("order rejected")[1]).not.toHaveProperty("orderId");
    expect(await s.metric("orders_rejected_total")).toBe(2);
    expect(email.calls).toEqual([]);
    expect(await storedIds()).toEqual([]);
  });

  it("a repeat with other content is ALREADY_EXISTS: not forwarded, and not logged as a failure to persist", async () => {
    const email = await testbed.fakeEmailService();
    const s = await serve({ config: { emailServiceAddr: email.address } });
    expect(await send(s.c, orderRequest("order-1"))).toBeNull();
    const conflict = await send(s.c, orderRequest("order-1", { items: [["OTHER", 5, money("USD", "100", 0)]] }));
    expect(conflict?.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(conflict?.details).toBe("order order-1 is already stored with other content");
    expect(email.calls).toHaveLength(1);
    expect(s.logged("order could not be persisted")).toEqual([]);
    expect(await s.metric("orders_conflicting_total")).toBe(1);
  });

  it("an order neither PostgreSQL nor the spool can take is UNAVAILABLE (worth a retry): logged, not forwarded, never acknowledged", async () => {
    const email = await testbed.fakeEmailService();
    const s = await serve({ config: { emailServiceAddr: email.address } });
    await s.proxy.down();
    const repair = breakSpool(s.config.spoolDir);
    try {
      const error = await send(s.c, orderRequest("nowhere"));
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(error?.details).toBe("neither PostgreSQL nor the spool could take the order");
    } finally {
      repair();
    }
    expect(s.logged("order could not be persisted")).toEqual([expect.objectContaining({ level: "error", orderId: "nowhere", error: expect.objectContaining({ name: "OrderNotKeptError" }) })]);
    expect(email.calls).toEqual([]);
    expect(spoolFiles(s.config.spoolDir)).toEqual([]);
  });

  it("an order PostgreSQL refuses for a reason validation does not know is INTERNAL, without the database's words: logged, not forwarded", async () => {
    const email = await testbed.fakeEmailService();
    const s = await serve({ config: { emailServiceAddr: email.address } });
    testbed.failInserts(db, "refused%", "P0001");
    const error = await send(s.c, orderRequest("refused-1"));
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toBe("order could not be persisted");
    expect(s.logged("order could not be persisted")).toEqual([expect.objectContaining({ level: "error", orderId: "refused-1", error: expect.objectContaining({ code: "P0001" }) })]);
    expect(email.calls).toEqual([]);
    expect(spoolFiles(s.config.spoolDir)).toEqual([]);
  });

  it("an unexpected error while handling a call (here: the log sink throws) is INTERNAL 'internal error' and logged; the caller is never left waiting", async () => {
    const s = await serve({
      logger: (logger) => ({
        ...logger,
        info: (msg, fields) => {
          if (msg === "order persisted") throw new Error("log sink broken");
          logger.info(msg, fields);
        },
      }),
    });
    const error = await send(s.c, orderRequest("order-1"));
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toBe("internal error");
    expect(s.logged("unexpected error in SendOrderConfirmation")).toEqual([expect.objectContaining({ level: "error", error: expect.objectContaining({ message: "log sink broken" }) })]);
  });

  it("a message over 1 MiB is refused before it is decoded (RESOURCE_EXHAUSTED), not judged as an order", async () => {
    const s = await serve();
    const error = await send(s.c, orderRequest("order-huge", { items: [["P".repeat(1_100_000), 1, money("USD", "1", 0)]] }));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await s.metric("orders_rejected_total")).toBe(0);
    expect(s.logged("order rejected")).toEqual([]);
  });
});

describe("listening", () => {
  it("an IPv6 address is bound as [host]:port, gRPC and metrics; without an emailservice 'listening' says so (null)", async () => {
    const s = await serve({ config: { host: "::1" } });
    const health = new protos.Health(`[::1]:${s.server.port}`, grpc.credentials.createInsecure());
    try {
      const status = await new Promise<string>((resolve, reject) =>
        (health as unknown as { Check(request: object, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void }).Check(
          { service: "" },
          { deadline: Date.now() + 5_000 },
          (error, response) => (error ? reject(error) : resolve(response!.status)),
        ),
      );
      expect(status).toBe("SERVING");
    } finally {
      health.close();
    }
    expect((await fetch(`http://[::1]:${s.server.metricsPort}/metrics`)).status).toBe(200);
    expect(s.logged("listening")).toEqual([expect.objectContaining({ emailService: null })]);
  });

  it("GET /metrics (any query) is the registry's text; other paths and methods are 404", async () => {
    const s = await serve();
    const base = `http://127.0.0.1:${s.server.metricsPort}`;
    const metrics = await fetch(`${base}/metrics?name[]=x`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^# HELP /m);
    for (const [path, method] of [["/", "GET"], ["/metricsx", "GET"], ["/metrics", "POST"]] as const) {
      const response = await fetch(`${base}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.text()).toBe("not found\n");
    }
  });

  it("a metrics port already taken fails startup (EADDRINUSE) and leaves nothing listening", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = await freePort();
    const proxy = await proxyTo();
    const config = testbed.config(db, { port, metricsPort: (taken.address() as { port: number }).port, databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/${db}` });
    await expect(startServer(config)).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(await portIsClosed(port)).toBe(true);
  });
});

describe("starting with PostgreSQL down or broken", () => {
  it("PostgreSQL down: listens NOT_SERVING and spools; retries the migrations from migrationRetryMs, doubling; SERVING once they ran, and the spool drains", async () => {
    const s = await serve({ database: "drop", server: { migrationRetryMs: 50 } });
    expect(s.logged("database unavailable at startup: spooling orders, retrying migrations")).toEqual([expect.objectContaining({ level: "warn", error: expect.objectContaining({ message: expect.stringMatching(/connection terminated/i) }) })]);
    expect(await healthStatus(s.c)).toBe("NOT_SERVING");
    expect(await send(s.c, orderRequest("early"))).toBeNull();
    expect(spoolFiles(s.config.spoolDir)).toEqual([spoolFileName("early")]);
    await until("four retries", () => s.proxy.connections.length >= 5);
    const waits = s.proxy.connections.slice(0, 5).map((at, i, all) => (i === 0 ? 0 : at - all[i - 1]!)).slice(1);
    // 50, 100, 200, 400 ms.
    expect(waits[0]).toBeGreaterThanOrEqual(45);
    expect(waits[0]).toBeLessThan(500);
    // Doubling: timers fire late under load, never early, so each wait is at least its doubled
    // nominal (50, 100, 200, 400 ms, less a timer's slack); a constant wait fails from the second.
    for (let i = 1; i < waits.length; i++) expect(waits[i]!, `wait ${i}`).toBeGreaterThanOrEqual(45 * 2 ** i);
    expect(s.logged("serving")).toEqual([]);
    await s.proxy.up();
    await until("SERVING", async () => (await healthStatus(s.c)) === "SERVING");
    expect(s.logged("serving")).toHaveLength(1);
    await until("the spool to drain", () => spoolFiles(s.config.spoolDir).length === 0);
    expect(await storedIds()).toEqual(["early"]);
  });

  it("without migrationRetryMs the first retry waits a second", async () => {
    const s = await serve({ database: "drop", server: { migrationRetryMs: undefined } });
    await sleep(500);
    expect(s.proxy.connections).toHaveLength(1);
  });

  it("closed while waiting to retry the migrations: the retries end at once, no attempt is made any more", async () => {
    const s = await serve({ database: "drop", server: { migrationRetryMs: 300 } });
    await s.server.close();
    await sleep(600);
    expect(s.proxy.connections).toHaveLength(1);
    expect(s.logged("migrations failed")).toEqual([]);
    expect(s.logged("serving")).toEqual([]);
  });

  it("closed while the retried migrations run: they finish, but the server does not report SERVING", async () => {
    const s = await serve({ database: "drop", server: { migrationRetryMs: 20 } });
    // Holds the migrations' advisory lock (migrate.ts), so that the retried run waits inside PostgreSQL.
    const holder = new pg.Client({ connectionString: testbed.postgres.url(db) });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query("SELECT pg_advisory_lock(7237450479001)");
    await s.proxy.up();
    await until("the migrations to wait for the lock", async () => Number((await database.check.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'")).rows[0]!.n) === 1);
    const closing = s.server.close();
    await sleep(50);
    await holder.query("SELECT pg_advisory_unlock(7237450479001)");
    await closing;
    expect(s.logged("migrations done")).toHaveLength(1);
    expect(s.logged("serving")).toEqual([]);
  });

  it("a migration that fails for another reason at startup fails startServer: logged, both ports closed again", async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const captured = capturedLogs();
    const proxy = await proxyTo();
    const config = testbed.config(db, { port, metricsPort, migrationsDir: brokenMigrations(), logger: captured.logger, databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/${db}` });
    await expect(startServer(config)).rejects.toThrow(/migration 003_broken\.sql failed/);
    expect(captured.withMessage("migrations failed")).toEqual([expect.objectContaining({ level: "error", error: expect.objectContaining({ message: expect.stringMatching(/003_broken/) }) })]);
    expect(captured.withMessage("database unavailable at startup: spooling orders, retrying migrations")).toEqual([]);
    expect(await portIsClosed(port)).toBe(true);
    expect(await portIsClosed(metricsPort)).toBe(true);
  });

  it("a migration that fails for another reason once PostgreSQL is back: logged, NOT_SERVING stays, no more retries", async () => {
    const s = await serve({ database: "drop", config: { migrationsDir: brokenMigrations() }, server: { migrationRetryMs: 20 } });
    await s.proxy.up();
    await until("the migration failure", () => s.logged("migrations failed").length === 1);
    expect(s.logged("migrations failed")[0]).toEqual(expect.objectContaining({ level: "error", error: expect.objectContaining({ message: expect.stringMatching(/003_broken/) }) }));
    const attempts = s.proxy.connections.length;
    await sleep(300);
    expect(s.proxy.connections.length).toBe(attempts);
    expect(await healthStatus(s.c)).toBe("NOT_SERVING");
  });
});

describe("shutdown", () => {
  it("close() logs 'shutting down' with the calls in flight (finished ones are not) and the delay, then 'stopped' with the spool depth", async () => {
    const s = await serve({ config: { shutdownDelayMs: 100 } });
    expect(await send(s.c, orderRequest("order-1"))).toBeNull();
    await s.proxy.down();
    expect(await send(s.c, orderRequest("order-2"))).toBeNull();
    const started = Date.now();
    await s.server.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(s.logged("shutting down")).toEqual([expect.objectContaining({ level: "info", inFlight: 0, delayMs: 100 })]);
    expect(s.logged("stopped")).toEqual([expect.objectContaining({ level: "info", spoolDepth: 1 })]);
  });

  it("a server that never became SERVING closes without the delay", async () => {
    const s = await serve({ database: "refuse", config: { shutdownDelayMs: 5_000 }, server: { migrationRetryMs: 30_000 } });
    const started = Date.now();
    await s.server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s.logged("shutting down")).toEqual([expect.objectContaining({ delayMs: 0 })]);
  });

  it("calls still running after the shutdown timeout are cut off, and close() still waits for their handlers before it stops", async () => {
    const email = await testbed.fakeEmailService("hang");
    const s = await serve({ config: { emailServiceAddr: email.address, emailTimeoutMs: 800, shutdownTimeoutMs: 100 } });
    const call = send(s.c, orderRequest("in-flight"));
    await until("the call to reach the emailservice", () => email.calls.length === 1);
    const started = Date.now();
    await s.server.close();
    // The handler waits for the emailservice's deadline (800 ms) before it is done.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(s.logged("shutdown timeout: cancelling remaining calls")).toEqual([expect.objectContaining({ level: "warn", inFlight: 1 })]);
    const order = s.logs.map((entry) => entry.msg);
    expect(order.indexOf("forwarding to emailservice failed")).toBeGreaterThan(order.indexOf("shutdown timeout: cancelling remaining calls"));
    expect(order.indexOf("stopped")).toBeGreaterThan(order.indexOf("forwarding to emailservice failed"));
    expect((await call)?.code).toBeDefined();
    expect(await storedIds()).toEqual(["in-flight"]);
  });
});
