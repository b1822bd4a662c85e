// Stable YAML for reviewers: keys in a canonical order that does not depend on how the code
// built the object, strings quoted wherever a YAML 1.1 reader (Kubernetes, Argo CD) could take
// them for something else ("yes", "on", "0755"), no line folding, no timestamps.
import { stringify } from "yaml";

/** Keys that lead wherever they appear; everything else follows alphabetically. */
const leadingKeys = ["apiVersion", "kind", "metadata", "name", "namespace"];
const leadingRank = new Map(leadingKeys.map((key, index) => [key, index]));

function compareKeys(a: string, b: string): number {
  const rankA = leadingRank.get(a) ?? leadingKeys.length;
  const rankB = leadingRank.get(b) ?? leadingKeys.length;
  if (rankA !== rankB) return rankA - rankB;
  return a < b ? -1 : a > b ? 1 : 0; // code-unit order: locale-independent
}

export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== "object" || value === null) return value;
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort(compareKeys)) {
    if (source[key] !== undefined) sorted[key] = canonical(source[key]);
  }
  return sorted;
}

export function toYaml(object: unknown, header: string): string {
  const body = stringify(canonical(object), { version: "1.1", lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false });
  return `${header}\n${body}`;
}
