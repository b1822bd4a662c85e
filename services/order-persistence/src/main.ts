// Entry point. `serve` (default) runs the service until SIGTERM/SIGINT; `migrate` applies the
// schema migrations and exits (for a Job or an init container, if one is preferred over the
// migrations the server runs at startup).
import { loadConfig } from "./config";
import { createPool } from "./db";
import { isError } from "./errors";
import { migrate } from "./migrate";
import { startServer } from "./server";

async function runMigrate(): Promise<void> {
  const config = loadConfig();
  const pool = createPool({ databaseUrl: config.databaseUrl, poolSize: 1, logger: config.logger });
  try {
    const result = await migrate(pool, config.migrationsDir);
    config.logger.info("migrations done", { applied: result.applied, alreadyApplied: result.skipped.length });
  } finally {
    await pool.end();
  }
}

async function runServe(): Promise<void> {
  const config = loadConfig();
  const server = await startServer(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    config.logger.info("signal received", { signal });
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        config.logger.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

const command = process.argv[2] ?? "serve";
const commands: Record<string, () => Promise<void>> = { serve: runServe, migrate: runMigrate };
const run = commands[command];
if (!run) {
  process.stderr.write(`usage: main.js [serve|migrate] (got ${JSON.stringify(command)})\n`);
  process.exit(2);
} else {
  run().catch((error: unknown) => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: `${command} failed`, error: isError(error) ? error.message : String(error) })}\n`);
    process.exit(1);
  });
}
