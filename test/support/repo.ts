// Helpers to run the CLI bundles and work on throw-away copies of the repo. They import nothing of
// the generator but its file listing, so a test that needs only paths does not load every app
// (rendering in this process: ./render).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { listFiles } from "../../generator/output";
import { cliNodeArgs } from "../../generator/cli-command.mjs";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const environmentsDir = join(repoRoot, "environments");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** A container's env entries by name (value or valueFrom). */
export function envEntries(container: Json): Record<string, Json> {
  return Object.fromEntries(((container.env ?? []) as Json[]).map((entry) => [entry.name, entry]));
}

export function find(objects: Json[], kind: string, name: string): Json | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** A scratch repository holding copies of environments/ and rendered/; removed by the returned cleanup. */
export function scratchRepo(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "boutique-repo-"));
  cpSync(join(repoRoot, "environments"), join(root, "environments"), { recursive: true });
  cpSync(join(repoRoot, "rendered"), join(root, "rendered"), { recursive: true });
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** path → sha256 of every file below dir: equal digests mean byte-identical trees. */
export function treeDigest(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir, dir).map((path) => [path, createHash("sha256").update(readFileSync(join(dir, path))).digest("hex")]));
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI exactly as `npm run render` / `npm run policy` start it: the bundle built by generator/build.mjs. */
function run(command: "render" | "policy", args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot): CliRun {
  const result = spawnSync(process.execPath, [...cliNodeArgs(command, repoRoot), ...args], { encoding: "utf8", env: { ...process.env, ...env }, cwd, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `npm run render -- <args>` */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  return run("render", args, env);
}

/** `npm run policy -- <args>`, from the repository root (where environments/ is). */
export function runPolicyCli(args: string[], cwd = repoRoot): CliRun {
  return run("policy", args, {}, cwd);
}
