// The report of `npm run verify`: what it found, as text (default) or JSON, and the exit code
// it means. Values are shown truncated (a dashboard's JSON is 50 kB), around their first
// difference; a Secret's values are never shown.
import { identity } from "../../core/objects";
import { sortedBy } from "../../core/sort";
import type { FieldDrift } from "./drift";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ObjectMessage extends ObjectRef {
  message: string;
  /** The HTTP status of the refusal (422 invalid, 409 conflict, 403 admission, 404 no namespace ...). */
  code?: number;
}

export interface NotServed {
  apiVersion: string;
  kinds: string[];
  /** Git objects of these kinds: neither dry-run nor compared. */
  objects: number;
  reason: string;
}

export interface ChangedObject extends ObjectRef {
  fields: FieldDrift[];
}

export interface ApplicationStatus {
  name: string;
  found: boolean;
  sync: string;
  health: string;
}

export interface VerifyResult {
  environment: string;
  context: string;
  server: string;
  /** "rendered/dev" */
  tree: string;
  objects: number;
  namespaces: string[];
  dryRun: { accepted: number; rejected: ObjectMessage[]; notServed: NotServed[]; warnings: ObjectMessage[] };
  drift: {
    changed: ChangedObject[];
    missing: ObjectRef[];
    /** Argo CD hooks absent from the cluster: created at sync time, deleted by their policy. Not drift. */
    hooksAbsent: ObjectRef[];
    notInGit: ObjectRef[];
    /** Expected: Secrets are created by hand. Names only. */
    secretsNotInGit: ObjectRef[];
  };
  argocd: { namespace: string; applications: ApplicationStatus[]; notChecked?: string };
}

const width = 72;

function applicationOk(application: ApplicationStatus): boolean {
  return application.found && application.sync === "Synced" && application.health === "Healthy";
}

/** What makes the run fail (exit 1), counted by category; empty when everything matches. */
export function problems(result: VerifyResult): string[] {
  const count = (n: number, what: string) => (n > 0 ? [`${n} ${what}`] : []);
  const notServed = result.dryRun.notServed.reduce((sum, entry) => sum + entry.objects, 0);
  const applications = result.argocd.applications.filter((application) => !applicationOk(application)).length;
  return [
    ...count(result.dryRun.rejected.length, "rejected by the dry-run"),
    ...count(notServed, "not checked (kind not served)"),
    ...count(result.drift.changed.length, "changed"),
    ...count(result.drift.missing.length, "missing"),
    ...count(result.drift.notInGit.length, "not in Git"),
    ...count(applications, "Application(s) not Synced and Healthy"),
    ...(result.argocd.notChecked !== undefined ? ["Argo CD not checked"] : []),
  ];
}

export function exitCodeOf(result: VerifyResult): 0 | 1 {
  return problems(result).length === 0 ? 0 : 1;
}

/** A value as JSON, cut to the width around `at` (the first difference). */
function excerpt(text: string, at: number): string {
  if (text.length <= width) return text;
  const start = at > width - 20 ? at - 20 : 0;
  const end = Math.min(text.length, start + width);
  return `${start > 0 ? "…" : ""}${text.slice(start, end)}${end < text.length ? "…" : ""}`;
}

function firstDifference(a: string, b: string): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

/** The Git and live values of a drifted field, for people. */
export function shownValues(field: FieldDrift, secret: boolean): { git: string; live: string } {
  if (secret) return { git: "(hidden)", live: "(hidden)" };
  const { git, live } = field;
  // Multi-line text (a config file, a dashboard): the first line that differs.
  if (typeof git === "string" && typeof live === "string" && (git.includes("\n") || live.includes("\n"))) {
    const gitLines = git.split("\n");
    const liveLines = live.split("\n");
    let line = 0;
    while (line < gitLines.length && line < liveLines.length && gitLines[line] === liveLines[line]) line++;
    const a = gitLines[line] === undefined ? "(no line)" : JSON.stringify(gitLines[line]);
    const b = liveLines[line] === undefined ? "(no line)" : JSON.stringify(liveLines[line]);
    const at = firstDifference(a, b);
    return { git: `line ${line + 1}: ${excerpt(a, at)}`, live: `line ${line + 1}: ${excerpt(b, at)}` };
  }
  const a = git === undefined ? "(no item)" : JSON.stringify(git);
  const b = live === undefined ? "(not set)" : JSON.stringify(live);
  const at = firstDifference(a, b);
  return { git: excerpt(a, at), live: excerpt(b, at) };
}

const byIdentity = <T extends ObjectRef>(items: readonly T[]) => sortedBy(items, (item) => `${identity({ kind: item.kind, metadata: item })}`);

const shownRef = (item: ObjectRef) => identity({ kind: item.kind, metadata: item });

export function textReport(result: VerifyResult): string {
  const lines: string[] = [];
  lines.push(`verify ${result.environment}: context ${result.context}, server ${result.server}, ${result.objects} objects in ${result.tree}`);

  const { dryRun, drift, argocd } = result;
  const notServed = dryRun.notServed.reduce((sum, entry) => sum + entry.objects, 0);
  lines.push(`dry-run apply (server-side, dryRun=All): ${dryRun.accepted} accepted, ${dryRun.rejected.length} rejected${notServed > 0 ? `, ${notServed} not checked` : ""}`);
  for (const entry of byIdentity(dryRun.rejected)) lines.push(`  rejected    ${shownRef(entry)}: ${entry.message}`);
  for (const entry of dryRun.notServed) {
    const hint = entry.apiVersion.startsWith("argoproj.io/") ? "; is Argo CD installed?" : "";
    lines.push(`  not served  ${entry.apiVersion} ${entry.kinds.join(", ")}: ${entry.reason} (${entry.objects} objects not checked${hint})`);
  }
  for (const entry of byIdentity(dryRun.warnings)) lines.push(`  warning     ${shownRef(entry)}: ${entry.message}`);

  const counts = [`${drift.changed.length} changed`, `${drift.missing.length} missing`, `${drift.notInGit.length} not in Git`];
  lines.push(`drift: ${counts.join(", ")}${drift.changed.length + drift.missing.length + drift.notInGit.length === 0 ? ` (namespaces ${result.namespaces.join(", ")})` : ""}`);
  for (const entry of byIdentity(drift.changed)) {
    lines.push(`  changed     ${shownRef(entry)}`);
    for (const field of entry.fields) {
      const values = shownValues(field, entry.kind === "Secret");
      lines.push(`                ${field.path}: Git ${values.git}, live ${values.live}`);
    }
  }
  for (const entry of byIdentity(drift.missing)) lines.push(`  missing     ${shownRef(entry)}`);
  for (const entry of byIdentity(drift.notInGit)) lines.push(`  not in Git  ${shownRef(entry)}`);
  for (const entry of byIdentity(drift.hooksAbsent)) lines.push(`  (absent)    ${shownRef(entry)}: an Argo CD hook, created at sync time and deleted by its policy (not drift)`);

  lines.push(`not in Git (expected: Secrets are created by hand): ${drift.secretsNotInGit.length} Secret(s)`);
  for (const entry of byIdentity(drift.secretsNotInGit)) lines.push(`  ${entry.namespace}/${entry.name}`);

  if (argocd.notChecked !== undefined) {
    lines.push(`Argo CD Applications (namespace ${argocd.namespace}): not checked: ${argocd.notChecked}`);
  } else {
    const ok = argocd.applications.filter(applicationOk).length;
    lines.push(`Argo CD Applications (namespace ${argocd.namespace}): ${ok} of ${argocd.applications.length} Synced and Healthy`);
    const nameWidth = Math.max(0, ...argocd.applications.map((application) => application.name.length));
    for (const application of sortedBy(argocd.applications, (a) => a.name)) {
      const state = application.found ? `${application.sync.padEnd(10)} ${application.health}` : "missing";
      lines.push(`  ${application.name.padEnd(nameWidth)}  ${state}`);
    }
  }

  const found = problems(result);
  lines.push(found.length === 0 ? "result: everything matches (exit 0)" : `result: ${found.join(", ")} (exit 1)`);
  return lines.join("\n");
}

export function jsonReport(result: VerifyResult): string {
  const changed = byIdentity(result.drift.changed).map((entry) => ({
    ...entry,
    fields: entry.fields.map((field) => ({ path: field.path, ...shownValues(field, entry.kind === "Secret") })),
  }));
  const sorted = {
    ...result,
    dryRun: { ...result.dryRun, rejected: byIdentity(result.dryRun.rejected), warnings: byIdentity(result.dryRun.warnings) },
    drift: {
      changed,
      missing: byIdentity(result.drift.missing),
      hooksAbsent: byIdentity(result.drift.hooksAbsent),
      notInGit: byIdentity(result.drift.notInGit),
      secretsNotInGit: byIdentity(result.drift.secretsNotInGit),
    },
    argocd: { ...result.argocd, applications: sortedBy(result.argocd.applications, (a) => a.name) },
  };
  return JSON.stringify({ ...sorted, problems: problems(result), exitCode: exitCodeOf(result) }, null, 2);
}
