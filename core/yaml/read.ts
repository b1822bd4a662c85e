// Reads the YAML this repository writes, fast. Policy runs read every rendered file; `yaml`'s
// general parser costs ~1 ms per file in a fresh process, most of a run. Files written by
// core/yaml/write.ts use a small block subset (maps, lists, plain or quoted one-line
// scalars, literal block scalars "|" and "|-" for scripts and dashboards, a leading comment);
// this reader accepts exactly that subset and answers undefined for anything else (anchors,
// flow collections, other block styles, tabs, comments elsewhere, numbers other than plain
// decimals, YAML 1.1 words ...), so callers fall back to `yaml`.
// Tests check it agrees with `yaml` on every rendered file and on mutated ones.
import { parse, parseAllDocuments } from "yaml";

const plainSafe = /^[A-Za-z_][A-Za-z0-9_./:=,@+-]*$/;
const yaml11Words = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;
const decimal = /^-?(0|[1-9][0-9]*)$/;
// yaml's YAML 1.1 float pattern also takes "e1" or "E-5" for numbers: leave those to it.
const exponentLike = /^[eE][-+]?[0-9]/;
// Other shapes that YAML 1.1 reads only as the string itself, common in manifests: quantities
// and durations ("100m", "64Mi", "10s"), paths ("/data"), flags ("-c", "--port=80"; not "-e1",
// a float to yaml) and prose (words, single spaces, no ":" or "#"). Resolving them here spares
// a yaml parse per token.
const stringOnlyShapes = [
  /^[1-9][0-9]*(?:m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi|ms|s|h|d)$/,
  /^\/[A-Za-z0-9_./=,@+-]*$/,
  /^(?:--|-(?![eE][-+]?[0-9]))[A-Za-z][A-Za-z0-9_./=,@+-]*$/,
  /^[A-Za-z][A-Za-z0-9_.,()/'+-]*(?: [A-Za-z0-9_.,()/'+-]+)+$/,
];
/** An identifier-like plain scalar (also what a key may be here). */
const isPlainString = (token: string) => plainSafe.test(token) && !yaml11Words.test(token) && !exponentLike.test(token) && !token.endsWith(":");
const readsAsItself = (token: string) => isPlainString(token) || stringOnlyShapes.some((shape) => shape.test(token));

class NotCanonical extends Error {}

interface Line {
  indent: number;
  text: string;
  /** The value of the literal block scalar this line opens ("key: |", "- |", "- key: |-"). */
  block?: string;
}

function scalar(token: string): unknown {
  if (token === "true") return true;
  if (token === "false") return false;
  if (token === "null") return null;
  if (token === "{}") return {};
  if (token === "[]") return [];
  if (decimal.test(token) && token.length < 16) return Number(token);
  if (readsAsItself(token)) return token;
  if (/^"[^"\\]*"$/.test(token)) return token.slice(1, -1);
  // A quoted token must close its own quote, or yaml would read on past the line.
  if (token.startsWith('"') && !/^"(?:[^"\\]|\\.)*"$/.test(token)) throw new NotCanonical();
  if (token.startsWith("'") && !/^'(?:[^']|'')*'$/.test(token)) throw new NotCanonical();
  // Anything else (addresses, hashes, escapes, YAML 1.1 forms): yaml resolves the lone scalar,
  // and only a scalar result is accepted.
  // Tokens starting with an indicator ("- ", "---", "&", "*", "!", "|", "[", ...) mean something else on their own.
  if (!/^([0-9A-Za-z_+/$]|\.(?!\.\.)|-(?!--)(?=\S)|")/.test(token)) throw new NotCanonical();
  return parsedByYaml(token);
}

// The same tokens ("127.0.0.1", image digests) recur across manifests: yaml resolves each once.
const resolved = new Map<string, unknown>();
const notScalar = Symbol("not a scalar");

function parsedByYaml(token: string): unknown {
  let value = resolved.get(token);
  if (value === undefined && !resolved.has(token)) {
    try {
      value = parse(token, { version: "1.1" });
    } catch {
      value = notScalar;
    }
    if (value !== null && typeof value === "object") value = notScalar;
    resolved.set(token, value);
  }
  if (value === notScalar) throw new NotCanonical();
  return value;
}

/** Splits "key: rest" (rest may be empty); the key is plain or double-quoted. */
function splitEntry(text: string): [string, string] {
  let key: string;
  let rest: string;
  if (text.startsWith('"')) {
    const end = text.indexOf('"', 1);
    if (end === -1 || text[end + 1] !== ":" || text.slice(0, end).includes("\\")) throw new NotCanonical();
    key = String(scalar(text.slice(0, end + 1)));
    rest = text.slice(end + 2);
  } else {
    const colon = text.indexOf(":");
    if (colon <= 0) throw new NotCanonical();
    key = text.slice(0, colon);
    if (!isPlainString(key)) throw new NotCanonical();
    rest = text.slice(colon + 1);
    if (rest !== "" && !rest.startsWith(" ")) throw new NotCanonical(); // "a:b" is a plain scalar, not an entry
  }
  if (rest !== "" && (!rest.startsWith(" ") || rest.startsWith("  "))) throw new NotCanonical();
  return [key, rest.slice(1)];
}

class Reader {
  private position = 0;
  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.position >= this.lines.length;
  }

  /** A block map whose entries sit at `indent`; `first` is an entry already cut from a "- " line. */
  map(indent: number, first?: Line): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    let pending = first;
    for (;;) {
      let line: Line;
      if (pending !== undefined) {
        line = pending;
        pending = undefined;
      } else {
        const next = this.lines[this.position];
        if (!next || next.indent < indent) break;
        if (next.indent > indent || next.text.startsWith("- ")) throw new NotCanonical();
        line = next;
        this.position++;
      }
      const [key, rest] = splitEntry(line.text);
      if (Object.hasOwn(result, key) || key === "__proto__") throw new NotCanonical();
      result[key] = rest === "" ? this.nested(indent) : (line.block ?? scalar(rest));
    }
    return result;
  }

  private nested(parentIndent: number): unknown {
    const line = this.lines[this.position];
    if (!line || line.indent !== parentIndent + 2) throw new NotCanonical();
    return line.text.startsWith("- ") ? this.list(line.indent) : this.map(line.indent);
  }

  private list(indent: number): unknown[] {
    const result: unknown[] = [];
    for (;;) {
      const line = this.lines[this.position];
      if (!line || line.indent < indent) break;
      if (line.indent > indent || !line.text.startsWith("- ")) throw new NotCanonical();
      this.position++;
      const item = line.text.slice(2);
      if (item.startsWith("- ") || item === "") throw new NotCanonical();
      const isEntry = /^("[^"]*"|[^"' ]+):( |$)/.test(item) && !item.startsWith("{") && !item.startsWith("[");
      result.push(isEntry ? this.map(indent + 2, { indent: indent + 2, text: item, block: line.block }) : (line.block ?? scalar(item)));
    }
    return result;
  }
}

// A line that opens a literal block scalar, and the indentation its content must have: "key: |"
// and "- |" at n hold lines at n + 2, "- key: |" at n holds them at n + 4. Only "|" (one final
// line break) and "|-" (none) are read here; "|+", ">", indentation indicators go to yaml.
const blockOpener = /^(- )?(?:(?:"[^"\\]*"|[^"' ]+): )?\|(-?)$/;

/**
 * The value of the block scalar whose lines start at raw[start], and the index after its last
 * line; undefined for any block not exactly as yaml writes a plain one (a first line indented
 * further, blank lines at the ends, lines of only spaces).
 */
function blockScalar(raw: string[], start: number, contentIndent: number, strip: boolean): { value: string; end: number } | undefined {
  const margin = " ".repeat(contentIndent);
  let end = start;
  while (end < raw.length && (raw[end] === "" || raw[end]!.startsWith(margin))) end++;
  const lines = raw.slice(start, end);
  if (lines.length === 0 || lines[0] === "" || lines.at(-1) === "" || lines[0]![contentIndent] === " ") return undefined;
  if (lines.some((line) => line !== "" && line.trim() === "")) return undefined;
  const value = lines.map((line) => line.slice(contentIndent)).join("\n");
  return { value: strip ? value : `${value}\n`, end };
}

/** The object a canonical single-document file holds, or undefined when `yaml` must read it. */
export function readCanonicalYaml(text: string): Record<string, unknown> | undefined {
  if (text.includes("\t") || text.includes("\r") || !text.endsWith("\n")) return undefined;
  const raw = text.slice(0, -1).split("\n");
  const lines: Line[] = [];
  for (let index = 0; index < raw.length; index++) {
    const content = raw[index]!;
    if (index === 0 && content.startsWith("#")) continue;
    // Only spaces indent (other white space is content to yaml).
    const indent = content.length - content.replace(/^ +/, "").length;
    const body = content.slice(indent);
    if (/^\s/.test(body)) return undefined;
    if (body === "" || body.startsWith("#") || body.includes(" #") || body.endsWith(" ") || indent % 2 !== 0 || body.startsWith("---") || body.startsWith("...")) return undefined;
    const opener = blockOpener.exec(body);
    if (opener === null) {
      lines.push({ indent, text: body });
      continue;
    }
    const contentIndent = indent + (opener[1] !== undefined && body !== "- |" && body !== "- |-" ? 4 : 2);
    const block = blockScalar(raw, index + 1, contentIndent, opener[2] === "-");
    if (block === undefined) return undefined;
    lines.push({ indent, text: body, block: block.value });
    index = block.end - 1;
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const reader = new Reader(lines);
    const result = reader.map(0);
    return reader.done() ? result : undefined;
  } catch (error) {
    if (error instanceof NotCanonical) return undefined;
    throw error;
  }
}

export interface ReadDocument {
  /** The document's value, or undefined for an empty document. */
  value?: unknown;
  error?: string;
}

/** Every document of a YAML file, read as Kubernetes (a YAML 1.1 reader) reads it. */
export function readYamlDocuments(text: string): ReadDocument[] {
  const fast = readCanonicalYaml(text);
  if (fast !== undefined) return [{ value: fast }];
  return parseAllDocuments(text, { version: "1.1" }).map((document) => {
    if (document.errors.length > 0) return { error: document.errors[0]!.message.split("\n")[0]! };
    try {
      return { value: document.toJS() ?? undefined };
    } catch (error) {
      return { error: (error as Error).message }; // e.g. too many alias uses
    }
  });
}
