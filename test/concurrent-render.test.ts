// Renders never corrupt rendered/: they write one at a time (a lock file naming the writer: pid,
// host, start), a lock or a leftover folder of a render that is gone is cleaned up, and a live
// render's are never touched.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { cliNodeArgs } from "../generator/cli-command.mjs";
import { repoRoot, scratchRepo, treeDigest } from "./support/repo";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

function scratch(): string {
  const repo = scratchRepo();
  cleanups.push(repo.cleanup);
  return repo.root;
}

interface Run {
  status: number | null;
  stderr: string;
}

/** A process; resolves with its exit code and stderr. `stderrLine` resolves with the first stderr line matching a pattern. */
function start(args: string[]): { done: Promise<Run>; stderrLine: (pattern: RegExp) => Promise<string> } {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const watcher of [...watchers]) {
      const line = stderr.split("\n").find((l) => watcher.pattern.test(l));
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(line);
      }
    }
  };
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    check();
  });
  const done = new Promise<Run>((resolve) => child.on("close", (status) => resolve({ status, stderr })));
  const stderrLine = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      watchers.push({ pattern, resolve });
      check();
      void done.then(() => reject(new Error(`exited without printing ${pattern}; stderr: ${stderr}`)));
    });
  return { done, stderrLine };
}

/** A render process. */
function startRender(root: string, ...args: string[]) {
  return start([...cliNodeArgs("render", repoRoot), "--root", root, ...args]);
}

function render(root: string, ...args: string[]): Promise<Run> {
  return startRender(root, ...args).done;
}

// test/support/lock-user.ts bundled once with the lock code it imports (core/render-lock.ts,
// the render's own), so each of the many lock users is a plain `node` start: through tsx every
// start would compile the sources again (0.4 CPU-s each, against 0.05 for the bundle).
let lockUserBundle = "";
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "lock-user-"));
  lockUserBundle = join(dir, "lock-user.mjs");
  // Everything bundled (it imports only node: built-ins and repository files), so it runs from anywhere.
  buildSync({ entryPoints: [join(repoRoot, "test/support/lock-user.ts")], outfile: lockUserBundle, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
  return () => rmSync(dir, { recursive: true, force: true });
});

/** A process that takes the render lock as a render does (test/support/lock-user.ts). */
function lockUser(options: { lock: string; log: string; startAt?: number; holdMs?: number; waitMs?: number; lockAsItsOwnPid?: boolean }) {
  return start([lockUserBundle, JSON.stringify(options)]);
}

/** A lock file as a render on `host` with `pid` writes it. */
function lockOf(pid: number, host = hostname()): string {
  return `${JSON.stringify({ pid, host, token: `test-${pid}` })}\n`;
}

const waiting = /^render: waiting for the render( --check)? of pid [0-9]+ on host \S+ \(\.rendered\.lock\)$/;

/** Holders in the log of lock users, in order: every "in" is followed by the same pid's "out". */
function holdersInTurn(log: string): number[] {
  const lines = readFileSync(log, "utf8").trim().split("\n");
  const holders: number[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const pid = (lines[i] ?? "").replace(/^in /, "");
    expect([lines[i], lines[i + 1]], "two holders at once").toEqual([`in ${pid}`, `out ${pid}`]);
    holders.push(Number(pid));
  }
  return holders;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

const leftovers = (root: string) => readdirSync(root).filter((entry) => entry.startsWith(".rendered"));

describe("concurrent renders", () => {
  it("4 pairs of renders running at once (all environments, and --env dev) and a --check, twice, leave rendered/ as one render does, whether rendered/ was missing or complete", async () => {
    const root = scratch();
    rmSync(join(root, "rendered"), { recursive: true });
    // Two rounds, one per state a round can start from: the first renders into a missing rendered/
    // (every render finds changes, so all eight write, one at a time), the second over the complete
    // tree the first left (every render finds it unchanged and leaves it alone). A third round would
    // start from the very state of the second and prove nothing more; many processes racing for the
    // lock at once is the lock-user test's below, at a fraction of a render's cost.
    // The --check reads the tree while the renders swap it: before or after a swap, never during one.
    for (let round = 0; round < 2; round++) {
      const renders = Array.from({ length: 4 }, () => [render(root), render(root, "--env", "dev")]).flat();
      const check = render(root, "--check");
      for (const run of await Promise.all(renders)) {
        expect(run.status, run.stderr).toBe(0);
        // The only thing a render says on stderr: that it waits for another's lock.
        for (const line of run.stderr.split("\n").filter(Boolean)) expect(line).toMatch(waiting);
      }
      const checked = await check;
      expect([0, 1], checked.stderr).toContain(checked.status);
      for (const line of checked.stderr.split("\n").filter(Boolean)) expect(line).toMatch(waiting);
    }
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
    expect(leftovers(root)).toEqual([]);
  });

  it("--check and the policy run on a checkout they may not write to (no lock file possible) read without the lock; a render names what it cannot write", () => {
    const root = scratch();
    writeFileSync(join(root, "rendered", "dev", "hand-made.yaml"), "kind: ConfigMap\n");
    // The bundles are self-contained: copies run where an unprivileged user can read them.
    const bundle = (command: "render" | "policy") => {
      const copy = join(root, `${command}.mjs`);
      copyFileSync(join(repoRoot, cliNodeArgs(command, ".")[0]!), copy);
      return copy;
    };
    const [render, policy] = [bundle("render"), bundle("policy")];
    chmodSync(root, 0o555);
    try {
      // Root ignores permissions: the runs are nobody's, who may read the copy but not write to it.
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const check = spawnSync(process.execPath, [render, "--root", root, "--check"], { encoding: "utf8", ...asNobody });
      expect(check.stderr).toBe("");
      expect(check.status).toBe(1);
      expect(check.stdout).toContain("extra    rendered/dev/hand-made.yaml");
      // A render there cannot write the change, and says why (the tree up to date, it succeeds: test/output.test.ts).
      const rendering = spawnSync(process.execPath, [render, "--root", root], { encoding: "utf8", ...asNobody });
      expect(rendering.stderr).toBe("render: ., rendered: not writable, so rendered/ cannot be replaced; nothing was changed\n");
      expect(rendering.status).toBe(2);
      const judged = spawnSync(process.execPath, [policy, "--root", root], { encoding: "utf8", ...asNobody });
      expect(judged.stderr).toBe("");
      expect(judged.stdout).toMatch(/rendered\/dev\/hand-made\.yaml/);
      expect(judged.status).toBe(1);
    } finally {
      chmodSync(root, 0o755);
    }
  });

  it("a lock left by a render that was killed is taken over", async () => {
    const root = scratch();
    rmSync(join(root, "rendered", "dev"), { recursive: true });
    writeFileSync(join(root, ".rendered.lock"), String(deadPid()));
    expect(await render(root)).toEqual({ status: 0, stderr: "" });
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
    expect(leftovers(root)).toEqual([]);
  });

  it("a live render's lock is waited for (the render says so), and its folders are left alone", async () => {
    const root = scratch();
    rmSync(join(root, "rendered", "dev"), { recursive: true });
    // This test process stands for a render that is writing: it holds the lock and has a staging folder.
    writeFileSync(join(root, ".rendered.lock"), lockOf(process.pid));
    mkdirSync(join(root, `.rendered-staging-${process.pid}`));
    mkdirSync(join(root, `.rendered-staging-${deadPid()}`));
    const run = startRender(root);
    const said = `render: waiting for the render of pid ${process.pid} on host ${hostname()} (.rendered.lock)`;
    expect(await run.stderrLine(/^render: waiting/)).toBe(said);
    expect(existsSync(join(root, "rendered", "dev")), "written while the lock was held").toBe(false);
    rmSync(join(root, ".rendered.lock"));
    expect(await run.done).toEqual({ status: 0, stderr: `${said}\n` });
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
    expect(leftovers(root)).toEqual([`.rendered-staging-${process.pid}`]);
  });

  it("a policy run of rendered/, or of a folder of it, waits for a live render's lock (and says so); one of another directory reads it at once", async () => {
    const root = scratch();
    cpSync(join(root, "rendered", "dev"), join(root, "elsewhere", "dev"), { recursive: true });
    writeFileSync(join(root, ".rendered.lock"), lockOf(process.pid));
    const policy = (...args: string[]) => start([...cliNodeArgs("policy", repoRoot), "--root", root, ...args]);
    expect(await policy(join(root, "elsewhere", "dev")).done).toEqual({ status: 0, stderr: "" });
    const runs = [policy(), policy(join(root, "rendered", "dev"))];
    const said = `policy: waiting for the render of pid ${process.pid} on host ${hostname()} (.rendered.lock)`;
    for (const run of runs) expect(await run.stderrLine(/^policy: waiting/)).toBe(said);
    rmSync(join(root, ".rendered.lock"));
    // Both read the tree once the lock is gone: each waits for the other's reading at most.
    for (const run of runs) {
      const { status, stderr } = await run.done;
      expect(status, stderr).toBe(0);
      expect(stderr.split("\n").filter(Boolean)).toContain(said);
      for (const line of stderr.split("\n").filter(Boolean)) expect(line).toMatch(/^policy: waiting for the (render|policy run) of pid [0-9]+ on host \S+ \(\.rendered\.lock\)$/);
    }
    expect(leftovers(root)).toEqual([]);
  });

  it("render --check waits for a live render's lock (and says so), then compares", async () => {
    const root = scratch();
    writeFileSync(join(root, ".rendered.lock"), lockOf(process.pid));
    const run = startRender(root, "--check");
    const said = `render: waiting for the render of pid ${process.pid} on host ${hostname()} (.rendered.lock)`;
    expect(await run.stderrLine(/^render: waiting/)).toBe(said);
    rmSync(join(root, ".rendered.lock"));
    expect(await run.done).toEqual({ status: 0, stderr: `${said}\n` });
  });

  it("a lock left by a dead render is taken over by exactly one of 12 processes trying at the same instant, then each in turn (3 rounds)", async () => {
    const root = scratch();
    const lock = join(root, ".rendered.lock");
    for (let round = 0; round < 3; round++) {
      const log = join(root, `log-${round}`);
      writeFileSync(lock, lockOf(deadPid()));
      const startAt = Date.now() + 1000;
      const runs = await Promise.all(Array.from({ length: 12 }, () => lockUser({ lock, log, startAt, holdMs: 5 }).done));
      for (const run of runs) expect(run.status).toBe(0);
      expect(holdersInTurn(log)).toHaveLength(12);
      expect(existsSync(lock), "the last holder removed the lock").toBe(false);
    }
    expect(leftovers(root)).toEqual([]);
  });

  it("a lock naming this very pid (a killed render's pid, now reused by this process) is taken over at once", async () => {
    const root = scratch();
    const log = join(root, "log");
    const started = Date.now();
    expect(await lockUser({ lock: join(root, ".rendered.lock"), log, lockAsItsOwnPid: true, waitMs: 10_000 }).done).toEqual({ status: 0, stderr: "" });
    expect(holdersInTurn(log)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a lock from another host is waited for, never taken over, and the error names the host, the pid and how to remove it", async () => {
    const root = scratch();
    const lock = join(root, ".rendered.lock");
    // The pid is dead here, which says nothing about the machine that wrote the lock.
    const pid = deadPid();
    writeFileSync(lock, lockOf(pid, "build-agent-7"));
    const run = await lockUser({ lock, log: join(root, "log"), waitMs: 500 }).done;
    expect(run).toEqual({
      status: 1,
      stderr:
        `render: waiting for the render of pid ${pid} on host build-agent-7 (.rendered.lock)\n` +
        `.rendered.lock: held by pid ${pid} on host build-agent-7 (another machine: whether it still runs cannot be seen from here) for over 1 s; wait for that render, or if none runs, remove the lock with: rm ${lock}\n`,
    });
    expect(readFileSync(lock, "utf8")).toBe(lockOf(pid, "build-agent-7"));
    expect(existsSync(join(root, "log")), "worked without the lock").toBe(false);
  });
});
