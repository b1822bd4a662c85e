// Policy results as text (people), JSON (scripts) and SARIF 2.1.0 (GitHub code scanning).
import { existsSync, readFileSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { pointerLocator, type PointerLocator } from "../core/yaml/locate";
import type { Flow } from "./network/reachability";
import { failing } from "./engine/run";
import type { Finding, Rule } from "./engine/types";

export interface TreeResult {
  environment: string;
  root: string;
  objects: number;
  findings: Finding[];
  flows: Flow[];
  missingFlows: number;
  extraFlows: number;
}

const flowText = (f: Flow) => `${f.from} → ${f.to}:${f.port === 0 ? "any" : f.port}/${f.protocol}`;

export function textReport(results: TreeResult[], rules: readonly Rule[], showMatrix: boolean): string {
  const lines: string[] = [];
  for (const result of results) {
    const errors = failing(result.findings);
    const warnings = result.findings.filter((f) => f.severity === "warning" && f.exemption === undefined);
    const exempted = result.findings.filter((f) => f.exemption !== undefined);
    lines.push(`${result.root} (environment ${result.environment}): ${result.objects} objects, ${rules.length} rules — ${errors.length} error(s), ${warnings.length} warning(s), ${exempted.length} exemption(s)`);
    for (const finding of [...errors, ...warnings]) {
      lines.push(`  ${finding.severity === "error" ? "ERROR" : "warn "} ${finding.rule} ${finding.file} ${finding.object}${finding.path ? ` ${finding.path}` : ""}: ${finding.message}`);
      lines.push(`        fix: ${finding.fix}`);
    }
    for (const finding of exempted) lines.push(`  exempt ${finding.rule} ${finding.object}: ${finding.message} — reason: ${finding.exemption}`);
    const verdict = result.missingFlows === 0 && result.extraFlows === 0 ? "equals the contract" : `differs from the contract (${result.missingFlows} missing, ${result.extraFlows} extra)`;
    lines.push(`  reachability: ${result.flows.length} allowed flows; ${verdict}`);
    if (showMatrix) for (const flow of result.flows) lines.push(`    ${flowText(flow)}`);
  }
  return lines.join("\n");
}

export function jsonReport(results: TreeResult[]): string {
  return JSON.stringify({ results }, null, 2);
}

/**
 * Where a finding is, for code scanning: the file relative to the repository (forward slashes),
 * and the line and column of the offending field when the finding names one.
 */
function sarifLocation(finding: Finding, repoRoot: string, locator: (file: string) => PointerLocator | undefined) {
  const uri = relative(repoRoot, resolve(finding.file)).split(sep).join("/");
  const locate = finding.path !== undefined ? locator(finding.file) : undefined;
  const position = locate?.(finding.path!, finding.document);
  return { physicalLocation: { artifactLocation: { uri }, ...(position ? { region: { startLine: position.line, startColumn: position.col } } : {}) } };
}

export function sarifReport(results: TreeResult[], rules: readonly Rule[], repoRoot: string): string {
  const findings = results.flatMap((r) => r.findings);
  // One read and one parse per file for the whole report, however many findings it has.
  const locators = new Map<string, PointerLocator | undefined>();
  const locator = (file: string): PointerLocator | undefined => {
    if (!locators.has(file)) locators.set(file, existsSync(file) && statSync(file).isFile() ? pointerLocator(readFileSync(file, "utf8")) : undefined);
    return locators.get(file);
  };
  return JSON.stringify(
    {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "online-boutique-policies",
              informationUri: "https://github.com/example-org/online-boutique-gitops",
              rules: rules.map((rule) => ({
                id: rule.id,
                name: rule.id,
                shortDescription: { text: rule.title },
                help: { text: rule.fix },
                defaultConfiguration: { level: rule.severity === "error" ? "error" : "warning" },
                properties: { tags: [rule.theme] },
              })),
            },
          },
          results: findings.map((finding) => ({
            ruleId: finding.rule,
            level: finding.exemption !== undefined ? "note" : finding.severity === "error" ? "error" : "warning",
            message: { text: `${finding.object}${finding.path ? ` ${finding.path}` : ""}: ${finding.message}` },
            locations: [sarifLocation(finding, repoRoot, locator)],
            ...(finding.exemption !== undefined ? { suppressions: [{ kind: "inSource", justification: finding.exemption }] } : {}),
          })),
        },
      ],
    },
    null,
    2,
  );
}
