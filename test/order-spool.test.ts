// The spool in-process: the durable queue the order service writes while PostgreSQL is down. One
// file per order_id, written to a temp file, fsynced, linked into place (the first version wins)
// and the directory fsynced; read back, removed, quarantined or set aside. No PostgreSQL here.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { orderFingerprint } from "../services/order-persistence/src/order";
import { Spool, SpoolFileCorrupt, spoolFileName } from "../services/order-persistence/src/spool";
import { money, orderRecord } from "./support/orders";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "order-spool-spec-"));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const files = (): string[] => readdirSync(dir).sort();
const first = orderRecord("order-1");
const otherContent = orderRecord("order-1", { items: [["OTHER", 5, money("USD", "100", 0)]] });

async function spoolIn(path = dir): Promise<Spool> {
  const spool = new Spool(path);
  await spool.init();
  return spool;
}

/** Paths under `path` this process holds open (Linux /proc). */
function openUnder(path: string): string[] {
  const held: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target === path || target.startsWith(`${path}/`)) held.push(target);
    } catch {
      // closed meanwhile (the readdir's own descriptor)
    }
  }
  return held;
}

/** The FileHandle class (node:fs/promises does not export it), for watching what the spool does with files. */
async function fileHandlePrototype(): Promise<Record<string, (...args: unknown[]) => Promise<unknown>>> {
  const probe = join(dir, "probe");
  const handle = await open(probe, "w");
  await handle.close();
  rmSync(probe);
  return Object.getPrototypeOf(handle) as Record<string, (...args: unknown[]) => Promise<unknown>>;
}

describe("init: what a (re)started service finds in the spool directory", () => {
  it("creates a missing directory, parents included", async () => {
    const nested = join(dir, "a", "b", "spool");
    const spool = await spoolIn(nested);
    expect(statSync(nested).isDirectory()).toBe(true);
    expect(spool.depth).toBe(0);
    expect(spool.quarantined).toBe(0);
  });

  it("queues *.json files, counts *.bad files as quarantined, deletes temp files a crash left, ignores the rest", async () => {
    writeFileSync(join(dir, spoolFileName("a")), "{}");
    writeFileSync(join(dir, spoolFileName("b")), "{}");
    writeFileSync(join(dir, `${spoolFileName("c")}.bad`), "{}");
    writeFileSync(join(dir, `${spoolFileName("d")}.conflict`), "{}");
    writeFileSync(join(dir, ".tmp-0123456789abcdef"), '{"half":');
    writeFileSync(join(dir, "notes.tmp-"), "an operator's file that merely ends like a temp prefix");
    const spool = await spoolIn();
    expect(spool.depth).toBe(2);
    expect(spool.pending().sort()).toEqual([spoolFileName("a"), spoolFileName("b")].sort());
    expect(spool.holds("a")).toBe(true);
    expect(spool.holds("c")).toBe(false);
    expect(spool.holds("d")).toBe(false);
    expect(spool.quarantined).toBe(1);
    expect(files()).toEqual([`${spoolFileName("c")}.bad`, `${spoolFileName("d")}.conflict`, spoolFileName("a"), spoolFileName("b"), "notes.tmp-"].sort());
  });
});

describe("write: an order is queued durably, and the first version of an order_id wins", () => {
  it("a new order is one file named after its order_id, holding version 1, the time and the order; no temp file is left", async () => {
    const spool = await spoolIn();
    const before = Date.now();
    expect(await spool.write(first)).toBe("spooled");
    expect(files()).toEqual([spoolFileName("order-1")]);
    const entry = JSON.parse(readFileSync(join(dir, spoolFileName("order-1")), "utf8")) as { version: number; spooledAt: string; order: unknown };
    expect(entry.version).toBe(1);
    expect(entry.order).toEqual(first);
    expect(Date.parse(entry.spooledAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(entry.spooledAt)).toBeLessThanOrEqual(Date.now());
    // Only the service may read an order (addresses, e-mail).
    expect(statSync(join(dir, spoolFileName("order-1"))).mode & 0o777).toBe(0o600);
    expect(spool.depth).toBe(1);
    expect(spool.holds("order-1")).toBe(true);
    expect(spool.pending()).toEqual([spoolFileName("order-1")]);
  });

  it("the file is fsynced before it is linked into place, and the directory after: a crash leaves it absent or complete", async () => {
    const proto = await fileHandlePrototype();
    const synced: string[] = [];
    const original = proto.sync!;
    vi.spyOn(proto, "sync").mockImplementation(function (this: { fd: number }, ...args: unknown[]) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      const name = path === dir ? "<dir>" : basename(path).replace(/^\.tmp-[0-9a-f]{16}$/, "<temp>");
      synced.push(`${name}: ${files().map((f) => f.replace(/^\.tmp-[0-9a-f]{16}$/, "<temp>")).join(",")}`);
      return original.apply(this, args);
    });
    const spool = await spoolIn();
    await spool.write(first);
    expect(synced).toEqual([
      "<temp>: <temp>", // the data is on disk before the name exists
      `<dir>: ${spoolFileName("order-1")}`, // linked, temp name gone, and the directory entry made durable
    ]);
    // Every file and directory handle is closed again.
    expect(openUnder(dir)).toEqual([]);
  });

  it("the same order again is a duplicate: the file is not rewritten", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    const written = readFileSync(join(dir, spoolFileName("order-1")), "utf8");
    expect(await spool.write(orderRecord("order-1"))).toBe("duplicate");
    expect(readFileSync(join(dir, spoolFileName("order-1")), "utf8")).toBe(written);
    expect(files()).toEqual([spoolFileName("order-1")]);
    expect(spool.depth).toBe(1);
  });

  it("the same order_id with other content is a conflict: the first version stays in the file", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    expect(await spool.write(otherContent)).toBe("conflict");
    expect(await spool.readOrder("order-1")).toEqual(first);
    expect(files()).toEqual([spoolFileName("order-1")]);
    expect(spool.depth).toBe(1);
  });

  it("a version another process spooled first is found on write (the link refuses the name): compared, and queued from then on", async () => {
    const mine = await spoolIn();
    const theirs = await spoolIn();
    await theirs.write(first);
    expect(mine.holds("order-1")).toBe(false);
    expect(await mine.write(otherContent)).toBe("conflict");
    expect(mine.holds("order-1")).toBe(true);
    expect(mine.depth).toBe(1);
    const again = await spoolIn();
    await theirs.write(orderRecord("order-2"));
    expect(await again.write(orderRecord("order-2"))).toBe("duplicate");
    expect(files()).toEqual([spoolFileName("order-1"), spoolFileName("order-2")].sort());
  });

  it("a full disk fails the write with the file system's error, leaves no temp file and queues nothing", async () => {
    const proto = await fileHandlePrototype();
    vi.spyOn(proto, "writeFile").mockRejectedValueOnce(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
    const spool = await spoolIn();
    await expect(spool.write(first)).rejects.toMatchObject({ code: "ENOSPC" });
    expect(files()).toEqual([]);
    expect(spool.depth).toBe(0);
    expect(spool.holds("order-1")).toBe(false);
    // The disk has room again: the same order is spooled normally.
    expect(await spool.write(first)).toBe("spooled");
  });

  it("a directory that is gone fails the write (ENOENT): nothing is queued", async () => {
    const spool = await spoolIn();
    rmSync(dir, { recursive: true });
    await expect(spool.write(first)).rejects.toMatchObject({ code: "ENOENT" });
    expect(spool.depth).toBe(0);
  });
});

describe("read: a queued file back as an order", () => {
  it("returns the order as written; readOrder finds it by order_id", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    expect(await spool.read(spoolFileName("order-1"))).toEqual(first);
    expect(orderFingerprint(await spool.readOrder("order-1"))).toBe(orderFingerprint(first));
  });

  it("a file that is not JSON can never be stored: SpoolFileCorrupt naming the file, the parse error as cause", async () => {
    const name = spoolFileName("torn");
    writeFileSync(join(dir, name), '{"version":1,"order":{"orderId":"to');
    const spool = await spoolIn();
    const error = await spool.read(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpoolFileCorrupt);
    expect((error as Error).name).toBe("SpoolFileCorrupt");
    expect((error as Error).message).toMatch(new RegExp(`^${name.replace(/[.]/g, "\\.")}: .*JSON`));
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it("an unknown format version, or no entry at all, is SpoolFileCorrupt saying which version it found", async () => {
    const spool = await spoolIn();
    writeFileSync(join(dir, "o-v2.json"), JSON.stringify({ version: 2, spooledAt: "2026-01-01T00:00:00Z", order: first }));
    writeFileSync(join(dir, "o-null.json"), "null");
    await expect(spool.read("o-v2.json")).rejects.toThrow(new SpoolFileCorrupt("o-v2.json: unknown spool format version 2"));
    const nullEntry = await spool.read("o-null.json").catch((e: unknown) => e);
    expect(nullEntry).toBeInstanceOf(SpoolFileCorrupt);
    expect((nullEntry as Error).message).toBe("o-null.json: unknown spool format version undefined");
  });

  it("a record PostgreSQL would refuse for ever is SpoolFileCorrupt", async () => {
    const spool = await spoolIn();
    writeFileSync(join(dir, "o-huge.json"), JSON.stringify({ version: 1, spooledAt: "2026-01-01T00:00:00Z", order: { ...first, orderId: "h".repeat(3_000) } }));
    await expect(spool.read("o-huge.json")).rejects.toThrow(/^o-huge\.json: .*orderId/);
    await expect(spool.read("o-huge.json")).rejects.toBeInstanceOf(SpoolFileCorrupt);
  });

  it("a file that may become readable is the file system's error, never SpoolFileCorrupt (it is retried, not quarantined)", async () => {
    const spool = await spoolIn();
    mkdirSync(join(dir, "o-dir.json"));
    await expect(spool.read("o-missing.json")).rejects.toMatchObject({ code: "ENOENT" });
    const error = await spool.read("o-dir.json").catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SpoolFileCorrupt);
    expect(error).toMatchObject({ code: "EISDIR" });
  });
});

describe("remove, quarantine, set aside, forget: a file leaves the queue", () => {
  it("remove deletes a replayed order's file", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    await spool.remove(spoolFileName("order-1"));
    expect(files()).toEqual([]);
    expect(spool.depth).toBe(0);
    expect(spool.holds("order-1")).toBe(false);
  });

  it("remove of a file already gone (a crash after the unlink) only leaves the queue", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    rmSync(join(dir, spoolFileName("order-1")));
    await spool.remove(spoolFileName("order-1"));
    expect(spool.depth).toBe(0);
  });

  it("remove that the file system refuses throws, and the order stays queued", async () => {
    const name = spoolFileName("order-1");
    mkdirSync(join(dir, name));
    const spool = await spoolIn();
    expect(spool.depth).toBe(1);
    await expect(spool.remove(name)).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|EPERM)$/) });
    expect(spool.depth).toBe(1);
  });

  it("quarantine renames the file *.bad, durably, and counts it; a restart counts it again", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    await spool.write(orderRecord("order-2"));
    const proto = await fileHandlePrototype();
    const synced: string[] = [];
    const original = proto.sync!;
    vi.spyOn(proto, "sync").mockImplementation(function (this: { fd: number }, ...args: unknown[]) {
      synced.push(`${readlinkSync(`/proc/self/fd/${this.fd}`) === dir ? "<dir>" : "file"}: ${files().join(",")}`);
      return original.apply(this, args);
    });
    await spool.quarantine(spoolFileName("order-1"));
    expect(synced).toEqual([`<dir>: ${[`${spoolFileName("order-1")}.bad`, spoolFileName("order-2")].sort().join(",")}`]);
    expect(files()).toEqual([`${spoolFileName("order-1")}.bad`, spoolFileName("order-2")].sort());
    expect(spool.depth).toBe(1);
    expect(spool.quarantined).toBe(1);
    expect(spool.holds("order-1")).toBe(false);
    expect(openUnder(dir)).toEqual([]);
    expect((await spoolIn()).quarantined).toBe(1);
  });

  it("quarantine of a file already gone leaves the queue; one the file system refuses to rename stays queued and uncounted", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    await spool.write(orderRecord("order-2"));
    rmSync(join(dir, spoolFileName("order-1")));
    await spool.quarantine(spoolFileName("order-1"));
    expect(spool.depth).toBe(1);
    // A non-empty directory where the *.bad name should go: rename(2) refuses.
    mkdirSync(join(dir, `${spoolFileName("order-2")}.bad`, "x"), { recursive: true });
    await expect(spool.quarantine(spoolFileName("order-2"))).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect(spool.depth).toBe(1);
    expect(spool.holds("order-2")).toBe(true);
    expect(spool.quarantined).toBe(1);
  });

  it("setAsideConflict renames the file *.conflict: out of the queue, not counted as quarantined, not queued after a restart", async () => {
    const spool = await spoolIn();
    await spool.write(otherContent);
    await spool.setAsideConflict(spoolFileName("order-1"));
    expect(files()).toEqual([`${spoolFileName("order-1")}.conflict`]);
    expect(spool.depth).toBe(0);
    expect(spool.quarantined).toBe(0);
    const restarted = await spoolIn();
    expect(restarted.depth).toBe(0);
    expect(restarted.quarantined).toBe(0);
  });

  it("setAsideConflict that the file system refuses throws, and the order stays queued", async () => {
    const spool = await spoolIn();
    await spool.write(otherContent);
    mkdirSync(join(dir, `${spoolFileName("order-1")}.conflict`, "x"), { recursive: true });
    await expect(spool.setAsideConflict(spoolFileName("order-1"))).rejects.toMatchObject({ code: expect.any(String) });
    expect(spool.depth).toBe(1);
  });

  it("forget drops a name from the queue without touching the disk", async () => {
    const spool = await spoolIn();
    await spool.write(first);
    spool.forget(spoolFileName("order-1"));
    expect(spool.depth).toBe(0);
    expect(files()).toEqual([spoolFileName("order-1")]);
  });
});
