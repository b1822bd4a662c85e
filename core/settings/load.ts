// Loads environments/<env>/settings.yaml: validates it against the settings schema, decides
// which workloads run (topology.ts) and refuses what contradicts the contract (consistency.ts).
// Every problem is reported as "file:line:column: /json/path: what was expected" so a user
// can fix the file without reading code.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { LineCounter, parseDocument, type Document } from "yaml";
import { positionOf } from "../yaml/locate";
import type { WorkloadName } from "../contract/index";
import { SettingsError } from "../errors";
import type { Settings } from "./schema";
import { contractProblems } from "./consistency";
import { formatProblems } from "./formats";
import { deployedWorkloads } from "./topology";
import compiledValidator from "./validator";

export const settingsFileName = "settings.yaml";
const environmentNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface Environment {
  name: string;
  file: string;
  settings: Settings;
  /** The contract's workloads this environment runs (decided once, from the settings). */
  deployed: readonly WorkloadName[];
}

const validate = compiledValidator as ValidateFunction;

/** Names of the environments: every folder of environments/ (loadEnvironment reports one without settings). */
export function listEnvironments(environmentsDir: string): string[] {
  if (!existsSync(environmentsDir)) throw new SettingsError(`${environmentsDir}: no environments folder`);
  return readdirSync(environmentsDir)
    .filter((entry) => statSync(join(environmentsDir, entry)).isDirectory())
    .sort();
}

/** Every named environment; the problems of all their files are reported together. */
export function loadEnvironments(environmentsDir: string, names: readonly string[], cwd = process.cwd()): Environment[] {
  const environments: Environment[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      environments.push(loadEnvironment(environmentsDir, name, cwd));
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new SettingsError(problems.join("\n"));
  return environments;
}

export function loadEnvironment(environmentsDir: string, name: string, cwd = process.cwd()): Environment {
  const file = join(environmentsDir, name, settingsFileName);
  const shown = relative(cwd, file) || file;
  if (!environmentNamePattern.test(name) || name.length > 40) {
    throw new SettingsError(`${relative(cwd, join(environmentsDir, name))}: environment folder names must be lower-case DNS labels (a-z, 0-9, '-'), at most 40 characters`);
  }
  if (!existsSync(file)) throw new SettingsError(`${shown}: missing; every environment folder needs a ${settingsFileName}`);
  const text = readSettingsText(file, shown, cwd);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  // Unknown tags (!custom, !!js/function) are only warnings to yaml; settings are plain data.
  const yamlProblems = [...document.errors.map((error) => ({ error, what: "YAML syntax" })), ...document.warnings.map((error) => ({ error, what: "YAML" }))];
  if (yamlProblems.length > 0) {
    const lines = yamlProblems.map(({ error, what }) => {
      const position = lineCounter.linePos(error.pos[0]);
      const message = error.code === "TAG_RESOLVE_FAILED" ? `${error.message.split(" at line")[0]}: settings take plain YAML values, no custom tags` : error.message.split("\n")[0];
      return `${shown}:${position.line}:${position.col}: ${what}: ${message}`;
    });
    throw new SettingsError(lines.join("\n"));
  }
  const data = toData(document, shown);
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    const located = errors.filter(isReportable).map((error) => locate(shown, document, lineCounter, error, errors));
    throw new SettingsError([...new Set(located)].join("\n"));
  }
  const settings = data as Settings;
  const deployed = deployedWorkloads(settings);
  const problems = [...formatProblems(settings), ...contractProblems(settings, deployed)].map(({ path, message }) => `${shown}:${lineOf(document, lineCounter, path)}: /${path.join("/")}: ${message}`);
  if (problems.length > 0) throw new SettingsError(problems.join("\n"));
  return { name, file, settings, deployed };
}

/** Settings files are small hand-written YAML; anything else is refused before it is parsed. */
const maxSettingsBytes = 1024 * 1024;

/** The file's text, if it is a regular UTF-8 file of sane size inside the repository. Its content is never echoed. */
function readSettingsText(file: string, shown: string, repoRoot: string): string {
  // Where the file really is: the file or any folder on its way (environments/<env>) may be a link.
  const fromRoot = relative(realpathSync(repoRoot), realpathSync(file));
  if (fromRoot.startsWith("..") || isAbsolute(fromRoot)) throw new SettingsError(`${shown}: a symbolic link to a file outside the repository; settings must live in it`);
  const stats = statSync(file);
  if (!stats.isFile()) throw new SettingsError(`${shown}: ${stats.isDirectory() ? "a directory" : "not a regular file"}; expected the environment's settings as a YAML file`);
  if (stats.size > maxSettingsBytes) throw new SettingsError(`${shown}: ${(stats.size / 2 ** 20).toFixed(1)} MiB; a settings file is at most 1 MiB`);
  const bytes = readFileSync(file);
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0);
  if (utf16) throw new SettingsError(`${shown}: not UTF-8 text (UTF-16, by its byte-order mark or NUL bytes); save it as UTF-8`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SettingsError(`${shown}: not valid UTF-8 text; save it as UTF-8`);
  }
}

/** The document as plain data; a document that expands aliases without end (a "billion laughs") is refused. */
function toData(document: Document, shown: string): unknown {
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new SettingsError(`${shown}: YAML: ${(error as Error).message}; settings need no more than a few aliases`);
  }
}

// ajv reports a failed oneOf both for the branch and for the oneOf itself; the branch says more.
// An invalid key is reported by its propertyNames error (at the key), not by the inner one.
function isReportable(error: ErrorObject): boolean {
  return error.keyword !== "oneOf" && error.keyword !== "if" && (error as { propertyName?: string }).propertyName === undefined;
}

function pathOf(error: ErrorObject): string[] {
  const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "additionalProperties") segments.push(String(error.params.additionalProperty));
  if (error.keyword === "propertyNames" && error.params.propertyName) segments.push(String(error.params.propertyName));
  return segments;
}

function locate(file: string, document: Document, lineCounter: LineCounter, error: ErrorObject, all: ErrorObject[]): string {
  const path = pathOf(error);
  return `${file}:${lineOf(document, lineCounter, path)}: /${path.join("/")}: ${explain(error, all)}`;
}

function explain(error: ErrorObject, all: ErrorObject[]): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      return `unknown key "${String(p.additionalProperty)}"` + (allowed.length ? ` (expected one of: ${allowed.join(", ")})` : "");
    }
    case "propertyNames": {
      // A key that must match a pattern is explained by the pattern's meaning; one from a list is unknown.
      const inner = all.find((other) => (other as { propertyName?: string }).propertyName === p.propertyName && other.keyword === "pattern");
      const meaning = (inner?.parentSchema as { patternMeaning?: string } | undefined)?.patternMeaning;
      return meaning ? `expected ${meaning}, got ${shortJson(p.propertyName)}` : `unknown name "${String(p.propertyName)}"`;
    }
    case "enum":
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${shortJson(error.data)}`;
    case "required":
      return `missing key "${String(p.missingProperty)}"`;
    case "type":
      return `expected ${String(p.type).replace(",", " or ")}, got ${describe(error.data)}`;
    case "const":
      return `expected ${JSON.stringify(p.allowedValue)}, got ${shortJson(error.data)}`;
    case "discriminator":
      return `expected "${String(p.tag)}" to be one of ${discriminatorValues(error)}, got ${JSON.stringify(p.tagValue)}`;
    case "pattern": {
      const meaning = (error.parentSchema as { patternMeaning?: string } | undefined)?.patternMeaning;
      return `expected ${meaning ?? `a value matching ${String(p.pattern)}`}, got ${shortJson(error.data)}`;
    }
    default:
      return `expected a value that ${error.message ?? "matches the schema"}, got ${shortJson(error.data)}`;
  }
}

function discriminatorValues(error: ErrorObject): string {
  const branches = ((error.parentSchema?.oneOf as { properties: { type: { const: string } } }[] | undefined) ?? []);
  return branches.map((b) => JSON.stringify(b.properties.type.const)).join(", ");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${shortJson(value)}`;
}

/** A value as JSON, cut short: an error message names the value, it does not reprint a file. */
function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** "line:column" of the deepest node of `path` that exists in the YAML document. */
function lineOf(document: Document, lineCounter: LineCounter, path: string[]): string {
  const position = positionOf(document, lineCounter, path);
  return `${position.line}:${position.col}`;
}
