// Loads environments/<env>/settings.yaml: validates it against the settings schema, decides
// which workloads run (topology.ts) and refuses what contradicts the contract (consistency.ts).
// Every problem is reported as "file:line:column: /json/path: what was expected" so a user
// can fix the file without reading code.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { WorkloadName } from "../contract/index";
import { SettingsError } from "../errors";
import type { Settings } from "./schema";
import { contractProblems } from "./consistency";
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
  const text = readFileSync(file, "utf8");
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    const lines = document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0]);
      return `${shown}:${position.line}:${position.col}: YAML syntax: ${error.message.split("\n")[0]}`;
    });
    throw new SettingsError(lines.join("\n"));
  }
  const data: unknown = document.toJS();
  if (!validate(data)) {
    const located = (validate.errors ?? []).filter(isReportable).map((error) => locate(shown, document, lineCounter, error));
    throw new SettingsError([...new Set(located)].join("\n"));
  }
  const settings = data as Settings;
  const deployed = deployedWorkloads(settings);
  const problems = contractProblems(settings, deployed).map(({ path, message }) => `${shown}:${lineOf(document, lineCounter, path)}: /${path.join("/")}: ${message}`);
  if (problems.length > 0) throw new SettingsError(problems.join("\n"));
  return { name, file, settings, deployed };
}

// ajv reports a failed oneOf both for the branch and for the oneOf itself; the branch says more.
function isReportable(error: ErrorObject): boolean {
  return error.keyword !== "oneOf" && error.keyword !== "if";
}

function pathOf(error: ErrorObject): string[] {
  const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "additionalProperties") segments.push(String(error.params.additionalProperty));
  if (error.keyword === "propertyNames" && error.params.propertyName) segments.push(String(error.params.propertyName));
  return segments;
}

function locate(file: string, document: Document, lineCounter: LineCounter, error: ErrorObject): string {
  const path = pathOf(error);
  return `${file}:${lineOf(document, lineCounter, path)}: /${path.join("/")}: ${explain(error)}`;
}

function explain(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      return `unknown key "${String(p.additionalProperty)}"` + (allowed.length ? ` (expected one of: ${allowed.join(", ")})` : "");
    }
    case "propertyNames":
      return `unknown name "${String(p.propertyName)}"`;
    case "enum":
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(error.data)}`;
    case "required":
      return `missing key "${String(p.missingProperty)}"`;
    case "type":
      return `expected ${String(p.type).replace(",", " or ")}, got ${describe(error.data)}`;
    case "const":
      return `expected ${JSON.stringify(p.allowedValue)}, got ${JSON.stringify(error.data)}`;
    case "discriminator":
      return `expected "${String(p.tag)}" to be one of ${discriminatorValues(error)}, got ${JSON.stringify(p.tagValue)}`;
    case "pattern":
      return `expected a value matching ${String(p.pattern)}, got ${JSON.stringify(error.data)}`;
    default:
      return `expected a value that ${error.message ?? "matches the schema"}, got ${JSON.stringify(error.data)}`;
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
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** "line:column" of the deepest node of `path` that exists in the YAML document. */
function lineOf(document: Document, lineCounter: LineCounter, path: string[]): string {
  let node: unknown = document.contents;
  let offset = (document.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (!isMap(node) && !(node && typeof node === "object" && "items" in node)) break;
    const items = (node as { items: unknown[] }).items;
    const next = isMap(node)
      ? items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment)
      : items[Number(segment)];
    if (!next) break;
    if (isPair(next)) {
      offset = (next.key as Node | null)?.range?.[0] ?? offset;
      node = next.value;
    } else {
      offset = (next as Node).range?.[0] ?? offset;
      node = next;
    }
  }
  const position = lineCounter.linePos(offset);
  return `${position.line}:${position.col}`;
}
