// Real PostgreSQL servers for tests: a fresh cluster in a temp directory, listening on a free
// loopback port, trust authentication (loopback only), stopped and deleted by stop().
// PostgreSQL refuses to run as root; when the tests run as root (CI) the server runs as the
// "postgres" user that Debian's package creates. A missing installation fails, never skips.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** bin directory of the newest PostgreSQL installed by Debian's packages. */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error("PostgreSQL is not installed (Debian package postgresql; .ci/run installs it)");
  return join(root, versions[0]!, "bin");
}

const runningAsRoot = process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } {
  return { uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })) };
}

/** Runs a PostgreSQL program (as the postgres user when we are root); throws with its output on failure. */
export function pgRun(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const binary = program.includes("/") ? program : join(postgresBinDir(), program);
  const [file, argv] = runningAsRoot ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args];
  // cwd "/": the server user may not enter the caller's working directory (a mutation-testing sandbox is 0700).
  const result = spawnSync(file, argv, { encoding: "utf8", cwd: "/", env: { ...process.env, ...options.env }, input: options.input ?? "", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const tempDirs: string[] = [];

/** A directory the server user may write to; removeServerOwnedTempDirs() deletes them all. */
export function serverOwnedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  if (runningAsRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  return dir;
}

/** For afterAll: the directories serverOwnedTempDir made in this test file. */
export function removeServerOwnedTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface PostgresServer {
  port: number;
  /** Directory of the server's Unix socket (libpq: PGHOST=<this>). */
  socketDir: string;
  dataDir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Runs SQL with psql against `database` (default postgres) and returns unaligned, tuples-only output. */
  sql(query: string, database?: string): string;
  start(): void;
  stop(): void;
  /** Stops the server and deletes its directory. */
  destroy(): void;
}

export interface StartOptions {
  /** Use an existing data directory (e.g. a replica made by pg_basebackup) instead of initdb. */
  dataDir?: string;
  /** Extra server settings (-c name=value). */
  settings?: Record<string, string>;
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const port = await freePort();
  const home = serverOwnedTempDir("pg-");
  const dataDir = options.dataDir ?? join(home, "data");
  if (!options.dataDir) pgRun("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  const settings = { listen_addresses: "127.0.0.1", port: String(port), unix_socket_directories: home, fsync: "off", ...options.settings };
  const serverOptions = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`).join(" ");
  const log = join(home, "server.log");
  const server: PostgresServer = {
    port,
    socketDir: home,
    dataDir,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    sql: (query, database = "postgres") => pgRun("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-At", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-c", query]),
    start: () => void pgRun("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", log, "-w", "-t", "60", "start"]),
    stop: () => {
      if (existsSync(join(dataDir, "postmaster.pid"))) pgRun("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
    destroy: () => {
      try {
        server.stop();
      } finally {
        rmSync(home, { recursive: true, force: true });
        if (options.dataDir) rmSync(options.dataDir, { recursive: true, force: true });
      }
    },
  };
  server.start();
  reapWhenGone(dataDir, home);
  return server;
}

/**
 * A test process killed before its afterAll (Ctrl-C, a mutation-testing timeout) would leave its
 * servers running: a detached watcher stops the server and deletes its folder once this process
 * is gone. (After a normal destroy() it finds nothing left to do.)
 */
function reapWhenGone(dataDir: string, home: string): void {
  const pgCtl = join(postgresBinDir(), "pg_ctl");
  const stop = runningAsRoot ? `runuser -u postgres -- ${pgCtl}` : pgCtl;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; [ -f '${dataDir}/postmaster.pid' ] && ${stop} -D '${dataDir}' -m immediate -w stop; rm -rf '${home}'`;
  spawn("sh", ["-c", script], { cwd: "/", detached: true, stdio: "ignore" }).unref();
}
