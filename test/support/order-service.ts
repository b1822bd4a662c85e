// Fixtures for the order persistence tests: a real PostgreSQL, the service in-process or as the
// bundled entry point in its own process, a stand-in emailservice, gRPC clients, and readers for
// the metrics and the spool. Everything a testbed starts is stopped and deleted by stop().
import * as grpc from "@grpc/grpc-js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Config } from "../../services/order-persistence/src/config";
import { silentLogger } from "../../services/order-persistence/src/log";
import type { SendOrderConfirmationRequest } from "../../services/order-persistence/src/messages";
import { migrate } from "../../services/order-persistence/src/migrate";
import { defaultMigrationsDir, protoDir } from "../../services/order-persistence/src/paths";
import type { PersisterOptions } from "../../services/order-persistence/src/persister";
import { loadProtos } from "../../services/order-persistence/src/proto";
import { startServer, type RunningServer } from "../../services/order-persistence/src/server";
import { freePort, startPostgres, type PostgresServer } from "./postgres";
import { repoRoot } from "./repo";
import { waitFor } from "./wait";

export const protos = loadProtos();

/** Short waits, so that outages and replays play out in test time. */
export const fastPersister: PersisterOptions = { initialBackoffMs: 100, maxBackoffMs: 400 };

export interface FakeEmail {
  address: string;
  calls: SendOrderConfirmationRequest[];
}

export interface Clients {
  email: grpc.Client;
  health: grpc.Client;
}

/** The bundled service running in its own process (as in the image). */
export interface ServiceProcess {
  port: number;
  metricsPort: number;
  pid: number;
  /** Everything it logged so far, one JSON object per line. */
  logLines(): string[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Unprivileged identity for processes whose file permissions a test takes away (root ignores them). */
const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

export class OrderTestbed {
  postgres!: PostgresServer;
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private imageDir: string | undefined;

  async start(): Promise<void> {
    this.postgres = await startPostgres();
  }

  async stop(): Promise<void> {
    // Newest first: servers before the database they use.
    for (const cleanup of this.cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    this.postgres?.destroy();
  }

  ensurePostgresRunning(): void {
    if (!existsSync(join(this.postgres.dataDir, "postmaster.pid"))) this.postgres.start();
  }

  onStop(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.onStop(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  createDatabase(name: string): string {
    this.postgres.sql(`CREATE DATABASE ${name}`);
    return name;
  }

  /** A new database with the service's schema migrated. */
  async migratedDatabase(name: string): Promise<string> {
    const pool = new pg.Pool({ connectionString: this.postgres.url(this.createDatabase(name)), max: 1 });
    try {
      await migrate(pool, defaultMigrationsDir);
    } finally {
      await pool.end();
    }
    return name;
  }

  /** Empties the order tables and removes the triggers failInserts made: a migrated database as new. */
  async resetOrders(pool: pg.Pool): Promise<void> {
    await pool.query(`DO $$ DECLARE t record; BEGIN
      FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND tgname LIKE 'fail\\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON orders', t.tgname);
      END LOOP;
    END $$; TRUNCATE orders, order_items`);
  }

  /**
   * Makes PostgreSQL itself fail inserts of the orders whose order_id matches `pattern` (LIKE) with
   * `sqlstate`: 25006 (read-only) is an outage, P0001 a refusal. Returns the undo.
   */
  failInserts(database: string, pattern: string, sqlstate: string): () => void {
    const name = `fail_${sqlstate.toLowerCase()}_${createHash("sha256").update(pattern).digest("hex").slice(0, 8)}`;
    this.postgres.sql(
      `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'insert of % refused by a test trigger', NEW.order_id USING ERRCODE = '${sqlstate}'; END $$; ` +
        `CREATE OR REPLACE TRIGGER ${name} BEFORE INSERT ON orders FOR EACH ROW WHEN (NEW.order_id LIKE '${pattern}') EXECUTE FUNCTION ${name}()`,
      database,
    );
    return () => void this.postgres.sql(`DROP TRIGGER IF EXISTS ${name} ON orders`, database);
  }

  count(database: string, query: string): number {
    return Number(this.postgres.sql(query, database).trim());
  }

  config(database: string, overrides: Partial<Config> = {}): Config {
    return {
      host: "127.0.0.1",
      port: 0,
      metricsPort: 0,
      databaseUrl: this.postgres.url(database),
      poolSize: 4,
      emailServiceAddr: undefined,
      emailTimeoutMs: 2_000,
      spoolDir: this.tempDir("order-spool-"),
      migrationsDir: defaultMigrationsDir,
      shutdownDelayMs: 0,
      shutdownTimeoutMs: 5_000,
      logger: silentLogger,
      ...overrides,
    };
  }

  /** Starts the service in-process; stopped by stop() unless a test closes it. */
  async service(cfg: Config, persister: PersisterOptions = fastPersister): Promise<RunningServer> {
    const server = await startServer(cfg, { persister, migrationRetryMs: 100 });
    this.onStop(() => server.close());
    return server;
  }

  /** A stand-in emailservice that records every call; "hang" never answers (for deadlines). */
  async fakeEmailService(behaviour: "ok" | "hang" = "ok"): Promise<FakeEmail> {
    const calls: SendOrderConfirmationRequest[] = [];
    const server = new grpc.Server();
    server.addService(protos.EmailService.service, {
      SendOrderConfirmation: (call: grpc.ServerUnaryCall<SendOrderConfirmationRequest, object>, callback: grpc.sendUnaryData<object>) => {
        calls.push(call.request);
        if (behaviour === "ok") callback(null, {});
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
    this.onStop(() => server.forceShutdown());
    return { address: `127.0.0.1:${port}`, calls };
  }

  clients(port: number): Clients {
    const email = new protos.EmailService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const health = new protos.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.onStop(() => {
      email.close();
      health.close();
    });
    return { email, health };
  }

  /** The image layout, built once per testbed: dist/main.js next to proto/ and migrations/. */
  image(): string {
    if (this.imageDir) return this.imageDir;
    const app = this.tempDir("order-persistence-image-");
    const build = spawnSync(process.execPath, [join(repoRoot, "services/order-persistence/build.mjs"), join(app, "dist", "main.js")], { encoding: "utf8" });
    if (build.status !== 0) throw new Error(`bundling the service failed:\n${build.stderr}`);
    cpSync(protoDir, join(app, "proto"), { recursive: true });
    cpSync(defaultMigrationsDir, join(app, "migrations"), { recursive: true });
    chmodSync(app, 0o755);
    this.imageDir = app;
    return app;
  }

  /**
   * A spool directory the service process may write and the test may take away from it: owned by
   * the unprivileged user the process runs as when the tests run as root.
   */
  processSpoolDir(): string {
    const home = this.tempDir("order-spool-home-");
    chmodSync(home, 0o755);
    const dir = join(home, "spool");
    mkdirSync(dir, { mode: 0o700 });
    if (unprivileged) chownSync(dir, unprivileged.uid, unprivileged.gid);
    return dir;
  }

  /** Runs the bundled entry point in its own process (unprivileged when we are root). */
  async serviceProcess(env: Record<string, string>): Promise<ServiceProcess> {
    const app = this.image();
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child: ChildProcess = spawn(process.execPath, [join(app, "dist", "main.js")], {
      env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: String(port), METRICS_PORT: String(metricsPort), SHUTDOWN_DELAY_MS: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      cwd: app,
      ...(unprivileged ?? {}),
    });
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    this.onStop(async () => {
      child.kill("SIGKILL");
      await exited;
    });
    return {
      port,
      metricsPort,
      pid: child.pid!,
      logLines: () => stdout.split("\n").filter((line) => line !== ""),
      exited,
      kill: (signal = "SIGTERM") => void child.kill(signal),
    };
  }
}

/** What orderDatabaseForFile gives a test file. */
export interface OrderFileDatabase {
  testbed: OrderTestbed;
  /** The migrated database's name. */
  db: string;
  /** A pool on it for the specs' own queries; there once beforeAll has run. */
  readonly check: pg.Pool;
  /** Run after each spec, newest first, before the orders are emptied. */
  cleanups: (() => Promise<void> | void)[];
}

/**
 * One PostgreSQL and one migrated database for a whole test file, emptied after each spec: starting
 * PostgreSQL per spec would cost seconds each. Registers the file's hooks, so call it at the top
 * level. (vitest runs after-hooks newest first: a file's own afterEach runs before this one.)
 */
export function orderDatabaseForFile(db: string): OrderFileDatabase {
  const testbed = new OrderTestbed();
  let check: pg.Pool | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    await testbed.start();
    await testbed.migratedDatabase(db);
    check = new pg.Pool({ connectionString: testbed.postgres.url(db), max: 1 });
  });
  afterAll(async () => {
    await check?.end();
    // Pool.end() resolves before its connections have closed; stopping the server under one still
    // closing sends it a shutdown error (57P01) that no listener takes, an unhandled error.
    const open = () => testbed.postgres.sql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`).trim();
    await waitFor(`the connections to ${db} to close`, () => open() === "0", 5_000, 20).catch(() => undefined);
    await testbed.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await testbed.resetOrders(check!);
  });
  return {
    testbed,
    db,
    get check() {
      if (!check) throw new Error("the file's database is not started yet (use check inside a spec or hook)");
      return check;
    },
    cleanups,
  };
}

function unary<T>(client: grpc.Client, method: string, request: unknown): Promise<{ error: grpc.ServiceError | null; response: T | undefined }> {
  return new Promise((resolve) => {
    const call = (client as unknown as Record<string, (req: unknown, options: grpc.CallOptions, cb: (error: grpc.ServiceError | null, response?: T) => void) => void>)[method]!;
    call.call(client, request, { deadline: Date.now() + 10_000 }, (error, response) => resolve({ error, response }));
  });
}

export async function send(c: Clients, request: SendOrderConfirmationRequest): Promise<grpc.ServiceError | null> {
  return (await unary<object>(c.email, "SendOrderConfirmation", request)).error;
}

export async function healthStatus(c: Clients, service = ""): Promise<string> {
  const { error, response } = await unary<{ status: string }>(c.health, "Check", { service });
  if (error) return `error ${grpc.status[error.code]}`;
  return response!.status;
}

export { capturedLogs, money, orderRecord, orderRequest, type LogEntry, type OrderOptions } from "./orders";

export async function metricsText(metricsPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one sample ("name" or "name{labels}") in the exposition text, or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export async function metric(metricsPort: number, series: string): Promise<number | undefined> {
  return sample(await metricsText(metricsPort), series);
}

export function spoolFiles(dir: string, suffix = ".json"): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(suffix));
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

export { waitFor };
