// The order persistence service against a real PostgreSQL: migrations, exact money, idempotency,
// the spool through a database outage (live and across a restart), e-mail forwarding failures,
// health, graceful shutdown, and the bundled entry point the container image runs.
import * as grpc from "@grpc/grpc-js";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../services/order-persistence/src/config";
import { silentLogger } from "../services/order-persistence/src/log";
import type { Money, SendOrderConfirmationRequest } from "../services/order-persistence/src/messages";
import { migrate } from "../services/order-persistence/src/migrate";
import { defaultMigrationsDir, protoDir } from "../services/order-persistence/src/paths";
import { loadProtos } from "../services/order-persistence/src/proto";
import { startServer, type RunningServer } from "../services/order-persistence/src/server";
import { spoolFileName } from "../services/order-persistence/src/spool";
import { freePort, startPostgres, type PostgresServer } from "./support/postgres";
import { waitFor } from "./support/wait";

// ---- fixtures -------------------------------------------------------------------------------

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
let postgres: PostgresServer;
const cleanups: (() => Promise<void> | void)[] = [];
const protos = loadProtos();

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  // Newest first: servers before the database they use.
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  postgres?.destroy();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function createDatabase(name: string): string {
  postgres.sql(`CREATE DATABASE ${name}`);
  return name;
}

function count(database: string, query: string): number {
  return Number(postgres.sql(query, database).trim());
}

function config(database: string, overrides: Partial<Config> = {}): Config {
  return {
    host: "127.0.0.1",
    port: 0,
    metricsPort: 0,
    databaseUrl: postgres.url(database),
    poolSize: 4,
    emailServiceAddr: undefined,
    emailTimeoutMs: 2_000,
    spoolDir: tempDir("order-spool-"),
    migrationsDir: defaultMigrationsDir,
    shutdownDelayMs: 0,
    shutdownTimeoutMs: 5_000,
    logger: silentLogger,
    ...overrides,
  };
}

/** Starts the service in-process with short retry waits; stopped in afterAll unless a test closes it. */
async function service(cfg: Config): Promise<RunningServer> {
  const server = await startServer(cfg, { persister: { initialBackoffMs: 100, maxBackoffMs: 400 }, migrationRetryMs: 100 });
  cleanups.push(() => server.close());
  return server;
}

interface FakeEmail {
  address: string;
  calls: SendOrderConfirmationRequest[];
}

/** A stand-in emailservice that records every call; "hang" never answers (for deadlines). */
async function fakeEmailService(behaviour: "ok" | "hang" = "ok"): Promise<FakeEmail> {
  const calls: SendOrderConfirmationRequest[] = [];
  const server = new grpc.Server();
  server.addService(protos.EmailService.service, {
    SendOrderConfirmation: (call: grpc.ServerUnaryCall<SendOrderConfirmationRequest, object>, callback: grpc.sendUnaryData<object>) => {
      calls.push(call.request);
      if (behaviour === "ok") callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
  cleanups.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, calls };
}

interface Clients {
  email: grpc.Client;
  health: grpc.Client;
}

function clients(port: number): Clients {
  const email = new protos.EmailService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const health = new protos.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => {
    email.close();
    health.close();
  });
  return { email, health };
}

function unary<T>(client: grpc.Client, method: string, request: unknown): Promise<{ error: grpc.ServiceError | null; response: T | undefined }> {
  return new Promise((resolve) => {
    const call = (client as unknown as Record<string, (req: unknown, options: grpc.CallOptions, cb: (error: grpc.ServiceError | null, response?: T) => void) => void>)[method]!;
    call.call(client, request, { deadline: Date.now() + 10_000 }, (error, response) => resolve({ error, response }));
  });
}

async function send(c: Clients, request: SendOrderConfirmationRequest): Promise<grpc.ServiceError | null> {
  return (await unary<object>(c.email, "SendOrderConfirmation", request)).error;
}

async function healthStatus(c: Clients, service = ""): Promise<string> {
  const { error, response } = await unary<{ status: string }>(c.health, "Check", { service });
  if (error) return `error ${grpc.status[error.code]}`;
  return response!.status;
}

function money(currency_code: string, units: string, nanos: number): Money {
  return { currency_code, units, nanos };
}

/** An order as checkout sends it; items are [product, quantity, unit price]. */
function orderRequest(orderId: string, options: { shipping?: Money; items?: [string, number, Money][]; email?: string } = {}): SendOrderConfirmationRequest {
  const items = options.items ?? [
    ["OLJCESPC7Z", 1, money("USD", "19", 990000000)],
    ["66VCHSJNUP", 2, money("USD", "3", 500000000)],
  ];
  return {
    email: options.email ?? "someone@example.com",
    order: {
      order_id: orderId,
      shipping_tracking_id: `TRACK-${orderId}`,
      shipping_cost: options.shipping ?? money("USD", "8", 990000000),
      shipping_address: { street_address: "1600 Amphitheatre Parkway", city: "Mountain View", state: "CA", country: "United States", zip_code: 94043 },
      items: items.map(([product_id, quantity, cost]) => ({ item: { product_id, quantity }, cost })),
    },
  };
}

async function metricsText(metricsPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one sample ("name" or "name{labels}") in the exposition text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function spoolFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(".json"));
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

// ---- migrations -----------------------------------------------------------------------------

describe("migrations", () => {
  it("apply to a fresh database once: a second run is a no-op; tables and the four indexes exist", async () => {
    const db = createDatabase("migrate_fresh");
    const pool = new pg.Pool({ connectionString: postgres.url(db), max: 2 });
    try {
      expect(await migrate(pool, defaultMigrationsDir)).toEqual({ applied: ["001_orders"], skipped: [] });
      expect(await migrate(pool, defaultMigrationsDir)).toEqual({ applied: [], skipped: ["001_orders"] });
    } finally {
      await pool.end();
    }
    expect(postgres.sql("SELECT version FROM schema_migrations ORDER BY version", db).trim()).toBe("001_orders");
    expect(postgres.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1", db).trim().split("\n")).toEqual(["order_items", "orders", "schema_migrations"]);
    const indexes = postgres.sql("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%' ORDER BY 1", db).trim().split("\n");
    expect(indexes).toEqual(["idx_order_items_order_id", "idx_order_items_product_id", "idx_orders_created_at", "idx_orders_user_id"]);
  });

  it("two replicas migrating at the same moment apply each file exactly once", async () => {
    const db = createDatabase("migrate_race");
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: postgres.url(db), max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, defaultMigrationsDir)));
      expect(results.flatMap((r) => r.applied)).toEqual(["001_orders"]);
      expect(results.flatMap((r) => r.skipped)).toEqual(["001_orders"]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    expect(count(db, "SELECT count(*) FROM schema_migrations")).toBe(1);
  });

  it("a failing migration rolls back completely and is not recorded", async () => {
    const db = createDatabase("migrate_fail");
    const dir = tempDir("migrations-");
    cpSync(join(defaultMigrationsDir, "001_orders.sql"), join(dir, "001_orders.sql"));
    writeFileSync(join(dir, "002_broken.sql"), "CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n");
    const pool = new pg.Pool({ connectionString: postgres.url(db), max: 1 });
    try {
      await expect(migrate(pool, dir)).rejects.toThrow(/002_broken\.sql/);
    } finally {
      await pool.end();
    }
    expect(postgres.sql("SELECT version FROM schema_migrations", db).trim()).toBe("001_orders");
    expect(count(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'")).toBe(0);
  });
});

// ---- the service ----------------------------------------------------------------------------

describe("service", () => {
  const db = "orders_main";
  let server: RunningServer;
  let c: Clients;
  let email: FakeEmail;

  beforeAll(async () => {
    createDatabase(db);
    email = await fakeEmailService();
    server = await service(config(db, { emailServiceAddr: email.address }));
    c = clients(server.port);
  });

  it("reports SERVING once migrated and listening; NOT_FOUND for other services", async () => {
    expect(await healthStatus(c)).toBe("SERVING");
    expect(await healthStatus(c, "hipstershop.EmailService")).toBe("SERVING");
    expect(await healthStatus(c, "hipstershop.CartService")).toBe("error NOT_FOUND");
  });

  it("stores an order in both tables with exact amounts and forwards it to the emailservice", async () => {
    expect(await send(c, orderRequest("order-exact", { items: [["OLJCESPC7Z", 2, money("USD", "12", 990000000)], ["66VCHSJNUP", 1, money("USD", "0", 10000000)]] }))).toBeNull();
    // 8.99 + 2 × 12.99 + 0.01 = 34.98
    expect(postgres.sql("SELECT user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code FROM orders WHERE order_id = 'order-exact'", db).trim()).toBe(
      "someone@example.com|TRACK-order-exact|USD|8.990000000|USD|34.980000000|1600 Amphitheatre Parkway|Mountain View|CA|United States|94043",
    );
    expect(postgres.sql("SELECT line, product_id, quantity, unit_price_currency, unit_price FROM order_items WHERE order_id = 'order-exact' ORDER BY line", db).trim().split("\n")).toEqual([
      "1|OLJCESPC7Z|2|USD|12.990000000",
      "2|66VCHSJNUP|1|USD|0.010000000",
    ]);
    const forwarded = email.calls.filter((call) => call.order?.order_id === "order-exact");
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.email).toBe("someone@example.com");
    expect(forwarded[0]!.order!.items[0]!.cost).toEqual({ currency_code: "USD", units: "12", nanos: 990000000 });
  });

  it("keeps negative amounts and the largest storable units exact (no float on the way)", async () => {
    const request = orderRequest("order-extremes", {
      shipping: money("EUR", "0", 0),
      items: [
        ["BIG", 1, money("EUR", "99999999998", 999999999)],
        ["REFUND", 3, money("EUR", "-5", -250000000)],
      ],
    });
    expect(await send(c, request)).toBeNull();
    // 99999999998.999999999 − 3 × 5.25 = 99999999983.249999999: 20 significant digits, beyond a double.
    expect(postgres.sql("SELECT total_currency, total FROM orders WHERE order_id = 'order-extremes'", db).trim()).toBe("EUR|99999999983.249999999");
    expect(postgres.sql("SELECT unit_price FROM order_items WHERE order_id = 'order-extremes' ORDER BY line", db).trim().split("\n")).toEqual(["99999999998.999999999", "-5.250000000"]);
  });

  it("stores a repeated order_id once, even when the repeats race", async () => {
    const request = orderRequest("order-repeated");
    expect(await send(c, request)).toBeNull();
    expect(await Promise.all([send(c, request), send(c, request), send(c, request)])).toEqual([null, null, null]);
    expect(count(db, "SELECT count(*) FROM orders WHERE order_id = 'order-repeated'")).toBe(1);
    expect(count(db, "SELECT count(*) FROM order_items WHERE order_id = 'order-repeated'")).toBe(2);
    // Every confirmation is still forwarded: checkout decides about e-mails, not us.
    expect(email.calls.filter((call) => call.order?.order_id === "order-repeated")).toHaveLength(4);
    expect(sample(await metricsText(server.metricsPort), "orders_duplicate_total")).toBe(3);
  });

  it("rejects mixed currencies and malformed money with INVALID_ARGUMENT and stores nothing", async () => {
    const before = email.calls.length;
    const mixed = orderRequest("order-mixed", { items: [["A", 1, money("USD", "1", 0)], ["B", 1, money("EUR", "1", 0)]] });
    const signs = orderRequest("order-signs", { items: [["A", 1, money("USD", "1", -500000000)]] });
    const tooBig = orderRequest("order-too-big", { items: [["A", 1, money("USD", "9007199254740993", 0)]] });
    const overflow = orderRequest("order-overflow", { items: [["A", 2, money("USD", "99999999999", 0)]] });
    for (const request of [mixed, signs, tooBig, overflow]) {
      const error = await send(c, request);
      expect(error?.code, request.order!.order_id).toBe(grpc.status.INVALID_ARGUMENT);
    }
    expect((await send(c, mixed))?.details).toMatch(/EUR.*USD/);
    expect(count(db, "SELECT count(*) FROM orders WHERE order_id IN ('order-mixed', 'order-signs', 'order-too-big', 'order-overflow')")).toBe(0);
    expect(count(db, "SELECT count(*) FROM order_items WHERE order_id IN ('order-mixed', 'order-signs', 'order-too-big', 'order-overflow')")).toBe(0);
    expect(email.calls.length).toBe(before);
  });

  it("exposes the metrics: persisted orders, revenue per currency, durations, spool depth, process", async () => {
    const text = await metricsText(server.metricsPort);
    const stored = count(db, "SELECT count(*) FROM orders");
    expect(sample(text, "orders_persisted_total")).toBe(stored);
    // 34.98 + the order-repeated total (8.99 + 19.99 + 2 × 3.50 = 35.98)
    expect(sample(text, 'order_revenue_total{currency="USD"}')).toBeCloseTo(34.98 + 35.98, 6);
    expect(sample(text, 'order_revenue_total{currency="EUR"}')).toBeCloseTo(99999999983.25, 0);
    expect(sample(text, 'order_persist_duration_seconds_count{outcome="stored"}')).toBe(stored);
    expect(sample(text, "order_spool_depth")).toBe(0);
    expect(sample(text, "email_forward_failures_total")).toBe(0);
    expect(sample(text, "orders_rejected_total")).toBe(5);
    expect(text).toContain("process_cpu_user_seconds_total");
  });
});

// ---- PostgreSQL outage ----------------------------------------------------------------------

describe("PostgreSQL outage", () => {
  it("spools while PostgreSQL is down, drains when it is back; a restarted service drains the rest", async () => {
    const db = createDatabase("orders_outage");
    const email = await fakeEmailService();
    const cfg = config(db, { emailServiceAddr: email.address });
    const spoolDir = cfg.spoolDir;
    const first = await service(cfg);
    const c1 = clients(first.port);
    const ids = Array.from({ length: 26 }, (_, i) => `outage-${i}`);
    const itemsOf = (i: number): [string, number, Money][] => Array.from({ length: 1 + (i % 3) }, (_, k) => [`P${k}`, k + 1, money("USD", String(i), 0)]);
    const expectedItems = (n: number): number => ids.slice(0, n).reduce((sum, _, i) => sum + 1 + (i % 3), 0);

    expect(await send(c1, orderRequest(ids[0]!, { items: itemsOf(0) }))).toBeNull();

    // Live outage: every call succeeds, each distinct order is one spool file.
    postgres.stop();
    const during = await Promise.all(ids.slice(1, 16).map((id, i) => send(c1, orderRequest(id, { items: itemsOf(i + 1) }))));
    expect(during.every((error) => error === null)).toBe(true);
    // Repeats of a stored and of a spooled order: still one file per order_id.
    expect(await send(c1, orderRequest(ids[0]!, { items: itemsOf(0) }))).toBeNull();
    expect(await send(c1, orderRequest(ids[5]!, { items: itemsOf(5) }))).toBeNull();
    expect(spoolFiles(spoolDir).sort()).toEqual([ids[0]!, ...ids.slice(1, 16)].map(spoolFileName).sort());
    expect(sample(await metricsText(first.metricsPort), "order_spool_depth")).toBe(16);
    expect(email.calls).toHaveLength(18);

    postgres.start();
    await waitFor("the spool to drain", async () => sample(await metricsText(first.metricsPort), "order_spool_depth") === 0);
    expect(spoolFiles(spoolDir)).toEqual([]);
    expect(count(db, "SELECT count(*) FROM orders")).toBe(16);
    expect(count(db, "SELECT count(*) FROM order_items")).toBe(expectedItems(16));
    expect(sample(await metricsText(first.metricsPort), "orders_persisted_total")).toBe(16);

    // Outage across a restart: spooled orders survive the process, and a service that starts
    // while PostgreSQL is still down is NOT_SERVING but accepts orders into the spool.
    postgres.stop();
    for (const [i, id] of ids.slice(16, 21).entries()) expect(await send(c1, orderRequest(id, { items: itemsOf(16 + i) }))).toBeNull();
    await first.close();
    expect(spoolFiles(spoolDir)).toHaveLength(5);

    const second = await service({ ...cfg, port: 0, metricsPort: 0 });
    const c2 = clients(second.port);
    expect(await healthStatus(c2)).toBe("NOT_SERVING");
    for (const [i, id] of ids.slice(21).entries()) expect(await send(c2, orderRequest(id, { items: itemsOf(21 + i) }))).toBeNull();
    expect(spoolFiles(spoolDir)).toHaveLength(10);

    postgres.start();
    await waitFor("SERVING after migrations", async () => (await healthStatus(c2)) === "SERVING");
    await waitFor("the spool to drain after restart", () => spoolFiles(spoolDir).length === 0);
    expect(count(db, "SELECT count(*) FROM orders")).toBe(26);
    expect(count(db, "SELECT count(*) FROM order_items")).toBe(expectedItems(26));
    expect(count(db, "SELECT count(*) FROM (SELECT order_id FROM order_items GROUP BY order_id, line HAVING count(*) > 1) AS twice")).toBe(0);
    // outage-25: 8.99 shipping + 25 × (1 + 2) units = 83.99, replayed exactly from the spool file.
    expect(postgres.sql("SELECT total FROM orders WHERE order_id = 'outage-25'", db).trim()).toBe("83.990000000");
    expect(email.calls).toHaveLength(28);
  });
});

// ---- forwarding, shutdown, entry point --------------------------------------------------------

describe("forwarding and shutdown", () => {
  it("an emailservice that does not answer costs one deadline, a counted failure, and no error", async () => {
    const db = createDatabase("orders_email_down");
    const email = await fakeEmailService("hang");
    const server = await service(config(db, { emailServiceAddr: email.address, emailTimeoutMs: 300 }));
    const c = clients(server.port);
    const started = Date.now();
    expect(await send(c, orderRequest("order-no-email"))).toBeNull();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(email.calls).toHaveLength(1);
    expect(count(db, "SELECT count(*) FROM orders WHERE order_id = 'order-no-email'")).toBe(1);
    expect(sample(await metricsText(server.metricsPort), "email_forward_failures_total")).toBe(1);
  });

  it("close() reports NOT_SERVING, still serves during the delay, finishes in-flight calls, then closes both ports", async () => {
    const db = createDatabase("orders_shutdown");
    const email = await fakeEmailService("hang");
    const server = await service(config(db, { emailServiceAddr: email.address, emailTimeoutMs: 700, shutdownDelayMs: 400 }));
    const c = clients(server.port);
    expect(await healthStatus(c)).toBe("SERVING");
    const inFlight = send(c, orderRequest("order-in-flight"));
    await waitFor("the call to reach the emailservice", () => email.calls.length === 1);
    const closing = server.close();
    expect(await healthStatus(c)).toBe("NOT_SERVING");
    // Endpoints may still route to us for a moment: such an order is still taken.
    expect(await send(c, orderRequest("order-late"))).toBeNull();
    await closing;
    expect(await inFlight).toBeNull();
    expect(count(db, "SELECT count(*) FROM orders WHERE order_id = 'order-late'")).toBe(1);
    expect(count(db, "SELECT count(*) FROM orders WHERE order_id = 'order-in-flight'")).toBe(1);
    expect(await portIsClosed(server.port)).toBe(true);
    expect(await portIsClosed(server.metricsPort)).toBe(true);
    expect(await healthStatus(c)).toBe("error UNAVAILABLE");
  });

  it("the bundled entry point (as in the image) migrates, serves, and exits 0 on SIGTERM", async () => {
    const db = createDatabase("orders_bundle");
    // The image layout: dist/main.js next to proto/ and migrations/.
    const app = tempDir("order-persistence-image-");
    const build = spawnSync(process.execPath, [join(repoRoot, "services/order-persistence/build.mjs"), join(app, "dist", "main.js")], { encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    cpSync(protoDir, join(app, "proto"), { recursive: true });
    cpSync(defaultMigrationsDir, join(app, "migrations"), { recursive: true });
    const env = { ...process.env, DATABASE_URL: postgres.url(db), SPOOL_DIR: join(app, "spool"), HOST: "127.0.0.1", SHUTDOWN_DELAY_MS: "100" };

    const migrated = spawnSync(process.execPath, [join(app, "dist", "main.js"), "migrate"], { encoding: "utf8", env });
    expect(migrated.status, migrated.stdout + migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout.trim().split("\n").at(-1)!)).toMatchObject({ level: "info", msg: "migrations done", applied: ["001_orders"] });

    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(app, "dist", "main.js")], { env: { ...env, PORT: String(port), METRICS_PORT: String(metricsPort) }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(() => void child.kill("SIGKILL"));
    const c = clients(port);
    await waitFor("the bundled service to be SERVING", async () => (await healthStatus(c)) === "SERVING");
    expect(await send(c, orderRequest("order-bundled", { items: [["BIG", 1, money("USD", "99999999990", 999999999)]] }))).toBeNull();
    expect(postgres.sql("SELECT total FROM orders WHERE order_id = 'order-bundled'", db).trim()).toBe("99999999999.989999999");
    expect(sample(await metricsText(metricsPort), "orders_persisted_total")).toBe(1);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const events = stdout.trim().split("\n").map((line) => JSON.parse(line) as { msg: string });
    expect(events.map((e) => e.msg)).toEqual(expect.arrayContaining(["listening", "serving", "order persisted", "signal received", "shutting down", "stopped"]));
  });
});
