// The PostgreSQL pool and the one question the rest of the service asks about its errors: is the
// database unavailable (so the order must be spooled and retried), or is something else wrong?
import pg from "pg";
import { isAggregateError, isError } from "./errors";
import type { Logger } from "./log";

export interface PoolOptions {
  databaseUrl: string | undefined;
  poolSize: number;
  logger: Logger;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    // Unset → pg's own PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE handling.
    ...(options.databaseUrl === undefined ? {} : { connectionString: options.databaseUrl }),
    max: options.poolSize,
    // A database that does not answer must not hold checkout's call: give up quickly and spool.
    connectionTimeoutMillis: 2_000,
    query_timeout: 5_000,
    // Half-open connections (node or network gone) are found by TCP keepalive, not by a hung query.
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    application_name: "order-persistence",
  });
  // Idle clients see the server go away (restart, failover) as an 'error' event; without a
  // listener that event would crash the process. The pool already drops the client.
  pool.on("error", (error) => options.logger.warn("idle database connection lost", { error }));
  return pool;
}

const UNAVAILABLE_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "ECONNABORTED"]);
// SQLSTATEs that say "not now" rather than "never": connection exceptions (08), server shutting
// down or starting (57P01..57P03), out of resources (53: too many connections, disk full), and
// serialization failure / deadlock (40001, 40P01), which a retry resolves, and a server that
// accepts no writes now (25006: a standby, or a primary being demoted or fenced read-only).
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "40001", "40P01", "25006"]);
// pg reports its own timeouts and dead sockets as plain Errors with these messages.
const UNAVAILABLE_MESSAGES = [/timeout exceeded when trying to connect/i, /query read timeout/i, /connection terminated/i, /connection error/i, /not queryable/i, /Client was closed/i];

/** True when the error means PostgreSQL could not be reached or could not serve us right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; isError(current) && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08") || code.startsWith("53")) return true;
    }
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(current.message))) return true;
    if (isAggregateError(current) && current.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}
