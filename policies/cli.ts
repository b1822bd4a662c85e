// npm run policy -- [--env <name>] [--format text|json|sarif] [--matrix] [--root <repo>] [dir ...]
//   Checks rendered manifests against the architecture contract. Default: every rendered/<env>
//   of --root (the current folder), read holding the render lock, as is a folder of rendered/
//   named by hand. The environment of a directory is --env, else the directory's name; its
//   settings are read from environments/<env>/settings.yaml when that exists.
// Exit codes: 0 no error finding, 1 error findings, 2 usage, or settings that are invalid or
// contradict the contract (the render refuses them too; fix them first), 3 gave up waiting for
// the render lock.
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { reportError, UserError } from "../core/errors";
import { readingUnderRenderLock, renderedRoot, renderLockFile } from "../core/render-lock";
import { loadEnvironment, settingsFileName } from "../core/settings/load";
import type { Settings } from "../core/settings/schema";
import { timed, timingReport } from "../core/timings";
import { loadManifests } from "./engine/load";
import { failing, runRules } from "./engine/run";
import type { Manifest, PolicyContext, Rule, Violation } from "./engine/types";
import { jsonReport, sarifReport, textReport, type TreeResult } from "./report";
import { rules as allRules } from "./rules/index";
import { flowDifferences } from "./rules/network";

const usage = "usage: npm run policy -- [--env <name>] [--format text|json|sarif] [--matrix] [--timings] [--root <repo>] [dir ...]";

interface LoadedTree {
  dir: string;
  manifests: Manifest[];
  problems: Violation[];
}

function loadTree(dir: string): LoadedTree {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: not a directory`, 2);
  return { dir, ...timed("load", () => loadManifests([dir])) };
}

function checkTree({ dir, manifests, problems }: LoadedTree, environment: string, settings: Settings | undefined, rules: readonly Rule[], shownRoot: string): TreeResult {
  const context: PolicyContext = { environment, root: dir, manifests, settings, loadProblems: problems };
  const findings = timed("rules", () => runRules(context, rules));
  const { missing, extra, actual } = timed("reachability", () => flowDifferences(manifests, settings));
  return { environment, root: shownRoot, objects: manifests.length, findings, flows: actual, missingFlows: missing.length, extraFlows: extra.length };
}

/** rendered/<env> folders, by name; a file beside them (a README, .DS_Store) is not an environment. */
function environmentTrees(renderedDir: string): string[] {
  if (!existsSync(renderedDir)) return [];
  return readdirSync(renderedDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => join(renderedDir, entry.name))
    .sort();
}

function settingsFor(repoRoot: string, environment: string): Settings | undefined {
  const environmentsDir = join(repoRoot, "environments");
  if (!existsSync(join(environmentsDir, environment, settingsFileName))) return undefined;
  return loadEnvironment(environmentsDir, environment, repoRoot).settings;
}

export function runPolicy(argv: string[], rules: readonly Rule[] = allRules): { exitCode: number; output: string } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      env: { type: "string" },
      format: { type: "string", default: "text" },
      matrix: { type: "boolean", default: false },
      timings: { type: "boolean", default: false },
      root: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { exitCode: 0, output: usage };
  if (!["text", "json", "sarif"].includes(values.format!)) throw new UserError(`--format ${values.format}: expected text, json or sarif`, 2);
  const repoRoot = resolve(values.root ?? process.cwd());
  const renderedDir = join(repoRoot, renderedRoot);
  const readTrees = (dirs: string[]) => {
    if (dirs.length === 0) {
      const shown = relative(process.cwd(), renderedDir) || renderedDir;
      throw new UserError(`nothing to check: no directories given and ${shown} ${existsSync(renderedDir) ? "holds no environment folder" : "does not exist"} (run \`npm run render\` first)`, 2);
    }
    return dirs.map(loadTree);
  };
  // The repository's rendered/ (all of it, or folders of it named by hand) is read holding the
  // render lock: a render running meanwhile would swap the tree out mid-read. Other directories
  // are read as they are, and a --root that is no folder holds no lock and nothing to check.
  const named = positionals.map((p) => resolve(p));
  const inRendered = named.length === 0 || named.some((dir) => dir === renderedDir || dir.startsWith(`${renderedDir}${sep}`));
  const repoIsFolder = statSync(repoRoot, { throwIfNoEntry: false })?.isDirectory() === true;
  const read = () => readTrees(named.length > 0 ? named : environmentTrees(renderedDir));
  const trees = inRendered && repoIsFolder ? readingUnderRenderLock(renderLockFile(repoRoot, renderedRoot), read, { waiter: "policy", doing: "policy run", onWait: (line) => console.error(line) }) : read();
  const results = trees.map((tree) => {
    const environment = values.env ?? basename(tree.dir);
    const settings = timed("settings", () => settingsFor(repoRoot, environment));
    return checkTree(tree, environment, settings, rules, relative(process.cwd(), tree.dir) || ".");
  });
  const failed = results.some((r) => failing(r.findings).length > 0);
  const output = values.format === "json" ? jsonReport(results) : values.format === "sarif" ? sarifReport(results, rules, repoRoot) : textReport(results, rules, values.matrix!);
  return { exitCode: failed ? 1 : 0, output };
}

export function main(argv: string[]): number {
  try {
    const { exitCode, output } = runPolicy(argv);
    console.log(output);
    if (argv.includes("--timings")) console.error(timingReport().join("\n"));
    return exitCode;
  } catch (error) {
    return reportError("policy", usage, error);
  }
}
