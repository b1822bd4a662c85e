// npm run mutation:score — adds up the per-area Stryker reports (reports/mutation/<area>/mutation.json,
// written by MUTATION_AREA=<area> npm run mutation) into one table: per area and overall, the
// mutation score as Stryker computes it (detected ÷ valid: killed and timed-out mutants over those
// plus survivors and mutants no test reaches; ignored and non-compiling mutants do not count).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface Counts {
  detected: number;
  survived: number;
  noCoverage: number;
}

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

const reportsDir = "reports/mutation";
/** Each area's source globs, from the Stryker configuration (read when the script runs, from the working directory). */
const { areas: areaSources } = (await import(pathToFileURL(join(process.cwd(), "stryker.config.mjs")).href)) as { areas: Record<string, readonly string[]> };

/** A glob's fixed start ("policies/rules/" of "policies/rules/**\/*.ts"). */
const fixedStart = (glob: string) => glob.replace(/^!/, "").split(/[*{?[]/)[0]!;

/**
 * Whether a file is one of the area's sources, by the fixed start of its globs (and not of its
 * negated ones). An area's report can carry other files' results from an earlier scoped run kept
 * in its incremental file; they are another area's and are not counted here.
 */
function inArea(area: string, path: string): boolean {
  const globs = areaSources[area] ?? [];
  const starts = (negated: boolean) => globs.filter((glob) => glob.startsWith("!") === negated).map(fixedStart);
  return starts(false).some((start) => path.startsWith(start)) && !starts(true).some((start) => path.startsWith(start));
}

function countsOf(area: string, report: Report): Counts {
  const counts: Counts = { detected: 0, survived: 0, noCoverage: 0 };
  for (const [path, file] of Object.entries(report.files)) {
    if (!inArea(area, path)) continue;
    for (const { status } of file.mutants) {
      if (status === "Killed" || status === "Timeout") counts.detected++;
      else if (status === "Survived") counts.survived++;
      else if (status === "NoCoverage") counts.noCoverage++;
    }
  }
  return counts;
}

const valid = (c: Counts) => c.detected + c.survived + c.noCoverage;
const score = (c: Counts) => (valid(c) === 0 ? "—" : `${((100 * c.detected) / valid(c)).toFixed(1)} %`);
const row = (name: string, c: Counts, when: string) => `| ${name} | **${score(c)}** | ${c.detected} of ${valid(c)} (${c.survived} survived, ${c.noCoverage} not reached) | ${when} |`;

const areas = existsSync(reportsDir) ? readdirSync(reportsDir).filter((entry) => existsSync(join(reportsDir, entry, "mutation.json"))).sort() : [];
if (areas.length === 0) {
  console.error(`mutation:score: no area reports under ${reportsDir}/ — run e.g. MUTATION_AREA=policy-rules npm run mutation first`);
  process.exit(1);
}
const total: Counts = { detected: 0, survived: 0, noCoverage: 0 };
console.log("| area | score | killed of valid mutants | report of |");
console.log("|---|---|---|---|");
for (const area of areas) {
  const file = join(reportsDir, area, "mutation.json");
  const counts = countsOf(area, JSON.parse(readFileSync(file, "utf8")) as Report);
  for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += counts[key];
  console.log(row(`\`${area}\``, counts, statSync(file).mtime.toISOString().slice(0, 10)));
}
console.log(row("overall", total, ""));
