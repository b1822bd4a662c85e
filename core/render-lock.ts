// The render lock: renders write rendered/ one at a time, and what reads the tree of a repository
// (render --check, the policy run, verify) holds it too, so no render swaps the tree out mid-read.
//
// The lock file names its holder: pid, host and the holder's start (the process start time where
// /proc has it, and a random token). A lock is stale when its holder is on this host and is gone:
// its pid is dead, runs a different process (another start time), or is this very process although
// the token is not ours (a killed render whose pid came back to us). A lock from another host
// cannot be judged here (its pid means nothing in this PID namespace): it is waited for.
//
// Files are created whole with link() (never seen empty) and exclusively. A stale lock is replaced
// with rename() by exactly one taker: the one that first creates the takeover file named after
// the stale lock's content (exclusively, by the same rules, so a taker killed midway is taken over
// too). Only a taker removes a stale lock and only one taker exists per stale lock, so the lock it
// re-reads cannot change before its rename: two renders never both hold the lock.
import { createHash, randomUUID } from "node:crypto";
import { linkSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { UserError } from "./errors";

export interface LockHolder {
  pid: number;
  host: string;
  /** The process start time (clock ticks after boot, from /proc), when known. */
  started?: string;
  token: string;
  /** What the holder does, for those waiting ("the policy run of pid N"): a render when absent. */
  doing?: string;
}

export interface LockOptions {
  /** How long to wait for a live holder before giving up. */
  waitMs?: number;
  /** Called once per holder this process starts waiting for, with a line saying so. */
  onWait?: (line: string) => void;
  /** Who waits, at the start of that line: "render" unless given. */
  waiter?: string;
  /** What this process does while it holds the lock, as waiters are told: "render" unless given. */
  doing?: string;
}

/** The exit code of a run that gave up waiting for another's lock (1 and 2 mean findings and bad input). */
const lockTimeoutExitCode = 3;

/** The folder of a repository that holds the rendered tree. */
export const renderedRoot = "rendered";

/** The lock of a repository's rendered tree (rendered/ → .rendered.lock beside it). */
export function renderLockFile(repoRoot: string, tree: string): string {
  return join(repoRoot, `.${tree}.lock`);
}

let self: LockHolder | undefined;

/** This process as a lock holder (decided once, on first use). */
export function thisProcess(): LockHolder {
  self ??= { pid: process.pid, host: hostname(), started: startTime(process.pid), token: randomUUID() };
  return self;
}

/** A process's start time from /proc/<pid>/stat (field 22), or undefined where there is no /proc. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses) start at field 3.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs on this host. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

type Read = { holder: LockHolder | undefined; content: string } | undefined;

/** The lock's content and holder (undefined holder: unreadable content); undefined when there is no lock. */
function readLock(file: string): Read {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // A bare pid: a lock written by an earlier version of the render, on this host.
  if (/^[0-9]+$/.test(content)) return { content, holder: { pid: Number(content), host: thisProcess().host, token: `pid ${content}` } };
  try {
    const holder = JSON.parse(content) as LockHolder;
    if (Number.isInteger(holder.pid) && typeof holder.host === "string" && typeof holder.token === "string") return { content, holder };
  } catch {
    // unreadable: judged below as a holder that cannot be judged
  }
  return { content, holder: undefined };
}

function isStale(holder: LockHolder): boolean {
  const me = thisProcess();
  if (holder.host !== me.host || holder.token === me.token) return false;
  if (holder.pid === me.pid || !isAlive(holder.pid)) return true;
  const started = holder.started === undefined ? undefined : startTime(holder.pid);
  return started !== undefined && started !== holder.started;
}

function contentOf(holder: LockHolder): string {
  return `${JSON.stringify(holder)}\n`;
}

const tempMark = ".tmp-";

/** A temp file next to `file` holding this process's lock content. */
function writeTemp(file: string, doing: string | undefined): string {
  const me = thisProcess();
  const temp = `${file}${tempMark}${me.pid}-${randomUUID()}`;
  writeFileSync(temp, contentOf(doing === undefined ? me : { ...me, doing }));
  return temp;
}

/** Creates `file` whole and exclusively; false when it exists. */
function create(file: string, doing: string | undefined): boolean {
  const temp = writeTemp(file, doing);
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

const takeoverMark = ".takeover-";

/**
 * Takes `file` for this process: creates it, or replaces a stale holder's. Returns undefined when
 * taken; otherwise the lock as read, whose holder is alive or cannot be judged.
 */
function tryTake(file: string, doing: string | undefined): NonNullable<Read> | undefined {
  for (;;) {
    if (create(file, doing)) return undefined;
    const found = readLock(file);
    if (found === undefined) continue; // released meanwhile
    if (found.holder === undefined || !isStale(found.holder)) return found;
    const ticket = `${file}${takeoverMark}${createHash("sha256").update(found.content).digest("hex").slice(0, 16)}`;
    const otherTaker = tryTake(ticket, doing);
    if (otherTaker !== undefined) return otherTaker;
    try {
      // This is the only taker of that stale content, and only a taker replaces a stale lock: the
      // lock is still that content (replace it) or an earlier taker already replaced it (start over).
      if (readLock(file)?.content === found.content) {
        renameSync(writeTemp(file, doing), file);
        return undefined;
      }
    } finally {
      rmSync(ticket, { force: true });
    }
  }
}

/** Removes takeover files of locks that are gone and temp files of dead processes (called holding the lock). */
function removeLeftovers(lock: string): void {
  const ours = readLock(lock)?.content ?? "";
  const current = `${basename(lock)}${takeoverMark}${createHash("sha256").update(ours).digest("hex").slice(0, 16)}`;
  const temp = new RegExp(`\\${tempMark}([0-9]+)-[0-9a-f-]+$`);
  for (const entry of readdirSync(dirname(lock))) {
    if (!entry.startsWith(`${basename(lock)}.`)) continue;
    const tempOf = temp.exec(entry);
    if (tempOf) {
      if (Number(tempOf[1]) !== process.pid && !isAlive(Number(tempOf[1]))) rmSync(join(dirname(lock), entry), { force: true });
    } else if (entry.includes(takeoverMark) && !entry.startsWith(current)) {
      // A takeover file of an earlier lock: that lock is gone for good, so no taker can act on it.
      rmSync(join(dirname(lock), entry), { force: true });
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

function describe(holder: LockHolder | undefined): string {
  return holder === undefined ? "an unknown process" : `pid ${holder.pid} on host ${holder.host}`;
}

const activityOf = (holder: LockHolder | undefined) => holder?.doing ?? "render";

/**
 * Runs `work` holding the lock file `lock`. A stale lock (see above) is taken over; a live one is
 * waited for, up to `waitMs` (a minute).
 */
export function withRenderLock<T>(lock: string, work: () => T, options: LockOptions = {}): T {
  const waitMs = options.waitMs ?? 60_000;
  const started = Date.now();
  let announced: string | undefined;
  for (;;) {
    const held = tryTake(lock, options.doing);
    if (held === undefined) break;
    if (announced !== held.content) {
      announced = held.content;
      options.onWait?.(`${options.waiter ?? "render"}: waiting for the ${activityOf(held.holder)} of ${describe(held.holder)} (${basename(lock)})`);
    }
    if (Date.now() - started > waitMs) {
      const elsewhere = held.holder !== undefined && held.holder.host !== thisProcess().host;
      const who = elsewhere ? `${describe(held.holder)} (another machine: whether it still runs cannot be seen from here)` : describe(held.holder);
      throw new UserError(`${basename(lock)}: held by ${who} for over ${Math.round(waitMs / 1000)} s; wait for that ${activityOf(held.holder)}, or if none runs, remove the lock with: rm ${lock}`, lockTimeoutExitCode);
    }
    Atomics.wait(pause, 0, 0, 20);
  }
  try {
    removeLeftovers(lock);
    return work();
  } finally {
    if (readLock(lock)?.holder?.token === thisProcess().token) rmSync(lock, { force: true });
  }
}

/**
 * Runs `work` holding the lock, or `whenRefused` where this process may not create the lock file
 * (a read-only checkout: nothing there can render either). Any other failure is thrown.
 */
export function withRenderLockOr<T>(lock: string, work: () => T, whenRefused: (refusal: Error) => T, options: LockOptions = {}): T {
  try {
    return withRenderLock(lock, work, options);
  } catch (error) {
    if (creatingRefused(error, lock)) return whenRefused(error as Error);
    throw error;
  }
}

/** Runs `read`, which only reads the rendered tree, holding the lock; where it cannot be created, without it. */
export function readingUnderRenderLock<T>(lock: string, read: () => T, options: LockOptions = {}): T {
  return withRenderLockOr(lock, read, read, options);
}

/**
 * Whether the file system's permissions refused this process's first step to the lock: creating
 * its temp file beside it. A lock or leftover of another user that cannot be read or removed is
 * not a read-only checkout, and is thrown like any other failure.
 */
function creatingRefused(error: unknown, lock: string): boolean {
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  return (code === "EACCES" || code === "EPERM" || code === "EROFS") && syscall === "open" && typeof path === "string" && path.startsWith(`${lock}${tempMark}`);
}
