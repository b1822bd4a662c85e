// generator/output.ts in-process: what syncRendered leaves on disk and what
// compareWithDisk and checkRendered report, on a scratch folder. (The render CLI tests cover the same through the bundle, in a
// child process; these specify the module itself, where mutation testing can see it.)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserError } from "../core/errors";
import { checkRendered, checkReplaceable, compareWithDisk, listFiles, syncRendered } from "../generator/output";

// A file system that refuses what a test names: `refusals` maps paths to an error code,
// thrown by writeFileSync and readFileSync as Node would (code, path). Root ignores permissions,
// so a refused lock file is staged here rather than with chmod.
const refusals = vi.hoisted(() => new Map<string, string>());
/** Every path refused so far, in order. */
const refused = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  // A key ending in "$" refuses that path only; any other key, every path starting with it.
  const refuse = (path: unknown) => {
    for (const [key, code] of refusals) {
      if (key.endsWith("$") ? String(path) !== key.slice(0, -1) : !String(path).startsWith(key)) continue;
      refused.push(String(path));
      throw Object.assign(new Error(`${code}: refused, open '${String(path)}'`), { code, syscall: "open", path: String(path) });
    }
  };
  const writeFileSync = ((...args: Parameters<typeof fs.writeFileSync>) => (refuse(args[0]), fs.writeFileSync(...args))) as typeof fs.writeFileSync;
  const readFileSync = ((...args: Parameters<typeof fs.readFileSync>) => (refuse(args[0]), fs.readFileSync(...args))) as typeof fs.readFileSync;
  return { ...fs, writeFileSync, readFileSync };
});

let root: string;
afterEach(() => {
  refusals.clear();
  refused.length = 0;
  rmSync(root, { recursive: true, force: true });
});

function scratch(tree: Record<string, string> = {}): string {
  root = mkdtempSync(join(tmpdir(), "output-"));
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** The pid of a process that has exited: a killed render's. */
const deadPid = () => spawnSync("true").pid!;

const files = (tree: Record<string, string>) => Object.entries(tree).map(([path, content]) => ({ path, content }));
const onDisk = (dir: string) => Object.fromEntries(listFiles(join(dir, "rendered"), dir).map((path) => [path, readFileSync(join(dir, path), "utf8")]));
const leftovers = (dir: string) => readdirSync(dir).filter((entry) => entry.startsWith("."));

const dev = { "rendered/dev/a/x.yaml": "dev x\n", "rendered/dev/b/y.yaml": "dev y\n" };
const prod = { "rendered/prod/a/x.yaml": "prod x\n" };

describe("syncRendered: writing", () => {
  it("writes every file of a new tree, and nothing beside it", () => {
    const dir = scratch();
    syncRendered(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
  });

  it("for all environments, removes files and environments it no longer produces", () => {
    const dir = scratch({ ...dev, ...prod, "rendered/dev/old.yaml": "old\n", "rendered/retired/z.yaml": "z\n" });
    syncRendered(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
  });

  it("for some environments, replaces only theirs and keeps the others byte for byte", () => {
    const dir = scratch({ ...dev, "rendered/dev/old.yaml": "old\n", "rendered/prod/a/x.yaml": "hand edit\n", "rendered/staging/s.yaml": "s\n" });
    syncRendered(dir, "rendered", ["dev"], files({ ...dev, "rendered/dev/b/y.yaml": "dev y, new\n" }), false);
    expect(onDisk(dir)).toEqual({ "rendered/dev/a/x.yaml": "dev x\n", "rendered/dev/b/y.yaml": "dev y, new\n", "rendered/prod/a/x.yaml": "hand edit\n", "rendered/staging/s.yaml": "s\n" });
    expect(leftovers(dir)).toEqual([]);
  });

  it("puts back the old tree a killed render left aside, then writes, removing the dead render's staging folder", () => {
    // A render (a pid that has exited) killed between its renames: rendered/ gone, the old tree aside.
    const dead = deadPid();
    const dir = scratch({ [`.rendered-previous-${dead}/prod/a/x.yaml`]: "prod x\n", [`.rendered-staging-${dead}/dev/half.yaml`]: "half\n" });
    expect(existsSync(join(dir, "rendered"))).toBe(false);
    syncRendered(dir, "rendered", ["dev"], files(dev), false);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
  });

  it("leftovers of a live render are never touched; this pid's are a dead render's; an old tree aside beside a present rendered/ is removed", () => {
    const live = process.ppid;
    const dir = scratch({
      ...dev,
      ...prod,
      [`.rendered-staging-${live}/dev/busy.yaml`]: "being written\n",
      [`.rendered-previous-${live}/prod/a/x.yaml`]: "being swapped\n",
      [`.rendered-staging-${process.pid}/dev/half.yaml`]: "half\n",
      [`.rendered-previous-${deadPid()}/dev/a/x.yaml`]: "older tree\n",
      ".rendered-previous-x/keep.yaml": "not a render's folder\n",
    });
    syncRendered(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir).sort()).toEqual([`.rendered-previous-${live}`, ".rendered-previous-x", `.rendered-staging-${live}`].sort());
  });

  it("this pid's old tree aside, with rendered/ missing, is put back (a killed render whose pid came back)", () => {
    const dir = scratch({ [`.rendered-previous-${process.pid}/prod/a/x.yaml`]: "prod x\n" });
    syncRendered(dir, "rendered", ["dev"], files(dev), false);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
  });

  it("a render that fails while writing leaves the tree as it was and no staging folder", () => {
    const dir = scratch({ ...dev, ...prod });
    const broken = files({ "rendered/dev/a": "a file where a folder must be\n", "rendered/dev/a/x.yaml": "x\n" });
    expect(() => syncRendered(dir, "rendered", ["dev"], broken, false)).toThrow();
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
  });
});

describe("listFiles", () => {
  it("lists every file below a folder, sorted, relative to the base, with forward slashes; a missing folder has none", () => {
    // Sorted as whole paths ("b-c/…" before "b/…"), not folder by folder as the directory listing comes.
    const dir = scratch({ "rendered/z.yaml": "", "rendered/b/m.yaml": "", "rendered/a.yaml": "", "rendered/b/c/d.yaml": "", "rendered/b-c/e.yaml": "" });
    expect(listFiles(join(dir, "rendered"), dir)).toEqual(["rendered/a.yaml", "rendered/b-c/e.yaml", "rendered/b/c/d.yaml", "rendered/b/m.yaml", "rendered/z.yaml"]);
    expect(listFiles(join(dir, "rendered", "b"), join(dir, "rendered"))).toEqual(["b/c/d.yaml", "b/m.yaml"]);
    expect(listFiles(join(dir, "missing"), dir)).toEqual([]);
  });
});

describe("compareWithDisk", () => {
  it("names stale, missing and extra files of the environments it compares, and only those", () => {
    const dir = scratch({ "rendered/dev/a/x.yaml": "hand edit\n", "rendered/dev/extra.yaml": "e\n", "rendered/prod/a/x.yaml": "anything\n" });
    expect(compareWithDisk(dir, "rendered", ["dev"], files(dev), false)).toEqual({ stale: ["rendered/dev/a/x.yaml"], missing: ["rendered/dev/b/y.yaml"], extra: ["rendered/dev/extra.yaml"] });
    expect(compareWithDisk(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true)).toEqual({
      stale: ["rendered/dev/a/x.yaml", "rendered/prod/a/x.yaml"],
      missing: ["rendered/dev/b/y.yaml"],
      extra: ["rendered/dev/extra.yaml"],
    });
  });

  it("an up-to-date tree has no drift", () => {
    const dir = scratch({ ...dev, ...prod });
    expect(compareWithDisk(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true)).toEqual({ stale: [], missing: [], extra: [] });
  });
});

describe("checkReplaceable (the permission check before any write)", () => {
  // The real check runs in test/render.test.ts as an unprivileged process; root may write anywhere,
  // so here the permission answer is given.
  const refusing = (dir: string, ...refused: string[]) => (path: string) => !refused.map((r) => join(dir, r)).includes(path);

  it("passes when the root and every folder of rendered/ may be changed, asking about folders only", () => {
    const dir = scratch({ ...dev, ...prod });
    const asked: string[] = [];
    checkReplaceable(dir, "rendered", (path) => (asked.push(path), true));
    expect(asked.map((path) => relative(dir, path) || ".").sort()).toEqual([".", "rendered", "rendered/dev", "rendered/dev/a", "rendered/dev/b", "rendered/prod", "rendered/prod/a"]);
  });

  it("names each folder that may not be changed, and does not look inside one", () => {
    const dir = scratch({ ...dev, ...prod });
    const asked: string[] = [];
    const writable = refusing(dir, "rendered/dev", "rendered/prod/a");
    expect(() => checkReplaceable(dir, "rendered", (path) => (asked.push(path), writable(path)))).toThrow(new UserError("rendered/dev, rendered/prod/a: not writable, so rendered/ cannot be replaced; nothing was changed", 2));
    expect(asked).not.toContain(join(dir, "rendered/dev/a"));
  });

  it("the repository root itself is shown as '.'; without rendered/ only the root is asked about", () => {
    const dir = scratch();
    expect(() => checkReplaceable(dir, "rendered", refusing(dir, ""))).toThrow(/^\.: not writable, so rendered\/ cannot be replaced/);
    const asked: string[] = [];
    checkReplaceable(dir, "rendered", (path) => (asked.push(path), true));
    expect(asked).toEqual([dir]);
  });

  it("lists five folders and counts the rest", () => {
    const dir = scratch(Object.fromEntries(["a", "b", "c", "d", "e", "f", "g"].map((name) => [`rendered/${name}/x.yaml`, ""])));
    const refused = (count: number) => ["a", "b", "c", "d", "e", "f", "g"].slice(0, count).map((name) => `rendered/${name}`);
    expect(() => checkReplaceable(dir, "rendered", refusing(dir, ...refused(5)))).toThrow(/^rendered\/a, rendered\/b, rendered\/c, rendered\/d, rendered\/e: not writable/);
    expect(() => checkReplaceable(dir, "rendered", refusing(dir, ...refused(7)))).toThrow(/^rendered\/a, rendered\/b, rendered\/c, rendered\/d, rendered\/e and 2 more: not writable/);
  });
});

describe("syncRendered (the render) and checkRendered (--check), both holding the lock", () => {
  it("an up-to-date tree is left alone, file times included, and no drift is reported", () => {
    const dir = scratch({ ...dev, ...prod });
    const before = statSync(join(dir, "rendered")).ino;
    expect(syncRendered(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true)).toEqual({ stale: [], missing: [], extra: [] });
    expect(statSync(join(dir, "rendered")).ino).toBe(before);
    expect(leftovers(dir)).toEqual([]);
  });

  it("a drifted tree is replaced, and what differed is reported", () => {
    const dir = scratch({ ...dev, "rendered/dev/a/x.yaml": "hand edit\n", "rendered/dev/extra.yaml": "e\n" });
    expect(syncRendered(dir, "rendered", ["dev"], files(dev), false)).toEqual({ stale: ["rendered/dev/a/x.yaml"], missing: [], extra: ["rendered/dev/extra.yaml"] });
    expect(onDisk(dir)).toEqual(dev);
  });

  it("the old tree a killed render left aside is put back before the comparison: equal to the files, it is not rewritten", () => {
    const dead = deadPid();
    const dir = scratch({ [`.rendered-previous-${dead}/dev/a/x.yaml`]: "dev x\n", [`.rendered-previous-${dead}/dev/b/y.yaml`]: "dev y\n" });
    expect(syncRendered(dir, "rendered", ["dev"], files(dev), false)).toEqual({ stale: [], missing: [], extra: [] });
    expect(onDisk(dir)).toEqual(dev);
    expect(leftovers(dir)).toEqual([]);
  });

  it("--check compares and changes nothing, and leaves no lock behind", () => {
    const dir = scratch({ "rendered/dev/a/x.yaml": "hand edit\n" });
    expect(checkRendered(dir, "rendered", ["dev"], files(dev), false)).toEqual({ stale: ["rendered/dev/a/x.yaml"], missing: ["rendered/dev/b/y.yaml"], extra: [] });
    expect(onDisk(dir)).toEqual({ "rendered/dev/a/x.yaml": "hand edit\n" });
    expect(leftovers(dir)).toEqual([]);
  });

  for (const code of ["EACCES", "EPERM", "EROFS"]) {
    it(`--check where the lock file cannot be created (${code}) compares without it; a render cannot go on`, () => {
      const dir = scratch({ "rendered/dev/a/x.yaml": "hand edit\n" });
      refusals.set(join(dir, ".rendered.lock"), code);
      expect(checkRendered(dir, "rendered", ["dev"], files(dev), false)).toEqual({ stale: ["rendered/dev/a/x.yaml"], missing: ["rendered/dev/b/y.yaml"], extra: [] });
      expect(() => syncRendered(dir, "rendered", ["dev"], files(dev), false)).toThrow(code);
      expect(onDisk(dir)).toEqual({ "rendered/dev/a/x.yaml": "hand edit\n" });
    });
  }

  it("a render where the lock file cannot be created leaves an up-to-date tree as it is, without an error", () => {
    const dir = scratch({ ...dev });
    refusals.set(join(dir, ".rendered.lock"), "EACCES");
    expect(syncRendered(dir, "rendered", ["dev"], files(dev), false)).toEqual({ stale: [], missing: [], extra: [] });
    expect(refused).toHaveLength(1);
  });

  it("--check fails on any other refusal, at once: a rendered file it cannot read, a lock it cannot create for another reason (ENOSPC), another user's lock it cannot read", () => {
    const dir = scratch({ ...dev });
    refusals.set(join(dir, "rendered", "dev", "a"), "EACCES");
    expect(() => checkRendered(dir, "rendered", ["dev"], files(dev), false)).toThrow("EACCES");
    // Thrown from the first reading, not read again without the lock.
    expect(refused).toHaveLength(1);
    refusals.clear();
    refusals.set(join(dir, ".rendered.lock"), "ENOSPC");
    expect(() => checkRendered(dir, "rendered", ["dev"], files(dev), false)).toThrow("ENOSPC");
    refusals.clear();
    refused.length = 0;
    // A live holder's lock this process may not read (another user's, mode 0600): no read-only checkout.
    writeFileSync(join(dir, ".rendered.lock"), `${JSON.stringify({ pid: process.ppid, host: "elsewhere", token: "other" })}\n`);
    refusals.set(`${join(dir, ".rendered.lock")}$`, "EACCES");
    expect(() => checkRendered(dir, "rendered", ["dev"], files(dev), false)).toThrow("EACCES");
    expect(refused).toEqual([join(dir, ".rendered.lock")]);
  });
});
