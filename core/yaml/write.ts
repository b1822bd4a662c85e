// Stable YAML for reviewers: keys in a canonical order that does not depend on how the code
// built the object, strings quoted wherever a YAML 1.1 reader (Kubernetes, Argo CD) could take
// them for something else ("yes", "on", "0755"), no line folding, no timestamps.
//
// The output is exactly what `yaml`'s stringify() gives (tests compare every rendered object
// byte for byte). Most manifests are maps, lists and plain one-line strings; those are written by
// a small block emitter below, because yaml's general-purpose stringify() costs ~0.5 ms per
// object in a fresh process (half of a render; see `npm run bench`). Every scalar that is not
// trivially plain is still formatted by yaml (a multi-line string too: yaml picks its block
// style, the emitter only moves it to its indentation), and an object holding anything the
// emitter does not handle (nested lists, floats) goes to yaml whole.
import { stringify, type ToStringOptions, type CreateNodeOptions, type DocumentOptions, type SchemaOptions } from "yaml";
import { byCodeUnits } from "../sort";

type StringifyOptions = DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions;
export const yamlOptions: StringifyOptions = { version: "1.1", lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false };

/** Keys that lead wherever they appear; everything else follows alphabetically. */
const leadingKeys = ["apiVersion", "kind", "metadata", "name", "namespace"];
const leadingRank = new Map(leadingKeys.map((key, index) => [key, index]));

function compareKeys(a: string, b: string): number {
  const rankA = leadingRank.get(a) ?? leadingKeys.length;
  const rankB = leadingRank.get(b) ?? leadingKeys.length;
  if (rankA !== rankB) return rankA - rankB;
  return byCodeUnits(a, b);
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
  return orderedToYaml(canonical(object), header);
}

/** toYaml for a value canonical() has already ordered (the render orders each object once and keeps it). */
export function orderedToYaml(ordered: unknown, header: string): string {
  return `${header}\n${emitDocument(ordered) ?? stringify(ordered, yamlOptions)}`;
}

// Plain (unquoted) in YAML 1.1 and 1.2 alike: starts with a letter or "_", no spaces or
// indicators, not a boolean or null word of YAML 1.1, not ending in ":".
const plainSafe = /^[A-Za-z_][A-Za-z0-9_./:=,@+-]*$/;
const yaml11Words = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

class Unsupported extends Error {}

// The same few strings ("100m", "8080", "10s") recur in every manifest: format each once.
const formatted = new Map<string, string>();
function formattedByYaml(value: string): string {
  let text = formatted.get(value);
  if (text === undefined) {
    text = stringify(value, yamlOptions).slice(0, -1);
    formatted.set(value, text);
  }
  return text;
}

/**
 * A multi-line string as yaml writes it for a map value ("|-" and its lines, or a quoted form),
 * its lines moved to `contentIndent`. yaml writes block lines relative to their parent, so only
 * the indentation depends on where the string sits.
 */
function multiLine(value: string, contentIndent: string): string {
  const [header, ...lines] = stringify({ k: value }, yamlOptions).slice("k: ".length, -1).split("\n");
  return [header, ...lines.map((line) => (line === "" ? line : `${contentIndent}${line.slice(2)}`))].join("\n");
}

/** A scalar's text; `contentIndent` is where the lines of a multi-line string go. */
function scalar(value: unknown, contentIndent?: string): string {
  if (typeof value === "string") {
    if (plainSafe.test(value) && !yaml11Words.test(value) && !value.endsWith(":")) return value;
    if (value.includes("\n")) {
      if (contentIndent === undefined) throw new Unsupported();
      return multiLine(value, contentIndent);
    }
    return formattedByYaml(value);
  }
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) return "null";
  throw new Unsupported();
}

function isCollection(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function emitMap(map: Record<string, unknown>, indent: string, out: string[], firstLinePrefix?: string): void {
  let first = true;
  for (const [key, value] of Object.entries(map)) {
    const prefix = first && firstLinePrefix !== undefined ? firstLinePrefix : indent;
    first = false;
    const renderedKey = scalar(key);
    if (isCollection(value) && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0)) {
      out.push(`${prefix}${renderedKey}:\n`);
      if (Array.isArray(value)) emitList(value, `${indent}  `, out);
      else emitMap(value as Record<string, unknown>, `${indent}  `, out);
    } else {
      out.push(`${prefix}${renderedKey}: ${isCollection(value) ? (Array.isArray(value) ? "[]" : "{}") : scalar(value, `${indent}  `)}\n`);
    }
  }
}

function emitList(list: unknown[], indent: string, out: string[]): void {
  for (const item of list) {
    if (Array.isArray(item)) throw new Unsupported();
    if (isCollection(item) && Object.keys(item).length > 0) emitMap(item as Record<string, unknown>, `${indent}  `, out, `${indent}- `);
    else out.push(`${indent}- ${isCollection(item) ? "{}" : scalar(item, `${indent}  `)}\n`);
  }
}

/** The document as yaml's stringify() would write it, or undefined when it holds something only yaml handles. */
export function emitDocument(root: unknown): string | undefined {
  if (!isCollection(root) || Array.isArray(root)) return undefined;
  const out: string[] = [];
  try {
    emitMap(root as Record<string, unknown>, "", out);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  return out.join("");
}
