// Schema migrations: every migrations/*.sql file, in name order, each applied once in its own
// transaction and recorded in schema_migrations. Replicas may start together, so every file's
// transaction first takes a transaction-scoped advisory lock: the second replica waits, then sees
// the version recorded and skips it. A failed file rolls back completely and stops the run.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";

/** Arbitrary but fixed: every replica must use the same key. ("ordr" migrations, as an int8.) */
const MIGRATION_LOCK_KEY = "7237450479001";

export interface MigrationResult {
  /** Versions applied by this call (file names without .sql), in order. */
  applied: string[];
  /** Versions that were already recorded. */
  skipped: string[];
}

/** Migration files in the directory, sorted by name (plain code-unit order, locale-independent). */
export async function migrationFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".sql"));
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export async function migrate(pool: pg.Pool, dir: string): Promise<MigrationResult> {
  const result: MigrationResult = { applied: [], skipped: [] };
  const files = await migrationFiles(dir);
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    for (const file of files) {
      const version = file.slice(0, -".sql".length);
      const sql = await readFile(join(dir, file), "utf8");
      await client.query("BEGIN");
      try {
        await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
        // Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide.
        await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        const done = await client.query("SELECT 1 FROM schema_migrations WHERE version = $1", [version]);
        if (done.rowCount === 0) {
          // No parameters → simple query protocol, which accepts a file of several statements.
          await client.query(sql);
          await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", [version]);
          result.applied.push(version);
        } else {
          result.skipped.push(version);
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        failure = error as Error;
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  } finally {
    // A failed client may hold a broken connection: destroy it rather than return it to the pool.
    client.release(failure);
  }
  return result;
}
