// Runs rules over a context and applies exemptions. Only a node agent can be exempt from a rule:
// a DaemonSet whose contract record grants it the host access that rule forbids
// (hostAccessExemptions), through the annotation below with a reason per rule; exemptions are
// always reported. A Deployment or StatefulSet never needs host access, and Pod Security
// admission does not stop one in a namespace that must enforce privileged for its node agents.
import { exemptionAnnotation, hostAccessExemptions, isWorkloadName, records } from "../../core/contract/index";
import { identity } from "../../core/objects";
import type { Finding, Json, Manifest, PolicyContext, Rule, Violation } from "./types";

/** The rules a DaemonSet's record lets it be exempt from: those its host access breaks. */
function exemptableRules(object: Json): Set<string> {
  const name = object.metadata?.name;
  const access = object.kind === "DaemonSet" && isWorkloadName(name) ? records[name].hostAccess : undefined;
  return new Set(Object.entries(hostAccessExemptions).flatMap(([kind, rule]) => (access?.[kind as keyof typeof hostAccessExemptions] ? [rule] : [])));
}

/** "SEC008: reads host network statistics" lines → rule id → reason, for the rules the record allows. */
function exemptionsOf(object: Json | undefined): Map<string, string> {
  const exemptions = new Map<string, string>();
  const text = object?.metadata?.annotations?.[exemptionAnnotation];
  if (typeof text !== "string") return exemptions;
  const allowed = exemptableRules(object!);
  for (const line of text.split("\n")) {
    // A rule id without a reason exempts nothing.
    const match = /^\s*([A-Z]+[0-9]+)\s*:\s*(\S.*?)\s*$/.exec(line);
    if (match && allowed.has(match[1]!)) exemptions.set(match[1]!, match[2]!);
  }
  return exemptions;
}

/** A rule that throws on an odd manifest reports that as a finding instead of ending the run. */
function checkSafely(rule: Rule, context: PolicyContext): Violation[] {
  try {
    return rule.check(context);
  } catch (error) {
    return [{ manifest: { file: context.root }, message: `could not evaluate the tree (${(error as Error).message}); a manifest has an unexpected shape — see SCH002` }];
  }
}

export function runRules(context: PolicyContext, rules: readonly Rule[]): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const violation of checkSafely(rule, context)) {
      const { object, document } = violation.manifest as Partial<Manifest>;
      const reason = violation.exemptable === false ? undefined : exemptionsOf(object).get(rule.id);
      findings.push({
        rule: rule.id,
        severity: rule.severity,
        file: violation.manifest.file,
        object: object ? identity(object) : "(whole tree)",
        ...(violation.path !== undefined ? { path: violation.path } : {}),
        ...(document !== undefined ? { document } : {}),
        message: violation.message,
        fix: rule.fix,
        ...(reason ? { exemption: reason } : {}),
      });
    }
  }
  return findings;
}

/** Findings that fail the run: error severity and not exempted. */
export function failing(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === "error" && f.exemption === undefined);
}
