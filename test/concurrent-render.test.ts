// Renders never corrupt rendered/: they write one at a time (a lock file naming the writer),
// a lock or a leftover folder of a render that is gone is cleaned up, and a live render's are
// never touched.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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

/** A render process; resolves with its exit code and stderr. */
function render(root: string, ...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...cliNodeArgs("render", repoRoot), "--root", root, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

const leftovers = (root: string) => readdirSync(root).filter((entry) => entry.startsWith(".rendered"));

describe("concurrent renders", () => {
  it("20 pairs of renders running at once (all environments, and --env dev) leave rendered/ as one render does", async () => {
    const root = scratch();
    rmSync(join(root, "rendered"), { recursive: true });
    for (let round = 0; round < 5; round++) {
      const runs = Array.from({ length: 4 }, () => [render(root), render(root, "--env", "dev")]).flat();
      for (const run of await Promise.all(runs)) expect(run).toEqual({ status: 0, stderr: "" });
    }
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
    expect(leftovers(root)).toEqual([]);
  });

  it("a lock left by a render that was killed is taken over", async () => {
    const root = scratch();
    rmSync(join(root, "rendered", "dev"), { recursive: true });
    writeFileSync(join(root, ".rendered.lock"), String(deadPid()));
    expect(await render(root)).toEqual({ status: 0, stderr: "" });
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
    expect(leftovers(root)).toEqual([]);
  });

  it("a live render's lock is waited for, and its folders are left alone", async () => {
    const root = scratch();
    rmSync(join(root, "rendered", "dev"), { recursive: true });
    // This test process stands for a render that is writing: it holds the lock and has a staging folder.
    writeFileSync(join(root, ".rendered.lock"), String(process.pid));
    mkdirSync(join(root, `.rendered-staging-${process.pid}`));
    mkdirSync(join(root, `.rendered-staging-${deadPid()}`));
    const run = render(root);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(existsSync(join(root, "rendered", "dev")), "written while the lock was held").toBe(false);
    rmSync(join(root, ".rendered.lock"));
    expect(await run).toEqual({ status: 0, stderr: "" });
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
    expect(leftovers(root)).toEqual([`.rendered-staging-${process.pid}`]);
  });
});
