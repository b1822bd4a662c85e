// The order persistence service against a real PostgreSQL: migrations, exact money, idempotency,
// the spool through a database outage (live and across a restart), e-mail forwarding failures,
// health, graceful shutdown, and the bundled entry point the container image runs.
import * as grpc from "@grpc/grpc-js";
import { spawnSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../services/order-persistence/src/migrate";
import { toOrderRecord } from "../services/order-persistence/src/order";
import { defaultMigrationsDir } from "../services/order-persistence/src/paths";
import { OrderWriter } from "../services/order-persistence/src/store";
import type { RunningServer } from "../services/order-persistence/src/server";
import { spoolFileName } from "../services/order-persistence/src/spool";
import type { Money } from "../services/order-persistence/src/messages";
import { healthStatus, metricsText, money, OrderTestbed, orderRequest, portIsClosed, sample, send, spoolFiles, waitFor, type Clients, type FakeEmail } from "./support/order-service";

const testbed = new OrderTestbed();
const migrationVersions = ["001_orders", "002_order_fingerprint"];
beforeAll(() => testbed.start());
afterAll(() => testbed.stop());

const createDatabase = (name: string) => testbed.createDatabase(name);
const count = (database: string, query: string) => testbed.count(database, query);
const tempDir = (prefix: string) => testbed.tempDir(prefix);
const config: OrderTestbed["config"] = (database, overrides) => testbed.config(database, overrides);
const service = (cfg: Parameters<OrderTestbed["service"]>[0]) => testbed.service(cfg);
const fakeEmailService = (behaviour?: "ok" | "hang") => testbed.fakeEmailService(behaviour);
const clients = (port: number) => testbed.clients(port);

// ---- migrations -----------------------------------------------------------------------------

describe("migrations", () => {
  it("apply to a fresh database once: a second run is a no-op; tables and the four indexes exist", async () => {
    const db = createDatabase("migrate_fresh");
    const pool = new pg.Pool({ connectionString: testbed.postgres.url(db), max: 2 });
    try {
      expect(await migrate(pool, defaultMigrationsDir)).toEqual({ applied: migrationVersions, skipped: [] });
      expect(await migrate(pool, defaultMigrationsDir)).toEqual({ applied: [], skipped: migrationVersions });
    } finally {
      await pool.end();
    }
    expect(testbed.postgres.sql("SELECT version FROM schema_migrations ORDER BY version", db).trim().split("\n")).toEqual(migrationVersions);
    expect(testbed.postgres.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1", db).trim().split("\n")).toEqual(["order_items", "orders", "schema_migrations"]);
    const indexes = testbed.postgres.sql("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%' ORDER BY 1", db).trim().split("\n");
    expect(indexes).toEqual(["idx_order_items_order_id", "idx_order_items_product_id", "idx_orders_created_at", "idx_orders_user_id"]);
  });

  it("two replicas migrating at the same moment apply each file exactly once", async () => {
    const db = createDatabase("migrate_race");
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: testbed.postgres.url(db), max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, defaultMigrationsDir)));
      // Either replica may apply either file; together they apply each once and skip each once.
      expect(results.flatMap((r) => r.applied).sort()).toEqual(migrationVersions);
      expect(results.flatMap((r) => r.skipped).sort()).toEqual(migrationVersions);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    expect(count(db, "SELECT count(*) FROM schema_migrations")).toBe(migrationVersions.length);
  });

  it("a failing migration rolls back completely and is not recorded", async () => {
    const db = createDatabase("migrate_fail");
    const dir = tempDir("migrations-");
    cpSync(join(defaultMigrationsDir, "001_orders.sql"), join(dir, "001_orders.sql"));
    writeFileSync(join(dir, "003_broken.sql"), "CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n");
    const pool = new pg.Pool({ connectionString: testbed.postgres.url(db), max: 1 });
    try {
      await expect(migrate(pool, dir)).rejects.toThrow(/003_broken\.sql/);
    } finally {
      await pool.end();
    }
    expect(testbed.postgres.sql("SELECT version FROM schema_migrations", db).trim()).toBe("001_orders");
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
    expect(testbed.postgres.sql("SELECT user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code FROM orders WHERE order_id = 'order-exact'", db).trim()).toBe(
      "someone@example.com|TRACK-order-exact|USD|8.990000000|USD|34.980000000|1600 Amphitheatre Parkway|Mountain View|CA|United States|94043",
    );
    expect(testbed.postgres.sql("SELECT line, product_id, quantity, unit_price_currency, unit_price FROM order_items WHERE order_id = 'order-exact' ORDER BY line", db).trim().split("\n")).toEqual([
      "1|OLJCESPC7Z|2|USD|12.990000000",
      "2|66VCHSJNUP|1|USD|0.010000000",
    ]);
    const forwarded = email.calls.filter((call) => call.order?.order_id === "order-exact");
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.email).toBe("someone@example.com");
    expect(forwarded[0]!.order!.items[0]!.cost).toEqual({ currency_code: "USD", units: "12", nanos: 990000000 });
  });

  it("keeps the largest storable amounts exact (no float on the way)", async () => {
    const request = orderRequest("order-extremes", {
      shipping: money("EUR", "0", 0),
      items: [
        ["BIG", 1, money("EUR", "99999999990", 999999999)],
        ["SMALL", 3, money("EUR", "2", 750000000)],
      ],
    });
    expect(await send(c, request)).toBeNull();
    // 99999999990.999999999 + 3 × 2.75 = 99999999999.249999999: 20 significant digits, beyond a double.
    expect(testbed.postgres.sql("SELECT total_currency, total FROM orders WHERE order_id = 'order-extremes'", db).trim()).toBe("EUR|99999999999.249999999");
    expect(testbed.postgres.sql("SELECT unit_price FROM order_items WHERE order_id = 'order-extremes' ORDER BY line", db).trim().split("\n")).toEqual(["99999999990.999999999", "2.750000000"]);
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

  it("rejects what no real checkout sends with INVALID_ARGUMENT, stores and forwards nothing", async () => {
    const before = email.calls.length;
    const refused: [string, ReturnType<typeof orderRequest>, RegExp][] = [
      ["mixed currencies", orderRequest("order-mixed", { items: [["A", 1, money("USD", "1", 0)], ["B", 1, money("EUR", "1", 0)]] }), /EUR.*USD/],
      ["units and nanos of different signs", orderRequest("order-signs", { items: [["A", 1, money("USD", "1", -500000000)]] }), /different signs/],
      ["units beyond a double", orderRequest("order-too-big", { items: [["A", 1, money("USD", "9007199254740993", 0)]] }), /storable range/],
      ["a total beyond numeric(20,9)", orderRequest("order-overflow", { items: [["A", 2, money("USD", "99999999999", 0)]] }), /order total exceeds/],
      ["a negative price", orderRequest("order-negative", { items: [["A", 1, money("USD", "-5", -250000000)]] }), /items\[0\]\.cost is negative/],
      ["a negative shipping cost", orderRequest("order-negative-shipping", { shipping: money("USD", "0", -1) }), /shipping_cost is negative/],
      ["quantity 0", orderRequest("order-quantity-0", { items: [["A", 0, money("USD", "1", 0)]] }), /quantity must be positive, got 0/],
      ["a currency ISO 4217 does not know", orderRequest("order-currency", { shipping: money("ABC", "1", 0), items: [["A", 1, money("ABC", "1", 0)]] }), /not an ISO 4217 code/],
      ["more items than an order may have", orderRequest("order-many", { items: Array.from({ length: 1_001 }, (_, i): [string, number, Money] => [`P${i}`, 1, money("USD", "1", 0)]) }), /1001 items, at most 1000/],
      ["an order_id longer than an index entry allows", orderRequest("x".repeat(257)), /order_id is 257 bytes long, at most 256/],
    ];
    for (const [what, request, reason] of refused) {
      const error = await send(c, request);
      expect(error?.code, what).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details, what).toMatch(reason);
    }
    const ids = refused.map(([, request]) => `'${request.order!.order_id}'`).join(", ");
    expect(count(db, `SELECT count(*) FROM orders WHERE order_id IN (${ids})`)).toBe(0);
    expect(count(db, `SELECT count(*) FROM order_items WHERE order_id IN (${ids})`)).toBe(0);
    expect(email.calls.length).toBe(before);
    expect(sample(await metricsText(server.metricsPort), "orders_rejected_total")).toBe(refused.length);
  });

  it("refuses a message over 1 MiB before decoding it (RESOURCE_EXHAUSTED): a valid order is at most ~0.3 MB", async () => {
    const error = await send(c, orderRequest("order-huge", { items: [["P".repeat(1_100_000), 1, money("USD", "1", 0)]] }));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(count(db, "SELECT count(*) FROM orders WHERE order_id = 'order-huge'")).toBe(0);
  });

  it("stores an order without items (checkout does not refuse an empty cart, and charges its shipping)", async () => {
    expect(await send(c, orderRequest("order-no-items", { items: [] }))).toBeNull();
    expect(testbed.postgres.sql("SELECT total FROM orders WHERE order_id = 'order-no-items'", db).trim()).toBe("8.990000000");
    expect(count(db, "SELECT count(*) FROM order_items WHERE order_id = 'order-no-items'")).toBe(0);
  });

  it("exposes the metrics: persisted orders, revenue per currency, durations, spool depth, process", async () => {
    const text = await metricsText(server.metricsPort);
    const stored = count(db, "SELECT count(*) FROM orders");
    expect(sample(text, "orders_persisted_total")).toBe(stored);
    // 34.98 + the order-repeated total (8.99 + 19.99 + 2 × 3.50 = 35.98) + the empty order's 8.99
    expect(sample(text, 'order_revenue_total{currency="USD"}')).toBeCloseTo(34.98 + 35.98 + 8.99, 6);
    expect(sample(text, 'order_revenue_total{currency="EUR"}')).toBeCloseTo(99999999999.25, 0);
    expect(sample(text, 'order_persist_duration_seconds_count{outcome="stored"}')).toBe(stored);
    expect(sample(text, "order_spool_depth")).toBe(0);
    expect(sample(text, "email_forward_failures_total")).toBe(0);
    expect(sample(text, "orders_rejected_total")).toBe(10);
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
    testbed.postgres.stop();
    const during = await Promise.all(ids.slice(1, 16).map((id, i) => send(c1, orderRequest(id, { items: itemsOf(i + 1) }))));
    expect(during.every((error) => error === null)).toBe(true);
    // Repeats of a stored and of a spooled order: still one file per order_id.
    expect(await send(c1, orderRequest(ids[0]!, { items: itemsOf(0) }))).toBeNull();
    expect(await send(c1, orderRequest(ids[5]!, { items: itemsOf(5) }))).toBeNull();
    expect(spoolFiles(spoolDir).sort()).toEqual([ids[0]!, ...ids.slice(1, 16)].map(spoolFileName).sort());
    expect(sample(await metricsText(first.metricsPort), "order_spool_depth")).toBe(16);
    expect(email.calls).toHaveLength(18);

    testbed.postgres.start();
    await waitFor("the spool to drain", async () => sample(await metricsText(first.metricsPort), "order_spool_depth") === 0);
    expect(spoolFiles(spoolDir)).toEqual([]);
    expect(count(db, "SELECT count(*) FROM orders")).toBe(16);
    expect(count(db, "SELECT count(*) FROM order_items")).toBe(expectedItems(16));
    expect(sample(await metricsText(first.metricsPort), "orders_persisted_total")).toBe(16);

    // Outage across a restart: spooled orders survive the process, and a service that starts
    // while PostgreSQL is still down is NOT_SERVING but accepts orders into the spool.
    testbed.postgres.stop();
    for (const [i, id] of ids.slice(16, 21).entries()) expect(await send(c1, orderRequest(id, { items: itemsOf(16 + i) }))).toBeNull();
    await first.close();
    expect(spoolFiles(spoolDir)).toHaveLength(5);

    const second = await service({ ...cfg, port: 0, metricsPort: 0 });
    const c2 = clients(second.port);
    expect(await healthStatus(c2)).toBe("NOT_SERVING");
    for (const [i, id] of ids.slice(21).entries()) expect(await send(c2, orderRequest(id, { items: itemsOf(21 + i) }))).toBeNull();
    expect(spoolFiles(spoolDir)).toHaveLength(10);

    testbed.postgres.start();
    await waitFor("SERVING after migrations", async () => (await healthStatus(c2)) === "SERVING");
    await waitFor("the spool to drain after restart", () => spoolFiles(spoolDir).length === 0);
    expect(count(db, "SELECT count(*) FROM orders")).toBe(26);
    expect(count(db, "SELECT count(*) FROM order_items")).toBe(expectedItems(26));
    expect(count(db, "SELECT count(*) FROM (SELECT order_id FROM order_items GROUP BY order_id, line HAVING count(*) > 1) AS twice")).toBe(0);
    // outage-25: 8.99 shipping + 25 × (1 + 2) units = 83.99, replayed exactly from the spool file.
    expect(testbed.postgres.sql("SELECT total FROM orders WHERE order_id = 'outage-25'", db).trim()).toBe("83.990000000");
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
    const app = testbed.image();
    const env = { DATABASE_URL: testbed.postgres.url(db), SPOOL_DIR: testbed.processSpoolDir() };

    const migrated = spawnSync(process.execPath, [join(app, "dist", "main.js"), "migrate"], { encoding: "utf8", env: { ...process.env, ...env } });
    expect(migrated.status, migrated.stdout + migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout.trim().split("\n").at(-1)!)).toMatchObject({ level: "info", msg: "migrations done", applied: migrationVersions });

    const child = await testbed.serviceProcess(env);
    const c = clients(child.port);
    await waitFor("the bundled service to be SERVING", async () => (await healthStatus(c)) === "SERVING");
    expect(await send(c, orderRequest("order-bundled", { items: [["BIG", 1, money("USD", "99999999990", 999999999)]] }))).toBeNull();
    expect(testbed.postgres.sql("SELECT total FROM orders WHERE order_id = 'order-bundled'", db).trim()).toBe("99999999999.989999999");
    expect(sample(await metricsText(child.metricsPort), "orders_persisted_total")).toBe(1);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const events = child.logLines().map((line) => JSON.parse(line) as { msg: string });
    expect(events.map((e) => e.msg)).toEqual(expect.arrayContaining(["listening", "serving", "order persisted", "signal received", "shutting down", "stopped"]));
  });
});

// ---- group commit -----------------------------------------------------------------------------

describe("group commit", () => {
  const record = (orderId: string, quantity = 1) => ({ ...toOrderRecord(orderRequest(orderId)), items: [{ line: 1, productId: "OLJCESPC7Z", quantity, unitPriceCurrency: "USD", unitPrice: "19.990000000" }] });

  async function withWriter<T>(db: string, use: (writer: OrderWriter, statements: () => number) => Promise<T>): Promise<T> {
    const pool = new pg.Pool({ connectionString: testbed.postgres.url(db), max: 2 });
    let statements = 0;
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
    try {
      await migrate(pool, defaultMigrationsDir);
      statements = 0;
      return await use(new OrderWriter(pool, { maxBatch: 100, maxInFlight: 1 }), () => statements);
    } finally {
      await pool.end();
    }
  }

  it("orders arriving together share statements, and each caller learns whether its order was new", async () => {
    const db = createDatabase("group_commit");
    await withWriter(db, async (writer, statements) => {
      const ids = Array.from({ length: 60 }, (_, i) => `batched-${i}`);
      const results = await Promise.all([...ids, "batched-0", "batched-1"].map((id) => writer.insert(record(id))));
      expect(results).toEqual([...ids.map(() => true), false, false]);
      // 62 calls: one statement for the first, the rest in one or two more (a repeat waits for the next batch).
      expect(statements()).toBeLessThanOrEqual(4);
    });
    expect(count(db, "SELECT count(*) FROM orders")).toBe(60);
    expect(count(db, "SELECT count(*) FROM order_items")).toBe(60);
  });

  it("an order the database refuses fails alone: the rest of its batch is stored", async () => {
    const db = createDatabase("group_commit_refusal");
    await withWriter(db, async (writer) => {
      // quantity 0 passes nothing of ours here (a raw record) but breaks the table's CHECK constraint.
      const results = await Promise.allSettled(["first", "second", "refused", "third"].map((id) => writer.insert(record(id, id === "refused" ? 0 : 1))));
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
      expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/check constraint/);
    });
    expect(testbed.postgres.sql("SELECT order_id FROM orders ORDER BY order_id", db).trim().split("\n")).toEqual(["first", "second", "third"]);
  });
});
