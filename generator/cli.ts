// npm run render [-- --check] [-- --env <name> ...]
//   Renders every environment (or the named ones) into rendered/<env>/. With --check nothing in
//   rendered/ changes: the run exits 1 and lists every stale, missing or extra file when it is out of date.
// Exit codes: 0 ok, 1 drift or invalid generated object, 2 bad settings or usage, 3 gave up
// waiting for the render lock.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { apps as allApps } from "../apps/index";
import type { App } from "../apps/lib/app";
import { reportError, SettingsError, UserError } from "../core/errors";
import { argocdClashes } from "./argocd";
import { checkRendered, syncRendered } from "./output";
import { renderEnvironment, renderFleet, type EnvironmentRender } from "./render";
import { renderedRoot } from "../core/render-lock";
import { exampleValues } from "../core/settings/examples";
import { listEnvironments, loadEnvironments, type Environment } from "../core/settings/load";
import { formatQuantities, requestedResources } from "./summary";
import { timed, timingReport } from "../core/timings";
import { sortedBy } from "../core/sort";

const usage = "usage: npm run render -- [--check] [--env <name> ...] [--root <repo>] [--timings]";

interface CliResult {
  exitCode: number;
  output: string[];
}

/** `apps` is injectable so tests can render a deliberately broken app through the real CLI path. */
export function runRender(argv: string[], apps: readonly App[] = allApps): CliResult {
  const { values } = parseArgs({
    args: argv,
    options: {
      check: { type: "boolean", default: false },
      timings: { type: "boolean", default: false },
      env: { type: "string", multiple: true },
      root: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return { exitCode: 0, output: [usage] };
  const repoRoot = resolve(values.root ?? process.cwd());
  const environmentsDir = join(repoRoot, "environments");
  const known = listEnvironments(environmentsDir);
  const unknown = (values.env ?? []).filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new UserError(`--env ${unknown.join(", ")}: no such environment (environments/ has: ${known.join(", ")})`, 2);
  const selected = values.env !== undefined ? [...new Set(values.env)].sort() : known;
  const environments = timed("settings", () => loadEnvironments(environmentsDir, selected, repoRoot));
  // Every environment folder's Argo CD objects, whichever are rendered now: a clash is a clash in
  // Argo CD even when one side is not selected. One with bad settings fails its own render instead.
  const others = known.filter((name) => !selected.includes(name)).flatMap((name) => {
    try {
      return loadEnvironments(environmentsDir, [name], repoRoot);
    } catch (error) {
      if (error instanceof SettingsError) return [];
      throw error;
    }
  });
  const everyEnvironment = sortedBy([...environments, ...others], (environment) => environment.name);
  const clashes = argocdClashes(everyEnvironment, repoRoot);
  if (clashes.length > 0) throw new SettingsError(clashes.join("\n"));
  const renders: EnvironmentRender[] = environments.map((environment) => renderEnvironment(environment, apps, repoRoot));
  const all = values.env === undefined;
  // The fleet spans every environment: rendered (or left alone) only with all of them.
  const fleet = all ? renderFleet(environments, repoRoot) : { files: [] };
  const files = [...renders.flatMap((r) => r.files), ...fleet.files];
  const output = [
    ...renders.map((r) => `${r.environment}: ${r.objects.length} objects, ${formatQuantities(requestedResources(r.objects))}`),
    ...environments.flatMap(exampleReminder),
    ...("note" in fleet && fleet.note ? [fleet.note] : []),
  ];

  const onWait = (line: string) => console.error(line);
  const drift = values.check ? checkRendered(repoRoot, renderedRoot, selected, files, all, { onWait, doing: "render --check" }) : syncRendered(repoRoot, renderedRoot, selected, files, all, { onWait });
  const changes = [
    ...drift.stale.map((p) => `stale    ${p}`),
    ...drift.missing.map((p) => `missing  ${p}`),
    ...drift.extra.map((p) => `extra    ${p}`),
  ];
  if (values.check) {
    if (changes.length === 0) return { exitCode: 0, output: [...output, `${renderedRoot}/ is up to date (${files.length} files)`] };
    const advice = `${renderedRoot}/ is out of date (${changes.length} file(s)); run \`npm run render\` and commit the result:`;
    return { exitCode: 1, output: [...output, advice, ...changes.map((line) => `  ${line}`)] };
  }
  // An unchanged tree was left alone: no rewrite, and file times stay as they are.
  if (changes.length === 0) return { exitCode: 0, output: [...output, `${renderedRoot}/ unchanged (${files.length} files)`] };
  const counts = `${drift.stale.length} changed, ${drift.missing.length} added, ${drift.extra.length} deleted`;
  return { exitCode: 0, output: [...output, `wrote ${files.length} files to ${renderedRoot}/ (${counts})`] };
}

/** Rendering the example settings is fine; syncing them is not. */
function exampleReminder(environment: Environment): string[] {
  const paths = exampleValues(environment.settings);
  if (paths.length === 0) return [];
  return [`${environment.name}: example values still set (${paths.join(", ")}): change them before the first sync (README "Before the first sync")`];
}

export function main(argv: string[], apps: readonly App[] = allApps): number {
  try {
    const result = runRender(argv, apps);
    for (const line of result.output) console.log(line);
    if (argv.includes("--timings")) console.error(timingReport().join("\n"));
    return result.exitCode;
  } catch (error) {
    return reportError("render", usage, error);
  }
}
