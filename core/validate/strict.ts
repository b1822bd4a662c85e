// The strict pass kubernetes-models' validate() leaves out: unknown fields anywhere in an
// object (a typo like `replica:` passes its schema), DNS names, port numbers and ranges, label
// syntax, and namespaced vs cluster-scoped metadata. Field knowledge comes from
// field-catalog.json, built from the same kubernetes-models type declarations.
import catalogData from "./field-catalog.json";
import type { FieldCatalog } from "./field-catalog-build";
import { isClusterScoped } from "./scope";
import { sortedBy } from "../sort";

// The render bundle embeds the catalog as a JSON string (generator/build.mjs: faster to parse
// than a 600 kB object literal); tests and tsx import it as an object.
const catalog: FieldCatalog = typeof catalogData === "string" ? JSON.parse(catalogData) : (catalogData as FieldCatalog);

export interface Problem {
  /** JSON pointer into the object, e.g. /spec/template/spec/containers/0/name */
  path: string;
  message: string;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ianaServiceName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Fields holding a port number; a named port (string) is checked where it is declared. */
const portFields = new Set(["containerPort", "hostPort", "port", "targetPort", "nodePort"]);

/** Kinds whose names end up in DNS as labels (Services need RFC 1035: start with a letter). */
const labelNamedKinds: Record<string, RegExp> = { Service: dns1035Label, Namespace: dns1123Label };

export function strictProblems(object: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const { apiVersion, kind } = object;
  const typeKey = typeof apiVersion === "string" && typeof kind === "string" ? catalog.kinds[`${apiVersion}/${kind}`] : undefined;
  if (!typeKey) {
    problems.push({ path: "", message: `unknown kind ${String(kind)} in ${String(apiVersion)}: no schema to check it against` });
    return problems;
  }
  walk(object, typeKey, [], problems);
  checkMetadata(object, String(kind), String(apiVersion), problems);
  return byPath(problems);
}

/** Problems ordered by where they are, whatever order the object's keys were set in. */
export function byPath(problems: Problem[]): Problem[] {
  return sortedBy(problems, (problem) => problem.path);
}

/**
 * The JSON pointer of a place in the walk. The walk keeps the keys on a stack and joins them only
 * for a problem: most fields have none, and building every field's path cost more than the check.
 */
function pointer(keys: readonly (string | number)[]): string {
  return keys.map((key) => `/${typeof key === "number" ? key : escape(key)}`).join("");
}

function walk(value: unknown, type: string, keys: (string | number)[], problems: Problem[]): void {
  if (value === null || value === undefined || type === "any") return;
  if (type.startsWith("[]")) {
    if (!Array.isArray(value)) return void problems.push({ path: pointer(keys), message: `expected a list, got ${describe(value)}` });
    const itemType = type.slice(2);
    for (let index = 0; index < value.length; index++) {
      keys.push(index);
      walk(value[index], itemType, keys, problems);
      keys.pop();
    }
    return;
  }
  if (type.startsWith("{}")) {
    if (!isPlainObject(value)) return void problems.push({ path: pointer(keys), message: `expected a mapping, got ${describe(value)}` });
    const itemType = type.slice(2);
    for (const key of Object.keys(value)) {
      keys.push(key);
      walk(value[key], itemType, keys, problems);
      keys.pop();
    }
    return;
  }
  if (type === "string" || type === "number" || type === "boolean" || type === "scalar") {
    if (type !== "scalar" && typeof value !== type) problems.push({ path: pointer(keys), message: `expected a ${type}, got ${describe(value)}` });
    if (type === "scalar" && typeof value === "object") problems.push({ path: pointer(keys), message: `expected a string or number, got ${describe(value)}` });
    return;
  }
  const fields = catalog.types[type];
  if (!fields) return;
  if (!isPlainObject(value)) return void problems.push({ path: pointer(keys), message: `expected a mapping, got ${describe(value)}` });
  for (const key of Object.keys(value)) {
    const item = value[key];
    const fieldType = fields[key] ?? fields["*"];
    keys.push(key);
    if (fieldType === undefined) {
      problems.push({ path: pointer(keys), message: `unknown field "${key}"${suggestion(key, Object.keys(fields))}` });
    } else {
      if (portFields.has(key) && typeof item === "number") checkPort(item, keys, problems);
      walk(item, fieldType, keys, problems);
    }
    keys.pop();
  }
  checkNames(value, type, keys, problems);
}

function checkPort(port: number, keys: readonly (string | number)[], problems: Problem[]): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push({ path: pointer(keys), message: `expected a port number 1-65535, got ${port}` });
}

/** Names inside specs that Kubernetes validates as DNS labels or IANA service names. */
function checkNames(value: Record<string, unknown>, type: string, keys: readonly (string | number)[], problems: Problem[]): void {
  const name = value.name;
  if (typeof name !== "string") return;
  const problem = nameProblem(name, type);
  if (problem) problems.push({ path: `${pointer(keys)}/name`, message: problem });
}

function nameProblem(name: string, type: string): string | undefined {
  if (type === "v1/Container" || type === "v1/EphemeralContainer") {
    if (!dns1123Label.test(name) || name.length > 63) return `container name "${name}" is not a DNS-1123 label (lower-case a-z, 0-9, '-', at most 63)`;
  } else if (type === "v1/ContainerPort") {
    if (!ianaServiceName.test(name) || name.length > 15 || !/[a-z]/.test(name) || name.includes("--")) return `port name "${name}" is not an IANA service name (at most 15 of a-z, 0-9, '-', one letter at least)`;
  } else if (type === "v1/ServicePort") {
    if (!dns1123Label.test(name) || name.length > 63) return `Service port name "${name}" is not a DNS-1123 label`;
  }
  return undefined;
}

function checkMetadata(object: Record<string, unknown>, kind: string, apiVersion: string, problems: Problem[]): void {
  const metadata = object.metadata;
  if (!isPlainObject(metadata)) return void problems.push({ path: "/metadata", message: "missing metadata" });
  const { name, namespace, labels } = metadata;
  if (typeof name !== "string") {
    problems.push({ path: "/metadata/name", message: "missing name" });
  } else {
    const pattern = labelNamedKinds[kind] ?? dns1123Subdomain;
    const limit = labelNamedKinds[kind] ? 63 : 253;
    if (!pattern.test(name) || name.length > limit) {
      problems.push({ path: "/metadata/name", message: `name "${name}" is not a valid ${kind} name (${labelNamedKinds[kind] ? "DNS label" : "DNS-1123 subdomain"}: lower-case a-z, 0-9, '-'${labelNamedKinds[kind] ? "" : ", '.'"}, at most ${limit})` });
    }
  }
  const clusterScoped = isClusterScoped(apiVersion, kind);
  if (clusterScoped && namespace !== undefined) problems.push({ path: "/metadata/namespace", message: `${kind} is cluster-scoped and takes no namespace` });
  if (!clusterScoped && namespace === undefined) problems.push({ path: "/metadata/namespace", message: `${kind} is namespaced: set metadata.namespace explicitly` });
  if (typeof namespace === "string" && (!dns1123Label.test(namespace) || namespace.length > 63)) {
    problems.push({ path: "/metadata/namespace", message: `namespace "${namespace}" is not a DNS-1123 label` });
  }
  if (isPlainObject(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      if (!isLabelKey(key)) problems.push({ path: `/metadata/labels/${escape(key)}`, message: `label key "${key}" is not a qualified name` });
      if (typeof value !== "string" || value.length > 63 || !labelValue.test(value)) {
        problems.push({ path: `/metadata/labels/${escape(key)}`, message: `label value ${JSON.stringify(value)} is not valid (at most 63 of A-Z, a-z, 0-9, '-', '_', '.', alphanumeric at both ends)` });
      }
    }
  }
}

function isLabelKey(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !dns1123Subdomain.test(prefix))) return false;
  return name.length <= 63 && labelNamePart.test(name);
}

function suggestion(key: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function escape(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
