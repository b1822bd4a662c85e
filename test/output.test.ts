// generator/output.ts in-process: what writeRendered leaves on disk and what compareWithDisk
// reports, on a scratch folder. (The render CLI tests cover the same through the bundle, in a
// child process; these specify the module itself, where mutation testing can see it.)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compareWithDisk, listFiles, writeRendered } from "../generator/output";

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function scratch(tree: Record<string, string> = {}): string {
  root = mkdtempSync(join(tmpdir(), "output-"));
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const files = (tree: Record<string, string>) => Object.entries(tree).map(([path, content]) => ({ path, content }));
const onDisk = (dir: string) => Object.fromEntries(listFiles(join(dir, "rendered"), dir).map((path) => [path, readFileSync(join(dir, path), "utf8")]));
const leftovers = (dir: string) => readdirSync(dir).filter((entry) => entry.startsWith("."));

const dev = { "rendered/dev/a/x.yaml": "dev x\n", "rendered/dev/b/y.yaml": "dev y\n" };
const prod = { "rendered/prod/a/x.yaml": "prod x\n" };

describe("writeRendered", () => {
  it("writes every file of a new tree, and nothing beside it", () => {
    const dir = scratch();
    writeRendered(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
  });

  it("for all environments, removes files and environments it no longer produces", () => {
    const dir = scratch({ ...dev, ...prod, "rendered/dev/old.yaml": "old\n", "rendered/retired/z.yaml": "z\n" });
    writeRendered(dir, "rendered", ["dev", "prod"], files({ ...dev, ...prod }), true);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
  });

  it("for some environments, replaces only theirs and keeps the others byte for byte", () => {
    const dir = scratch({ ...dev, "rendered/dev/old.yaml": "old\n", "rendered/prod/a/x.yaml": "hand edit\n", "rendered/staging/s.yaml": "s\n" });
    writeRendered(dir, "rendered", ["dev"], files({ ...dev, "rendered/dev/b/y.yaml": "dev y, new\n" }), false);
    expect(onDisk(dir)).toEqual({ "rendered/dev/a/x.yaml": "dev x\n", "rendered/dev/b/y.yaml": "dev y, new\n", "rendered/prod/a/x.yaml": "hand edit\n", "rendered/staging/s.yaml": "s\n" });
    expect(leftovers(dir)).toEqual([]);
  });

  it("puts back the old tree a killed render left aside, then writes, removing the dead render's staging folder", () => {
    // A render (pid 999999: not running) killed between its renames: rendered/ gone, the old tree aside.
    const dir = scratch({ ".rendered-previous-999999/prod/a/x.yaml": "prod x\n", ".rendered-staging-999999/dev/half.yaml": "half\n" });
    expect(existsSync(join(dir, "rendered"))).toBe(false);
    writeRendered(dir, "rendered", ["dev"], files(dev), false);
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
  });

  it("a render that fails while writing leaves the tree as it was and no staging folder", () => {
    const dir = scratch({ ...dev, ...prod });
    const broken = files({ "rendered/dev/a": "a file where a folder must be\n", "rendered/dev/a/x.yaml": "x\n" });
    expect(() => writeRendered(dir, "rendered", ["dev"], broken, false)).toThrow();
    expect(onDisk(dir)).toEqual({ ...dev, ...prod });
    expect(leftovers(dir)).toEqual([]);
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
