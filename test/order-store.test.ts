// The order service's database access in-process: which errors mean "PostgreSQL is unavailable"
// (spool and retry) and which do not, the pool (its name in pg_stat_activity, idle connections
// lost), the group-commit writer's fallbacks, the stored fingerprint, and the migration files.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createPool, isDatabaseUnavailable } from "../services/order-persistence/src/db";
import { migrate, migrationFiles } from "../services/order-persistence/src/migrate";
import type { OrderRecord } from "../services/order-persistence/src/order";
import { OrderWriter, storedFingerprint } from "../services/order-persistence/src/store";
import { capturedLogs, orderDatabaseForFile, orderRecord, waitFor } from "./support/order-service";
import { startTcpProxy } from "./support/tcp-proxy";

const { testbed, db, cleanups } = orderDatabaseForFile("store");

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable: an outage (spool, retry) or something else (the caller's error)", () => {
  it("connection errors, SQLSTATE classes 08 and 53, server shutdown, serialization failures and read-only are outages", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "08006", "08P01", "53300", "53100", "57P01", "57P03", "40001", "40P01", "25006"]) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
  });

  it("other SQLSTATEs are not, even when they merely end like an outage class", () => {
    for (const code of ["23505", "42P01", "P0001", "22003", "00008", "00053", "XX000"]) expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
  });

  it("pg's own timeouts and dead sockets, recognised by their message", () => {
    for (const message of ["timeout exceeded when trying to connect", "Query read timeout", "Connection terminated unexpectedly", "Client has encountered a connection error and is not queryable", "Client was closed and is not queryable"]) {
      expect(isDatabaseUnavailable(new Error(message)), message).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error("syntax error at or near \"SELEC\""))).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  it("an AggregateError (every address of a host failed) is an outage if any of its errors is", () => {
    expect(isDatabaseUnavailable(new AggregateError([new Error("no"), withCode("ECONNREFUSED")]))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([new Error("no"), new Error("neither")]))).toBe(false);
  });

  it("causes are followed up to five errors deep, and a cycle of causes ends", () => {
    const chain = (length: number): Error => {
      let error: Error = withCode("ECONNREFUSED");
      for (let i = 1; i < length; i++) error = new Error(`wrapper ${i}`, { cause: error });
      return error;
    };
    expect(isDatabaseUnavailable(chain(5))).toBe(true);
    expect(isDatabaseUnavailable(chain(6))).toBe(false);
    const cyclic = new Error("a") as Error & { cause?: unknown };
    cyclic.cause = new Error("b", { cause: cyclic });
    expect(isDatabaseUnavailable(cyclic)).toBe(false);
  });
});

describe("the pool", () => {
  it("connections name themselves order-persistence in pg_stat_activity", async () => {
    const pool = createPool({ databaseUrl: testbed.postgres.url(db), poolSize: 1, logger: capturedLogs().logger });
    cleanups.push(() => pool.end());
    const { rows } = await pool.query<{ application_name: string }>("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
    expect(rows[0]!.application_name).toBe("order-persistence");
  });

  it("an idle connection the server drops is logged as a warning, not a crash; the next query connects again", async () => {
    const proxy = await startTcpProxy(testbed.postgres.port);
    cleanups.push(() => proxy.close());
    const logs = capturedLogs();
    const pool = createPool({ databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/${db}`, poolSize: 1, logger: logs.logger });
    cleanups.push(() => pool.end());
    await pool.query("SELECT 1");
    await proxy.down();
    await waitFor("the lost connection to be logged", () => logs.withMessage("idle database connection lost").length === 1, 5_000, 10);
    expect(logs.withMessage("idle database connection lost")[0]).toEqual(expect.objectContaining({ level: "warn", error: expect.objectContaining({ message: expect.stringMatching(/terminated/i) }) }));
    await proxy.up();
    expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one).toBe(1);
  });
});

describe("OrderWriter: group commit and its fallbacks", () => {
  /** A writer on a pool that counts the statements it sends. */
  function counted(connectionString: string, maxInFlight = 1): { writer: OrderWriter; statements: () => number } {
    const pool = new pg.Pool({ connectionString, max: 2 });
    cleanups.push(() => pool.end());
    let statements = 0;
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
    return { writer: new OrderWriter(pool, { maxBatch: 100, maxInFlight }), statements: () => statements };
  }
  /** A raw record PostgreSQL refuses (quantity 0 breaks the table's CHECK): nothing of ours stops it here. */
  const refused = (orderId: string): OrderRecord => ({ ...orderRecord(orderId), items: [{ line: 1, productId: "A", quantity: 0, unitPriceCurrency: "USD", unitPrice: "1.000000000" }] });

  it("a batch PostgreSQL refuses is retried order by order: each learns whether it was new, the refused one fails alone", async () => {
    const { writer, statements } = counted(testbed.postgres.url(db));
    expect(await writer.insert(orderRecord("existing"))).toBe(true);
    // Held back behind a first batch so that the next three share one statement.
    const first = writer.insert(orderRecord("first"));
    const batch = Promise.allSettled([writer.insert(refused("refused")), writer.insert(orderRecord("existing")), writer.insert(orderRecord("new"))]);
    expect(await first).toBe(true);
    const results = await batch;
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "refused"))).toEqual(["refused", false, true]);
    // existing, first, the batch of three, then one statement per order of it.
    expect(statements()).toBe(6);
  });

  it("a single order PostgreSQL refuses fails at once, without a second statement", async () => {
    const { writer, statements } = counted(testbed.postgres.url(db));
    await expect(writer.insert(refused("refused"))).rejects.toThrow(/check constraint/);
    expect(statements()).toBe(1);
  });

  it("an outage fails the whole batch at once: no order-by-order retry against a database that is not there", async () => {
    const proxy = await startTcpProxy(testbed.postgres.port);
    cleanups.push(() => proxy.close());
    const { writer, statements } = counted(`postgres://postgres@127.0.0.1:${proxy.port}/${db}`);
    await proxy.down();
    const first = writer.insert(orderRecord("a"));
    const batch = [writer.insert(orderRecord("b")), writer.insert(orderRecord("c"))];
    const results = await Promise.allSettled([first, ...batch]);
    expect(results.every((r) => r.status === "rejected" && isDatabaseUnavailable(r.reason))).toBe(true);
    expect(statements()).toBe(2);
  });

  it("storedFingerprint: the stored order's fingerprint, null for an order_id not stored", async () => {
    const pool = new pg.Pool({ connectionString: testbed.postgres.url(db), max: 1 });
    cleanups.push(() => pool.end());
    await new OrderWriter(pool).insert(orderRecord("stored"));
    expect(await storedFingerprint(pool, "stored")).toMatch(/^[0-9a-f]{64}$/);
    expect(await storedFingerprint(pool, "missing")).toBeNull();
  });
});

describe("migrations", () => {
  it("migrationFiles: only *.sql, in code-unit order whatever the directory order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "order-migrations-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // U+FB00 sorts after U+1F600 in UTF-8 bytes (the order readdir returns) but before it in UTF-16 code units.
    for (const name of ["9_last.sql", "README.md", "10_b.sql", "002_a.sql", "\u{1F600}.sql", "10_a.sql", "\uFB00.sql", "001_x.sql", "notes.sql.txt"]) writeFileSync(join(dir, name), "");
    expect(await migrationFiles(dir)).toEqual(["001_x.sql", "002_a.sql", "10_a.sql", "10_b.sql", "9_last.sql", "\u{1F600}.sql", "\uFB00.sql"]);
  });

  it("a failing migration names its file and keeps PostgreSQL's error as the cause", async () => {
    const dir = mkdtempSync(join(tmpdir(), "order-migrations-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "001_broken.sql"), "ALTER TABLE no_such_table ADD COLUMN x int;");
    const fresh = testbed.createDatabase("store_broken_migration");
    const pool = new pg.Pool({ connectionString: testbed.postgres.url(fresh), max: 1 });
    cleanups.push(() => pool.end());
    const error = await migrate(pool, dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: expect.stringMatching(/^migration 001_broken\.sql failed: relation "no_such_table" does not exist/), cause: expect.objectContaining({ code: "42P01" }) });
  });
});
