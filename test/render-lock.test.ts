// core/render-lock.ts in-process: who may take the render lock, when a holder is judged gone,
// what a waiting render is told, and what is cleaned up. (test/concurrent-render.test.ts races
// real processes on it; these specify each decision where mutation testing can see it.)
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../core/errors";
import { isAlive, renderedRoot, renderLockFile, thisProcess, withRenderLock, type LockHolder } from "../core/render-lock";

let dir: string;
let lock: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "render-lock-"));
  lock = join(dir, ".render.lock");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (and was reaped): dead, as a killed render's. */
function deadPid(): number {
  const pid = spawnSync("true").pid;
  expect(isAlive(pid)).toBe(false);
  return pid;
}

/** A process's start time as /proc says (field 22 of its stat). */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

/** A live process that is not this one, and its start time. */
const liveParent = () => ({ pid: process.ppid, started: startTime(process.ppid) });

/** The name part of a takeover ticket for a lock's content. */
const sha16 = (content: string) => createHash("sha256").update(content).digest("hex").slice(0, 16);

const holderFile = (holder: Partial<LockHolder>) => `${JSON.stringify({ host: hostname(), token: "someone-else", ...holder })}\n`;

/** Runs withRenderLock and returns what it saw: the lock's content during the work, wait lines, the error. */
function take(options: { waitMs?: number; waiter?: string } = {}): { during?: string; waitLines: string[]; error?: Error } {
  const waitLines: string[] = [];
  try {
    const during = withRenderLock(lock, () => readFileSync(lock, "utf8"), { waitMs: options.waitMs ?? 60, onWait: (line) => waitLines.push(line), ...(options.waiter ? { waiter: options.waiter } : {}) });
    return { during, waitLines };
  } catch (error) {
    return { waitLines, error: error as Error };
  }
}

const heldByUs = () => `${JSON.stringify(thisProcess())}\n`;

describe("taking a free lock", () => {
  it("holds a lock naming this process (pid, host, start time, token) while the work runs, and removes it after", () => {
    const result = take();
    expect(result.error).toBeUndefined();
    expect(JSON.parse(result.during!)).toEqual({ pid: process.pid, host: hostname(), started: startTime(process.pid), token: thisProcess().token });
    expect(result.waitLines).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("returns the work's value; a failing work still releases the lock and its error reaches the caller", () => {
    expect(withRenderLock(lock, () => 42)).toBe(42);
    expect(() =>
      withRenderLock(lock, () => {
        throw new Error("work failed");
      }),
    ).toThrow("work failed");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("leaves a lock that is no longer ours in place (replaced during the work, even by one it cannot read), and minds a lock already gone", () => {
    const other = holderFile({ pid: 1 });
    withRenderLock(lock, () => writeFileSync(lock, other));
    expect(readFileSync(lock, "utf8")).toBe(other);
    rmSync(lock);
    withRenderLock(lock, () => writeFileSync(lock, "garbage"));
    expect(readFileSync(lock, "utf8")).toBe("garbage");
    rmSync(lock);
    expect(withRenderLock(lock, () => rmSync(lock))).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a lock path that cannot be read as a file is an error, not a wait", () => {
    mkdirSync(lock);
    expect(() => withRenderLock(lock, () => 1)).toThrow(/EISDIR|EEXIST/);
  });
});

describe("a stale lock is taken over at once, without waiting", () => {
  it.each([
    ["a dead pid on this host", () => holderFile({ pid: deadPid() })],
    ["a dead pid in the bare-pid format of earlier versions", () => String(deadPid())],
    ["this very pid with another token (a killed render whose pid came back to us)", () => holderFile({ pid: process.pid })],
    ["a live pid that started at another time (the pid was reused)", () => holderFile({ pid: liveParent().pid, started: "1" })],
  ])("%s", (_, content) => {
    writeFileSync(lock, content());
    const result = take();
    expect(result.error).toBeUndefined();
    expect(result.during).toBe(heldByUs());
    expect(result.waitLines).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("a lock whose holder may still run is waited for, then refused with a way out", () => {
  it("a live process on this host (same start time): one wait line, then an error naming it and the rm", () => {
    const parent = liveParent();
    writeFileSync(lock, holderFile(parent));
    const result = take({ waitMs: 80 });
    expect(result.waitLines).toEqual([`render: waiting for the render of pid ${parent.pid} on host ${hostname()} (.render.lock)`]);
    expect(result.error).toBeInstanceOf(UserError);
    expect(result.error!.message).toBe(`.render.lock: held by pid ${parent.pid} on host ${hostname()} for over 0 s; wait for that render, or if none runs, remove the lock with: rm ${lock}`);
    // Neither findings (1) nor bad input (2): the CLIs exit 3.
    expect((result.error as UserError).exitCode).toBe(3);
    expect(readFileSync(lock, "utf8")).toBe(holderFile(parent));
  });

  it("the wait line names who waits when told (a policy run reading the tree), a render otherwise", () => {
    const parent = liveParent();
    writeFileSync(lock, holderFile(parent));
    expect(take({ waiter: "policy" }).waitLines).toEqual([`policy: waiting for the render of pid ${parent.pid} on host ${hostname()} (.render.lock)`]);
  });

  it("the wait line and the error name what the holder does, as its lock says (a render when it does not say)", () => {
    const parent = liveParent();
    writeFileSync(lock, holderFile({ ...parent, doing: "policy run" }));
    const result = take({ waiter: "render" });
    expect(result.waitLines).toEqual([`render: waiting for the policy run of pid ${parent.pid} on host ${hostname()} (.render.lock)`]);
    expect(result.error!.message).toContain("; wait for that policy run, or if none runs");
  });

  it("a holder that says what it does writes it into its lock", () => {
    const during = withRenderLock(lock, () => JSON.parse(readFileSync(lock, "utf8")) as LockHolder, { doing: "render --check" });
    expect(during.doing).toBe("render --check");
    expect(withRenderLock(lock, () => JSON.parse(readFileSync(lock, "utf8")) as LockHolder).doing).toBeUndefined();
  });

  it.each([
    ["a live pid whose start time is not recorded", () => holderFile({ pid: liveParent().pid })],
    ["a live pid in the bare-pid format", () => String(liveParent().pid)],
    ["a lock holding this process's own token (never taken twice)", heldByUs],
  ])("%s", (_, content) => {
    writeFileSync(lock, content());
    const result = take();
    expect(result.error).toBeInstanceOf(UserError);
    expect(result.waitLines).toHaveLength(1);
    expect(readFileSync(lock, "utf8")).toBe(content());
  });

  it("a holder on another machine, even with a dead-looking pid: its pid means nothing here", () => {
    writeFileSync(lock, holderFile({ pid: deadPid(), host: "build-7" }));
    const result = take({ waitMs: 1_600 });
    expect(result.error!.message).toMatch(/^\.render\.lock: held by pid [0-9]+ on host build-7 \(another machine: whether it still runs cannot be seen from here\) for over 2 s;/);
  });

  it("keeps waiting for a live holder until it lets go, then takes the lock (no onWait needed)", () => {
    // A live process on this host holds the lock for a moment, then removes it and exits.
    const script = `const fs = require("fs"); fs.writeFileSync(${JSON.stringify(lock)}, JSON.stringify({ pid: process.pid, host: require("os").hostname(), token: "holder" }) + "\\n"); setTimeout(() => fs.rmSync(${JSON.stringify(lock)}), 300);`;
    const holder = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!existsSync(lock)) Atomics.wait(pause, 0, 0, 5);
    expect(withRenderLock(lock, () => readFileSync(lock, "utf8"), { waitMs: 30_000 })).toBe(heldByUs());
    holder.kill();
  });

  it.each([
    ["not JSON", "garbage"],
    ["digits after other text (not the bare-pid format)", "pid 12"],
    ["digits before other text (not the bare-pid format)", "12 pid"],
    ["JSON without a pid", JSON.stringify({ host: "h", token: "t" })],
    ["JSON without a host", JSON.stringify({ pid: 5, token: "t" })],
    ["JSON without a token", JSON.stringify({ pid: 5, host: "h" })],
  ])("unreadable content (%s) is a holder that cannot be judged", (_, content) => {
    writeFileSync(lock, content);
    const result = take();
    expect(result.waitLines).toEqual(["render: waiting for the render of an unknown process (.render.lock)"]);
    expect(result.error!.message).toMatch(/^\.render\.lock: held by an unknown process for over 0 s;/);
    expect(readFileSync(lock, "utf8")).toBe(content);
  });
});

describe("takeover: one taker per stale lock", () => {
  it("a live taker's ticket for a stale lock makes others wait for that taker, and leaves both files alone", () => {
    const stale = holderFile({ pid: deadPid() });
    writeFileSync(lock, stale);
    const parent = liveParent();
    const ticket = `.render.lock.takeover-${sha16(stale)}`;
    writeFileSync(join(dir, ticket), holderFile(parent));
    const result = take();
    expect(result.error!.message).toContain(`held by pid ${parent.pid} on host ${hostname()} for over`);
    expect(readFileSync(lock, "utf8")).toBe(stale);
    expect(readFileSync(join(dir, ticket), "utf8")).toBe(holderFile(parent));
  });

  it("a dead taker's ticket is taken over too, and the stale lock with it", () => {
    const stale = holderFile({ pid: deadPid() });
    writeFileSync(lock, stale);
    writeFileSync(join(dir, `.render.lock.takeover-${sha16(stale)}`), holderFile({ pid: deadPid() }));
    const result = take();
    expect(result.error).toBeUndefined();
    expect(result.during).toBe(heldByUs());
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("leftovers of killed renders are removed by the next holder", () => {
  it("temp files of dead processes and takeover tickets of earlier locks go; a live process's temp file and other files stay", () => {
    const dead = deadPid();
    const live = liveParent().pid;
    const entries = {
      dead: `.render.lock.tmp-${dead}-0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`,
      live: `.render.lock.tmp-${live}-0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`,
      oldTicket: ".render.lock.takeover-0123456789abcdef",
      // A taker that judges this very lock stale (wrongly or not) is mid-way: its ticket stays.
      ticketForOurs: `.render.lock.takeover-${sha16(heldByUs())}`,
      unrelated: ".render.lock-notes",
      sameStem: ".render.lock.keep",
      otherLocksTemp: `.other.lock.tmp-${dead}-0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`,
      otherLocksTicket: ".other.lock.takeover-0123456789abcdef",
      otherFile: "rendered.yaml",
    };
    for (const entry of Object.values(entries)) writeFileSync(join(dir, entry), "x");
    const result = take();
    expect(result.error).toBeUndefined();
    const { dead: _dead, oldTicket: _oldTicket, ...kept } = entries;
    expect(readdirSync(dir).sort()).toEqual(Object.values(kept).sort());
  });
});

describe("isAlive", () => {
  it("is true for this process and a live parent, false for an exited one and for impossible pids", () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(process.ppid)).toBe(true);
    expect(isAlive(deadPid())).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(isAlive(pid)).toBe(false);
  });

  it("is true for init, which an unprivileged caller may not signal (EPERM: it exists)", () => {
    expect(isAlive(1)).toBe(true);
  });
});

describe("renderLockFile", () => {
  it("is the rendered tree's name with a dot before and .lock after, beside it in the repository", () => {
    expect(renderLockFile("/repo", renderedRoot)).toBe("/repo/.rendered.lock");
    expect(renderLockFile("/repo", "out")).toBe("/repo/.out.lock");
  });
});

