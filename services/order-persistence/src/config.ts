// Configuration comes only from the environment (twelve-factor), read once at startup. Invalid
// values fail startup loudly instead of silently falling back to a default.
import { defaultMigrationsDir } from "./paths";
import { isLogLevel, jsonLogger, type Logger } from "./log";

export interface Config {
  /** Interface the gRPC server binds (HOST, default 0.0.0.0). */
  host: string;
  /** gRPC port (PORT, default 5000 — the port checkout expects of an emailservice). 0 = any free port. */
  port: number;
  /** Prometheus /metrics port (METRICS_PORT, default 9464). 0 = any free port. */
  metricsPort: number;
  /** DATABASE_URL; when unset, pg reads PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE itself. */
  databaseUrl: string | undefined;
  /** Connections in the pg pool (PG_POOL_SIZE, default 10). */
  poolSize: number;
  /** The real emailservice, host:port (EMAIL_SERVICE_ADDR). Unset = do not forward. */
  emailServiceAddr: string | undefined;
  /** Deadline for the forwarded call (EMAIL_TIMEOUT_MS, default 3000). */
  emailTimeoutMs: number;
  /** Durable fallback for orders while PostgreSQL is unreachable (SPOOL_DIR, default /var/spool/orders). */
  spoolDir: string;
  /** SQL migrations applied at startup (MIGRATIONS_DIR, default ../migrations next to the code). */
  migrationsDir: string;
  /**
   * After SIGTERM, how long to keep serving (health NOT_SERVING) before refusing connections
   * (SHUTDOWN_DELAY_MS, default 3000): Kubernetes removes the pod from the Service's endpoints
   * asynchronously, and an order sent to a closed port is lost — checkout only logs the failure.
   */
  shutdownDelayMs: number;
  /** How long shutdown waits for in-flight calls before cutting them off (SHUTDOWN_TIMEOUT_MS, default 10000). */
  shutdownTimeoutMs: number;
  logger: Logger;
}

/** A decimal integer in min..max; unset, empty or blank means the default (as for text settings). */
function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  // Decimal digits only: Number() would also read "1e3", "0x10" or "5." as ports.
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(env[name])}`);
  return value;
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const level = text(env, "LOG_LEVEL") ?? "info";
  if (!isLogLevel(level)) throw new Error(`LOG_LEVEL must be debug, info, warn or error, got ${JSON.stringify(level)}`);
  return {
    host: text(env, "HOST") ?? "0.0.0.0",
    port: integer(env, "PORT", 5000, 0, 65535),
    metricsPort: integer(env, "METRICS_PORT", 9464, 0, 65535),
    databaseUrl: text(env, "DATABASE_URL"),
    poolSize: integer(env, "PG_POOL_SIZE", 10, 1, 1000),
    emailServiceAddr: text(env, "EMAIL_SERVICE_ADDR"),
    emailTimeoutMs: integer(env, "EMAIL_TIMEOUT_MS", 3000, 1, 600_000),
    spoolDir: text(env, "SPOOL_DIR") ?? "/var/spool/orders",
    migrationsDir: text(env, "MIGRATIONS_DIR") ?? defaultMigrationsDir,
    shutdownDelayMs: integer(env, "SHUTDOWN_DELAY_MS", 3_000, 0, 600_000),
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    logger: jsonLogger(level),
  };
}
