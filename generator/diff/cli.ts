// npm run diff -- [--base <git ref>] [--env <name> ...] [--format text|markdown|json]
//   What a change does to the rendered environments: the base revision's committed rendered/
//   (CI keeps it up to date: `npm run render -- --check`) against a render of the working tree,
//   per environment: objects added, removed and changed (the changed fields only), requested
//   CPU and memory before → after, replica and image changes, network flows the reachability
//   proof gains or loses, and policy findings that are new against the base. Markdown is made
//   for a pull-request comment. Default base: the merge base of HEAD and main (origin/main).
// Exit codes: 0 with or without changes; 2 usage, an unknown ref, or settings that do not load.
// The top floor, like the bench: it runs the render pipeline and the policy engine.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { reportError, SettingsError, UserError } from "../../core/errors";
import { listEnvironments, loadEnvironment, loadEnvironments } from "../../core/settings/load";
import type { Settings } from "../../core/settings/schema";
import { sortedBy } from "../../core/sort";
import { loadManifests } from "../../policies/engine/load";
import { runRules } from "../../policies/engine/run";
import { rules } from "../../policies/rules/index";
import { flowDifferences } from "../../policies/rules/network";
import { renderEnvironment } from "../render";
import { diffEnvironment, type TreeFacts } from "./compare";
import { jsonReport, markdownReport, textReport, type DiffReport } from "./report";

const usage = "usage: npm run diff -- [--base <git ref>] [--env <name> ...] [--format text|markdown|json] [--root <repo>]";

function git(repoRoot: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync("git", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  if (result.error) throw new UserError(`git could not run: ${result.error.message}`, 2);
  return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** The commit to compare with: --base, else the merge base of HEAD and main (or origin/main). */
function baseCommit(repoRoot: string, base: string | undefined): { commit: string; shown: string } {
  if (!git(repoRoot, ["rev-parse", "--git-dir"]).ok) throw new UserError(`${repoRoot}: not a Git repository; npm run diff compares with a Git revision`, 2);
  if (base !== undefined) {
    const resolved = git(repoRoot, ["rev-parse", "--verify", "--quiet", `${base}^{commit}`]);
    if (!resolved.ok) throw new UserError(`--base ${base}: no such commit, branch or tag in this repository (git fetch it first?)`, 2);
    return { commit: resolved.stdout, shown: `${base} (${resolved.stdout.slice(0, 12)})` };
  }
  for (const main of ["main", "origin/main"]) {
    const mergeBase = git(repoRoot, ["merge-base", "HEAD", main]);
    if (mergeBase.ok) return { commit: mergeBase.stdout, shown: `merge base with ${main} (${mergeBase.stdout.slice(0, 12)})` };
  }
  throw new UserError("no branch main or origin/main to find the merge base with; pass --base <git ref>", 2);
}

/** The base revision's rendered/ and environments/, extracted to `dir` (git archive, read by tar). */
function extractBase(repoRoot: string, commit: string, dir: string): void {
  const paths = ["rendered", "environments"].filter((path) => git(repoRoot, ["cat-file", "-e", `${commit}:${path}`]).ok);
  if (!paths.includes("rendered")) throw new UserError(`${commit.slice(0, 12)} has no rendered/ folder to compare with`, 2);
  const archive = spawnSync("git", ["archive", "--format=tar", commit, ...paths], { cwd: repoRoot, maxBuffer: 1024 * 2 ** 20 });
  if (archive.status !== 0) throw new UserError(`git archive ${commit.slice(0, 12)} failed: ${archive.stderr.toString().trim()}`, 2);
  const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (untar.status !== 0) throw new UserError(`tar could not unpack the base revision: ${untar.stderr.toString().trim()}`, 2);
}

/** Objects, allowed flows and policy findings of one rendered tree. */
function treeFacts(dir: string, environment: string, settings: Settings | undefined): TreeFacts {
  if (!existsSync(dir)) return { objects: [], flows: [], findings: [] };
  const { manifests, problems } = loadManifests([dir]);
  const findings = runRules({ environment, root: dir, manifests, settings, loadProblems: problems }, rules)
    .filter((finding) => finding.exemption === undefined)
    .map(({ rule, severity, object, path, message }) => ({ rule, severity, object, ...(path !== undefined ? { path } : {}), message }));
  return { objects: manifests.map((m) => m.object), flows: flowDifferences(manifests, settings).actual, findings };
}

/** The base's settings read with today's schema; when they no longer load, the working tree's stand in (and a note says so). */
function baseSettings(baseDir: string, environment: string, fallback: Settings | undefined, notes: string[]): Settings | undefined {
  try {
    return loadEnvironment(join(baseDir, "environments"), environment, baseDir).settings;
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    notes.push(`${environment}: the base's settings do not load with today's schema, so the base tree is judged with the working tree's settings`);
    return fallback;
  }
}

export function runDiff(argv: string[]): { exitCode: number; output: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string" },
      env: { type: "string", multiple: true },
      format: { type: "string", default: "text" },
      root: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return { exitCode: 0, output: usage };
  if (!["text", "markdown", "json"].includes(values.format!)) throw new UserError(`--format ${values.format}: expected text, markdown or json`, 2);
  const repoRoot = resolve(values.root ?? process.cwd());
  const base = baseCommit(repoRoot, values.base);
  const scratch = mkdtempSync(join(tmpdir(), "rendered-diff-"));
  try {
    const baseDir = join(scratch, "base");
    const headDir = join(scratch, "head");
    mkdirSync(baseDir);
    extractBase(repoRoot, base.commit, baseDir);
    const environmentsDir = join(repoRoot, "environments");
    const headNames = listEnvironments(environmentsDir);
    const baseNames = existsSync(join(baseDir, "rendered")) ? listEnvironments(join(baseDir, "rendered")) : [];
    const names = values.env ?? sortedBy([...new Set([...headNames, ...baseNames])], (name) => name);
    for (const name of values.env ?? []) {
      if (!headNames.includes(name) && !baseNames.includes(name)) throw new UserError(`--env ${name}: no such environment in the working tree or the base`, 2);
    }
    // The working tree as it would render now (settings errors stop here, as they stop the render).
    const environments = loadEnvironments(environmentsDir, names.filter((name) => headNames.includes(name)), repoRoot);
    for (const environment of environments) {
      for (const file of renderEnvironment(environment, undefined, repoRoot).files) {
        const path = join(headDir, file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content);
      }
    }
    const notes: string[] = [];
    const report: DiffReport = {
      base: base.shown,
      head: "the working tree, rendered now",
      notes,
      environments: names.map((name) => {
        const settings = environments.find((environment) => environment.name === name)?.settings;
        const before = treeFacts(join(baseDir, "rendered", name), name, baseNames.includes(name) ? baseSettings(baseDir, name, settings, notes) : undefined);
        const after = treeFacts(join(headDir, "rendered", name), name, settings);
        return diffEnvironment(name, before, after);
      }),
    };
    const format = { text: textReport, markdown: markdownReport, json: jsonReport }[values.format as "text" | "markdown" | "json"];
    return { exitCode: 0, output: format(report) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function main(argv: string[]): number {
  try {
    const { exitCode, output } = runDiff(argv);
    console.log(output);
    return exitCode;
  } catch (error) {
    return reportError("diff", usage, error);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) process.exitCode = main(process.argv.slice(2));
