// The order tee never acknowledges an order it then loses. Each case of the chaos run, against a
// real PostgreSQL (stopped, read-only, returning) and the real service — in-process, or as the
// bundled entry point in its own unprivileged process where file permissions or SIGKILL matter.
import * as grpc from "@grpc/grpc-js";
import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SendOrderConfirmationRequest } from "../services/order-persistence/src/messages";
import { jsonLogger } from "../services/order-persistence/src/log";
import { textLimits } from "../services/order-persistence/src/order";
import { spoolFileName } from "../services/order-persistence/src/spool";
import { pgRun } from "./support/postgres";
import { cpuSeconds, healthStatus, metric, money, OrderTestbed, orderRequest, send, spoolFiles, waitFor } from "./support/order-service";

const testbed = new OrderTestbed();
beforeAll(() => testbed.start());
afterAll(() => testbed.stop());
// A failed test must not leave the next one without its database.
afterEach(() => testbed.ensurePostgresRunning());

const stored = (db: string, orderId: string) => testbed.count(db, `SELECT count(*) FROM orders WHERE order_id = '${orderId}'`);
const storedTotal = (db: string, orderId: string) => testbed.postgres.sql(`SELECT total FROM orders WHERE order_id = '${orderId}'`, db).trim();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A text of exactly `bytes` UTF-8 bytes, with two-byte characters so that bytes ≠ characters. */
function textOfBytes(bytes: number): string {
  return "é".repeat(Math.floor(bytes / 2)) + "x".repeat(bytes % 2);
}

/** An order whose every text field is as long as the limits allow, plus `extra` bytes in one of them. */
function orderAtLimits(orderId: string, oversize?: keyof typeof textLimits): SendOrderConfirmationRequest {
  const length = (field: keyof typeof textLimits) => textLimits[field] + (field === oversize ? 1 : 0);
  const id = `${orderId}-`;
  return orderRequest(id + textOfBytes(length("orderId") - id.length), {
    email: textOfBytes(length("email")),
    trackingId: textOfBytes(length("shippingTrackingId")),
    items: [[textOfBytes(length("productId")), 1, money("USD", "1", 0)]],
    address: { street_address: textOfBytes(length("addressLine")), city: textOfBytes(textLimits.addressLine), state: textOfBytes(textLimits.addressLine), country: textOfBytes(textLimits.addressLine) },
  });
}

/** The whole server refuses writes (as a standby or a fenced primary would): SQLSTATE 25006. */
function setReadOnly(on: boolean): void {
  const server = testbed.postgres;
  const psql = ["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-d", "postgres"];
  const change = on ? "ALTER SYSTEM SET default_transaction_read_only = on" : "ALTER SYSTEM RESET default_transaction_read_only";
  pgRun("psql", [...psql, "-c", change, "-c", "SELECT pg_reload_conf()"], { env: { PGOPTIONS: "-c default_transaction_read_only=off" } });
  // pg_reload_conf() only signals the server, which then signals the open sessions: an insert
  // sent at once could still be written (seen once under load: 19 of 20 orders spooled). Once a
  // new session starts with the setting, the server has reloaded and passed the signal on.
  const expected = on ? "on" : "off";
  const deadline = Date.now() + 10_000;
  while (pgRun("psql", [...psql, "-At", "-c", "SHOW default_transaction_read_only"]).trim() !== expected) {
    if (Date.now() > deadline) throw new Error(`default_transaction_read_only did not become ${expected} within 10 s`);
  }
}

describe("field limits hold whether PostgreSQL is up or down", () => {
  it("an order with every field at its limit is stored; one byte more in any field is refused, before and during an outage", async () => {
    const db = testbed.createDatabase("chaos_limits");
    const server = await testbed.service(testbed.config(db));
    const c = testbed.clients(server.port);
    const oversized = Object.keys(textLimits) as (keyof typeof textLimits)[];

    expect(await send(c, orderAtLimits("up"))).toBeNull();
    expect(testbed.count(db, "SELECT count(*) FROM orders WHERE order_id LIKE 'up-%'")).toBe(1);
    for (const field of oversized) expect((await send(c, orderAtLimits("up", field)))?.code, field).toBe(grpc.status.INVALID_ARGUMENT);

    testbed.postgres.stop();
    for (const field of oversized) expect((await send(c, orderAtLimits("down", field)))?.code, field).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await send(c, orderAtLimits("down"))).toBeNull();
    expect(await metric(server.metricsPort, "order_spool_depth")).toBe(1);
    testbed.postgres.start();
    // The order acknowledged during the outage is one PostgreSQL takes: the spool drains.
    await waitFor("the spool to drain", async () => (await metric(server.metricsPort, "order_spool_depth")) === 0);
    expect(testbed.count(db, "SELECT count(*) FROM orders WHERE order_id LIKE 'down-%'")).toBe(1);
    expect(await metric(server.metricsPort, "order_spool_quarantined")).toBe(0);
  });
});

describe("the first version of an order_id wins, wherever it is", () => {
  it("a repeat with other content is refused (ALREADY_EXISTS), counted, not forwarded; the same content again is OK", async () => {
    const db = testbed.createDatabase("chaos_conflicts");
    const email = await testbed.fakeEmailService();
    const cfg = testbed.config(db, { emailServiceAddr: email.address });
    const server = await testbed.service(cfg);
    const c = testbed.clients(server.port);
    const first = (id: string) => orderRequest(id);
    const other = (id: string) => orderRequest(id, { items: [["OTHER", 5, money("USD", "100", 0)]] });

    // First version in PostgreSQL.
    expect(await send(c, first("stored-first"))).toBeNull();
    const conflict = await send(c, other("stored-first"));
    expect(conflict?.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(conflict?.details).toMatch(/already stored with other content/);
    expect(await send(c, first("stored-first"))).toBeNull();
    expect(storedTotal(db, "stored-first")).toBe("35.980000000");

    // First version in the spool: compared there, and racing versions cannot both win.
    testbed.postgres.stop();
    expect(await send(c, first("spooled-first"))).toBeNull();
    expect((await send(c, other("spooled-first")))?.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(await send(c, first("spooled-first"))).toBeNull();
    const race = await Promise.all([send(c, first("raced")), send(c, other("raced"))]);
    expect(race.filter((error) => error === null)).toHaveLength(1);
    expect(race.filter((error) => error?.code === grpc.status.ALREADY_EXISTS)).toHaveLength(1);
    const raceWinner = race[0] === null ? "35.980000000" : "508.990000000";
    // A version sent while its first is in PostgreSQL cannot be compared yet: it is taken, and
    // set aside at replay (kept on disk for an operator), never overwriting the stored one.
    expect(await send(c, other("stored-first"))).toBeNull();

    testbed.postgres.start();
    await waitFor("the spool to drain", async () => (await metric(server.metricsPort, "order_spool_depth")) === 0);
    expect(storedTotal(db, "spooled-first")).toBe("35.980000000");
    expect(storedTotal(db, "raced")).toBe(raceWinner);
    expect(storedTotal(db, "stored-first")).toBe("35.980000000");
    expect(spoolFiles(cfg.spoolDir)).toEqual([]);
    expect(spoolFiles(cfg.spoolDir, ".conflict")).toEqual([`${spoolFileName("stored-first")}.conflict`]);
    expect(await metric(server.metricsPort, "orders_conflicting_total")).toBe(4);
    // Only accepted confirmations reach the emailservice.
    expect(email.calls.filter((call) => call.order!.items[0]!.item!.product_id === "OTHER")).toHaveLength(race[1] === null ? 2 : 1);
  });
});

describe("PostgreSQL that answers but cannot write", () => {
  it("read-only (25006) is an outage: orders are spooled, and stored once it is writable again", async () => {
    const db = testbed.createDatabase("chaos_read_only");
    const server = await testbed.service(testbed.config(db));
    const c = testbed.clients(server.port);
    expect(await send(c, orderRequest("before-read-only"))).toBeNull();
    setReadOnly(true);
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(c, orderRequest(`read-only-${i}`))));
      expect(answers.every((error) => error === null)).toBe(true);
      expect(await metric(server.metricsPort, "order_spool_depth")).toBe(20);
      expect(testbed.count(db, "SELECT count(*) FROM orders")).toBe(1);
    } finally {
      setReadOnly(false);
    }
    await waitFor("the spool to drain", async () => (await metric(server.metricsPort, "order_spool_depth")) === 0);
    expect(testbed.count(db, "SELECT count(*) FROM orders")).toBe(21);
  });
});

describe("after an outage", () => {
  it("new orders go to PostgreSQL within the outage probe of its return, however long the replay backoff has grown", async () => {
    const db = testbed.createDatabase("chaos_return");
    const cfg = testbed.config(db);
    const server = await testbed.service(cfg, { initialBackoffMs: 100, maxBackoffMs: 30_000, outageProbeMs: 300 });
    const c = testbed.clients(server.port);
    testbed.postgres.stop();
    expect(await send(c, orderRequest("during-outage"))).toBeNull();
    // Long enough for an exponential backoff from 100 ms to reach 3.2 s.
    await sleep(3_500);
    testbed.postgres.start();
    await sleep(1_000);
    expect(await send(c, orderRequest("after-return"))).toBeNull();
    // Stored by the call itself: in the table as soon as it is acknowledged, never in the spool.
    expect(stored(db, "after-return")).toBe(1);
    expect(await metric(server.metricsPort, "orders_spooled_total")).toBe(1);
  });

  it("a spool that cannot be written does not refuse an order PostgreSQL can take; with both gone the caller is told", async () => {
    const db = testbed.createDatabase("chaos_spool_broken");
    const logged: string[] = [];
    const cfg = testbed.config(db, { logger: jsonLogger("info", (line) => void logged.push(line)) });
    const spoolFailures = () => logged.filter((line) => line.includes("spool write failed")).length;
    // The replay would not probe again during this test: only the call itself can find PostgreSQL back.
    const server = await testbed.service(cfg, { initialBackoffMs: 60_000, maxBackoffMs: 60_000, outageProbeMs: 60_000 });
    const c = testbed.clients(server.port);
    testbed.postgres.stop();
    expect(await send(c, orderRequest("spooled"))).toBeNull();
    // The spool directory is replaced by a file: every write fails (ENOTDIR), even for root.
    renameSync(cfg.spoolDir, `${cfg.spoolDir}.away`);
    writeFileSync(cfg.spoolDir, "");
    try {
      const refused = await send(c, orderRequest("nowhere"));
      expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
      testbed.postgres.start();
      expect(await send(c, orderRequest("database-back"))).toBeNull();
      expect(stored(db, "database-back")).toBe(1);
      // PostgreSQL answered: the next order goes to it first, not through the broken spool again.
      const failuresBefore = spoolFailures();
      expect(await send(c, orderRequest("next"))).toBeNull();
      expect(stored(db, "next")).toBe(1);
      expect(spoolFailures()).toBe(failuresBefore);
      expect(stored(db, "nowhere")).toBe(0);
    } finally {
      rmSync(cfg.spoolDir);
      renameSync(`${cfg.spoolDir}.away`, cfg.spoolDir);
    }
    expect(spoolFiles(cfg.spoolDir)).toEqual([spoolFileName("spooled")]);
  });
});

describe("spool files during replay", () => {
  it("a file that can never be stored is quarantined and counted (also after a restart); the others are stored", async () => {
    const db = testbed.createDatabase("chaos_quarantine");
    const cfg = testbed.config(db);
    const good = orderRequest("good");
    writeFileSync(join(cfg.spoolDir, spoolFileName("torn")), '{"version":1,"order":{"orderId":"to');
    // As an older version could have spooled it: an order_id no index entry can hold.
    writeFileSync(join(cfg.spoolDir, spoolFileName("huge")), JSON.stringify({ version: 1, spooledAt: "2026-01-01T00:00:00Z", order: { orderId: "h".repeat(3_000) } }));
    let server = await testbed.service(cfg);
    const c = testbed.clients(server.port);
    expect(await send(c, good)).toBeNull();
    await waitFor("the spool to drain", async () => (await metric(server.metricsPort, "order_spool_depth")) === 0);
    expect(await metric(server.metricsPort, "order_spool_quarantined")).toBe(2);
    expect(spoolFiles(cfg.spoolDir, ".bad").sort()).toEqual([`${spoolFileName("huge")}.bad`, `${spoolFileName("torn")}.bad`]);
    expect(stored(db, "good")).toBe(1);
    await server.close();
    server = await testbed.service({ ...cfg, port: 0, metricsPort: 0 });
    expect(await metric(server.metricsPort, "order_spool_quarantined")).toBe(2);
  });

  it("unreadable files and an unreadable directory are retried with backoff, never quarantined and never spun on; every order is stored once readable", async () => {
    const db = testbed.createDatabase("chaos_permissions");
    const spoolDir = testbed.processSpoolDir();
    const service = await testbed.serviceProcess({ DATABASE_URL: testbed.postgres.url(db), SPOOL_DIR: spoolDir });
    const c = testbed.clients(service.port);
    await waitFor("the service to be SERVING", async () => (await healthStatus(c)) === "SERVING");
    const ids = Array.from({ length: 6 }, (_, i) => `permission-${i}`);

    testbed.postgres.stop();
    for (const id of ids) expect(await send(c, orderRequest(id))).toBeNull();
    // Two files the service may not read, then the whole directory.
    for (const id of ids.slice(0, 2)) chmodSync(join(spoolDir, spoolFileName(id)), 0o000);
    testbed.postgres.start();
    await waitFor("the readable orders to be stored", async () => (await metric(service.metricsPort, "order_spool_depth")) === 2);
    expect(spoolFiles(spoolDir).sort()).toEqual(ids.slice(0, 2).map(spoolFileName).sort());

    testbed.postgres.stop();
    for (const id of ["dir-0", "dir-1"]) expect(await send(c, orderRequest(id))).toBeNull();
    chmodSync(spoolDir, 0o000);
    testbed.postgres.start();
    const cpuBefore = cpuSeconds(service.pid);
    const linesBefore = service.logLines().length;
    await sleep(3_000);
    // Spinning cost 25 CPU-seconds and 400,000 log lines in 40 s; a backoff costs almost nothing.
    expect(cpuSeconds(service.pid) - cpuBefore).toBeLessThan(0.5);
    expect(service.logLines().length - linesBefore).toBeLessThan(15);
    expect(await metric(service.metricsPort, "order_spool_depth")).toBe(4);

    chmodSync(spoolDir, 0o700);
    for (const id of ids.slice(0, 2)) chmodSync(join(spoolDir, spoolFileName(id)), 0o600);
    await waitFor("every order to be stored", async () => (await metric(service.metricsPort, "order_spool_depth")) === 0, 60_000);
    expect(testbed.count(db, "SELECT count(*) FROM orders")).toBe(8);
    expect(await metric(service.metricsPort, "order_spool_quarantined")).toBe(0);
    expect(spoolFiles(spoolDir, ".bad")).toEqual([]);
  });
});

describe("PostgreSQL refusing one spooled order", () => {
  it("a replay the database refuses (not an outage) keeps the file, stores the others, and stores it once the database takes it", async () => {
    const db = testbed.createDatabase("chaos_refused_replay");
    const cfg = testbed.config(db);
    const server = await testbed.service(cfg);
    const c = testbed.clients(server.port);
    // A check of the database's own that this order fails (SQLSTATE P0001: not an outage).
    testbed.postgres.sql(
      "CREATE FUNCTION refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$; " +
        "CREATE TRIGGER refuse_one BEFORE INSERT ON orders FOR EACH ROW WHEN (NEW.order_id = 'refused-at-replay') EXECUTE FUNCTION refuse_order()",
      db,
    );
    testbed.postgres.stop();
    for (const id of ["refused-at-replay", "stored-at-replay"]) expect(await send(c, orderRequest(id))).toBeNull();
    testbed.postgres.start();
    await waitFor("the other order to be stored", () => stored(db, "stored-at-replay") === 1);
    await sleep(1_000); // several replay passes
    expect(spoolFiles(cfg.spoolDir)).toEqual([spoolFileName("refused-at-replay")]);
    expect(await metric(server.metricsPort, "order_spool_depth")).toBe(1);
    expect(await metric(server.metricsPort, "order_spool_quarantined")).toBe(0);
    testbed.postgres.sql("DROP TRIGGER refuse_one ON orders", db);
    await waitFor("the refused order to be stored once the database takes it", () => stored(db, "refused-at-replay") === 1);
    await waitFor("the spool to drain", async () => (await metric(server.metricsPort, "order_spool_depth")) === 0);
  });
});

describe("a killed service", () => {
  it("SIGKILL while orders are being spooled: every acknowledged order is stored exactly once after a restart", async () => {
    const db = testbed.createDatabase("chaos_sigkill");
    const spoolDir = testbed.processSpoolDir();
    const env = { DATABASE_URL: testbed.postgres.url(db), SPOOL_DIR: spoolDir };
    const first = await testbed.serviceProcess(env);
    const c1 = testbed.clients(first.port);
    await waitFor("the service to be SERVING", async () => (await healthStatus(c1)) === "SERVING");
    testbed.postgres.stop();
    const acknowledged: string[] = [];
    const sending = Array.from({ length: 40 }, async (_, i) => {
      const id = `killed-${i}`;
      if ((await send(c1, orderRequest(id))) === null) acknowledged.push(id);
    });
    await waitFor("some orders to be acknowledged", () => acknowledged.length >= 10);
    first.kill("SIGKILL");
    await Promise.all(sending);
    await first.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(10);

    testbed.postgres.start();
    const second = await testbed.serviceProcess(env);
    await waitFor("the restarted service to drain the spool", async () => (await metric(second.metricsPort, "order_spool_depth")) === 0);
    const storedIds = testbed.postgres.sql("SELECT order_id FROM orders ORDER BY order_id", db).trim().split("\n");
    expect(storedIds).toEqual(expect.arrayContaining(acknowledged));
    expect(testbed.count(db, "SELECT count(*) FROM (SELECT order_id FROM order_items GROUP BY order_id, line HAVING count(*) > 1) AS twice")).toBe(0);
  });
});
