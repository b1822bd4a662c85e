// The diff as text (a terminal), markdown (a pull-request comment: one collapsible section per
// environment, diff fences, cut short with a count of what was left out) or JSON.
import { structuredPatch } from "diff";
import { formatQuantities } from "../summary";
import { hasChanges, type EnvironmentDiff, type FieldChange, type Flow, type Totals } from "./compare";

export interface DiffReport {
  base: string;
  head: string;
  environments: EnvironmentDiff[];
  notes: string[];
}

/** Lines of one object's changes at most, and of a whole report; GitHub comments stop at 65,536 characters. */
const linesPerObject = 40;
const linesPerReport = 1200;
const markdownCharacters = 60_000;

function shown(value: unknown): string {
  if (value === undefined) return "(absent)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** A multi-line string's changed lines with one line of context, as diff lines (" ", "-", "+"). */
function lineDiff(before: string, after: string): string[] {
  const patch = structuredPatch("before", "after", before, after, "", "", { context: 1 });
  return patch.hunks.flatMap((hunk) => [`@@ lines ${hunk.oldStart}-${hunk.oldStart + hunk.oldLines - 1} → ${hunk.newStart}-${hunk.newStart + hunk.newLines - 1} @@`, ...hunk.lines]);
}

/** One field change as diff lines: "-" before, "+" after; multi-line strings line by line. */
function changeLines(change: FieldChange): string[] {
  const { path, before, after } = change;
  if (typeof before === "string" && typeof after === "string" && (before.includes("\n") || after.includes("\n"))) {
    return [` ${path}:`, ...lineDiff(before, after).map((line) => (line.startsWith("@@") ? ` ${line}` : `${line[0]}   ${line.slice(1)}`))];
  }
  return [...(before !== undefined ? [`- ${path}: ${shown(before)}`] : []), ...(after !== undefined ? [`+ ${path}: ${shown(after)}`] : [])];
}

function capped(lines: string[], limit: number, what: string): string[] {
  return lines.length <= limit ? lines : [...lines.slice(0, limit), `  ... ${lines.length - limit} more line(s) of ${what} cut`];
}

const flowText = (flow: Flow) => `${flow.from} → ${flow.to}:${flow.port}/${flow.protocol}`;
const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2);

function requestsLine({ before, after }: { before: Totals; after: Totals }): string {
  if (before.cpuMillicores === after.cpuMillicores && before.memoryBytes === after.memoryBytes) return `requests unchanged: ${formatQuantities(after).replace(/^requests /, "")}`;
  return `requests ${(before.cpuMillicores / 1000).toFixed(2)} → ${(after.cpuMillicores / 1000).toFixed(2)} CPU, ${gib(before.memoryBytes)} → ${gib(after.memoryBytes)} GiB memory`;
}

function counts(diff: EnvironmentDiff): string {
  return `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`;
}

/** The sections of one environment: each a title and its lines (diff-style lines keep their first character). */
function sections(diff: EnvironmentDiff): { title: string; lines: string[]; diffLines?: boolean }[] {
  const result: { title: string; lines: string[]; diffLines?: boolean }[] = [{ title: "Resources", lines: [requestsLine(diff.requests)] }];
  if (diff.replicas.length > 0) result.push({ title: "Replicas", lines: diff.replicas.map((c) => `${c.path}: ${shown(c.before)} → ${shown(c.after)}`) });
  if (diff.images.length > 0) result.push({ title: "Images", lines: diff.images.map((c) => `${c.path}: ${shown(c.before)} → ${shown(c.after)}`) });
  if (diff.flowsAdded.length + diff.flowsRemoved.length > 0) {
    result.push({ title: "Network flows (reachability proof)", lines: [...diff.flowsAdded.map((f) => `+ ${flowText(f)}`), ...diff.flowsRemoved.map((f) => `- ${flowText(f)}`)], diffLines: true });
  }
  if (diff.newFindings.length > 0) result.push({ title: "New policy findings", lines: diff.newFindings.map((f) => `${f.severity === "error" ? "ERROR" : "warn "} ${f.rule} ${f.object}${f.path ? ` ${f.path}` : ""}: ${f.message}`) });
  if (diff.added.length > 0) result.push({ title: "Added", lines: diff.added.map((name) => `+ ${name}`), diffLines: true });
  if (diff.removed.length > 0) result.push({ title: "Removed", lines: diff.removed.map((name) => `- ${name}`), diffLines: true });
  if (diff.changed.length > 0) {
    const lines = diff.changed.flatMap(({ object, changes }) => [`# ${object}`, ...capped(changes.flatMap(changeLines), linesPerObject, object)]);
    result.push({ title: "Changed", lines, diffLines: true });
  }
  return result;
}

/** Keeps at most `budget.left` lines in all, counting what it cut. */
function withinBudget(lines: string[], budget: { left: number; cut: number }): string[] {
  const kept = lines.slice(0, Math.max(0, budget.left));
  budget.cut += lines.length - kept.length;
  budget.left -= kept.length;
  return kept;
}

function unchangedLine(report: DiffReport): string {
  return `No changes to the rendered objects of ${report.environments.map((e) => e.environment).join(", ")} against ${report.base}.`;
}

export function textReport(report: DiffReport): string {
  const budget = { left: linesPerReport, cut: 0 };
  const out = [`Rendered diff: ${report.base} → ${report.head}`, ...report.notes.map((note) => `note: ${note}`)];
  const changedEnvironments = report.environments.filter(hasChanges);
  if (changedEnvironments.length === 0) return [...out, unchangedLine(report)].join("\n");
  for (const diff of report.environments) {
    out.push("", `${diff.environment}: ${hasChanges(diff) ? counts(diff) : "no changes"}`);
    if (!hasChanges(diff)) continue;
    for (const { title, lines } of sections(diff)) out.push(`  ${title}:`, ...withinBudget(lines, budget).map((line) => `    ${line}`));
  }
  if (budget.cut > 0) out.push("", `... ${budget.cut} more line(s) cut; see --format json for everything`);
  return out.join("\n");
}

export function markdownReport(report: DiffReport): string {
  const budget = { left: linesPerReport, cut: 0 };
  const out = [`### Rendered diff: \`${report.base}\` → ${report.head}`, "", ...report.notes.flatMap((note) => [`> ${note}`, ""])];
  if (report.environments.every((diff) => !hasChanges(diff))) return [...out, unchangedLine(report), ""].join("\n");
  for (const diff of report.environments) {
    if (!hasChanges(diff)) {
      out.push(`**${diff.environment}**: no changes`, "");
      continue;
    }
    out.push("<details>", `<summary><b>${diff.environment}</b>: ${counts(diff)}; ${requestsLine(diff.requests)}</summary>`, "");
    for (const { title, lines, diffLines } of sections(diff)) {
      const kept = withinBudget(lines, budget);
      if (kept.length === 0) continue;
      out.push(`**${title}**`, "", diffLines ? "```diff" : "```", ...kept, "```", "");
    }
    out.push("</details>", "");
  }
  if (budget.cut > 0) out.push(`_${budget.cut} more line(s) cut to keep this comment short: run \`npm run diff\` locally for everything._`, "");
  const text = out.join("\n");
  return text.length <= markdownCharacters ? text : cutMarkdown(text);
}

/** The report cut at a line boundary within the limit, with any open code fence and details closed. */
function cutMarkdown(text: string): string {
  const lines = text.slice(0, markdownCharacters).split("\n").slice(0, -1);
  const fences = lines.filter((line) => line.startsWith("```")).length;
  const openDetails = lines.filter((line) => line === "<details>").length - lines.filter((line) => line === "</details>").length;
  return [...lines, ...(fences % 2 === 1 ? ["```"] : []), ...(openDetails > 0 ? ["</details>"] : []), "", `_Cut at ${markdownCharacters} characters: run \`npm run diff\` locally for everything._`, ""].join("\n");
}

export function jsonReport(report: DiffReport): string {
  return JSON.stringify(report, null, 2);
}
