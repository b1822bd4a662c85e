// Helpers to render in memory, run the CLI bundle, and work on throw-away copies of the repo.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderEnvironment, type EnvironmentRender } from "../../generator/render";
import { loadEnvironment } from "../../core/settings/load";
import type { Settings } from "../../core/settings/schema";
import { listFiles } from "../../generator/output";
import { cliNodeArgs } from "../../generator/cli-command.mjs";
import { main as renderMain } from "../../generator/cli";
import type { App } from "../../apps/lib/app";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const environmentsDir = join(repoRoot, "environments");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export function render(environment: string, adjust?: (settings: Settings) => void): EnvironmentRender {
  const loaded = loadEnvironment(environmentsDir, environment, repoRoot);
  if (adjust) {
    loaded.settings = structuredClone(loaded.settings);
    adjust(loaded.settings);
  }
  return renderEnvironment(loaded, undefined, repoRoot);
}

export function objectsOf(environment: string, adjust?: (settings: Settings) => void): Json[] {
  return render(environment, adjust).objects as Json[];
}

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

/**
 * The render CLI's main() in this process, its console output captured: the same decisions as
 * runCli without the bundle and a process start, and visible to mutation testing. The bundle
 * itself is run by runCli (and test/bundle.test.ts).
 */
export function renderInProcess(args: string[], apps?: readonly App[]): CliRun {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => stdout.push(`${line}\n`);
  console.error = (line: string) => stderr.push(`${line}\n`);
  try {
    return { status: renderMain(args, apps), stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    Object.assign(console, { log, error });
  }
}

/** `npm run policy -- <args>`, from the repository root (where environments/ is). */
export function runPolicyCli(args: string[], cwd = repoRoot): CliRun {
  return run("policy", args, {}, cwd);
}
