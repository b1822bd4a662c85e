// The entry point in-process: main.ts imported afresh per spec with its command line, environment,
// stdout/stderr and process.exit captured, and its signal handlers called directly (never sent to
// this process). Commands `serve` (the default) and `migrate`, a usage error, a failed command.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "./support/postgres";
import { OrderTestbed, waitFor, type LogEntry } from "./support/order-service";

const testbed = new OrderTestbed();
beforeAll(() => testbed.start());
afterAll(() => testbed.stop());

const argv = process.argv;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  process.argv = argv;
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const until = <T>(what: string, probe: () => T | undefined | false) => waitFor(what, probe, 10_000, 10);

interface Run {
  /** What it wrote to stdout, one parsed JSON object per line. */
  logs(): LogEntry[];
  logged(msg: string): LogEntry[];
  stderr: string[];
  exits: (number | undefined)[];
  /** Calls the handlers main.ts registered for this signal. */
  signal(name: "SIGTERM" | "SIGINT"): void;
}

let spoolDirs = 0;

/** Imports main.ts afresh with this command line and environment (blank values mean unset, as in config.ts). */
async function runMain(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exits: (number | undefined)[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => stdout.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => stderr.push(String(chunk)) > 0);
  vi.spyOn(process, "exit").mockImplementation(((code?: number) => void exits.push(code)) as typeof process.exit);
  const spoolDir = mkdtempSync(join(tmpdir(), `order-main-spool-${++spoolDirs}-`));
  cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
  const settings: Record<string, string> = { HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0", SPOOL_DIR: spoolDir, SHUTDOWN_DELAY_MS: "0", LOG_LEVEL: "", EMAIL_SERVICE_ADDR: "", MIGRATIONS_DIR: "", ...env };
  for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
  const before = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
  const added = (name: "SIGTERM" | "SIGINT") => process.listeners(name).filter((listener) => !before[name].includes(listener));
  cleanups.push(() => {
    for (const name of ["SIGTERM", "SIGINT"] as const) for (const listener of added(name)) process.off(name, listener);
  });
  process.argv = [argv[0]!, "main.js", ...args];
  vi.resetModules();
  await import("../services/order-persistence/src/main");
  const logs = () =>
    stdout
      .join("")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as LogEntry);
  return {
    logs,
    logged: (msg) => logs().filter((entry) => entry.msg === msg),
    stderr,
    exits,
    signal: (name) => {
      for (const listener of added(name)) (listener as (signal: string) => void)(name);
    },
  };
}

describe("serve (the default command)", () => {
  it("serves until SIGTERM, then logs the signal once, shuts down and exits 0; a second signal changes nothing", async () => {
    const db = testbed.createDatabase("main_serve");
    const run = await runMain(["serve"], { DATABASE_URL: testbed.postgres.url(db) });
    await until("serving", () => run.logged("serving").length === 1);
    run.signal("SIGTERM");
    run.signal("SIGTERM");
    await until("exit", () => run.exits.length > 0);
    expect(run.exits).toEqual([0]);
    expect(run.logged("signal received")).toEqual([expect.objectContaining({ level: "info", signal: "SIGTERM" })]);
    expect(run.logged("stopped")).toHaveLength(1);
    expect(testbed.count(db, "SELECT count(*) FROM schema_migrations")).toBe(2);
  });

  it("is what runs without a command, and stops on SIGINT too", async () => {
    const db = testbed.createDatabase("main_default");
    const run = await runMain([], { DATABASE_URL: testbed.postgres.url(db) });
    await until("serving", () => run.logged("serving").length === 1);
    run.signal("SIGINT");
    await until("exit", () => run.exits.length > 0);
    expect(run.exits).toEqual([0]);
    expect(run.logged("signal received")).toEqual([expect.objectContaining({ signal: "SIGINT" })]);
  });

  it("a configuration it cannot use fails the command: one JSON error line, exit 1", async () => {
    const run = await runMain(["serve"], { LOG_LEVEL: "loud" });
    await until("exit", () => run.exits.length > 0);
    expect(run.exits).toEqual([1]);
    expect(run.logs()).toEqual([{ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: "error", msg: "serve failed", error: 'LOG_LEVEL must be debug, info, warn or error, got "loud"' }]);
  });
});

describe("migrate", () => {
  it("applies the migrations, logs what it applied, and ends without exiting the process itself", async () => {
    const db = testbed.createDatabase("main_migrate");
    const run = await runMain(["migrate"], { DATABASE_URL: testbed.postgres.url(db) });
    await until("migrations done", () => run.logged("migrations done").length === 1);
    expect(run.logged("migrations done")[0]).toEqual(expect.objectContaining({ level: "info", applied: ["001_orders", "002_order_fingerprint"], alreadyApplied: 0 }));
    expect(testbed.count(db, "SELECT count(*) FROM schema_migrations")).toBe(2);
    // Its connection is closed, so that the process can end (a Job) instead of idling for 30 s.
    await waitFor("its connection to close", () => testbed.count("postgres", `SELECT count(*) FROM pg_stat_activity WHERE datname = '${db}'`) === 0, 3_000, 20);
    expect(run.logged("listening")).toEqual([]);
    expect(run.exits).toEqual([]);
  });

  it("an unreachable database fails it: one JSON error line naming the command, exit 1", async () => {
    const run = await runMain(["migrate"], { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere` });
    await until("exit", () => run.exits.length > 0);
    expect(run.exits).toEqual([1]);
    expect(run.logs()).toEqual([expect.objectContaining({ level: "error", msg: "migrate failed", error: expect.stringMatching(/ECONNREFUSED/) })]);
  });
});

it("an unknown command prints the usage on stderr and exits 2", async () => {
  const run = await runMain(["frobnicate"]);
  expect(run.exits).toEqual([2]);
  expect(run.stderr).toEqual(['usage: main.js [serve|migrate] (got "frobnicate")\n']);
  expect(run.logs()).toEqual([]);
});
