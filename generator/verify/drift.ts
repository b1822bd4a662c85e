// What `npm run verify` compares, without the cluster: the fields Git sets against the live
// object, and the live objects of our namespaces against the objects Git has.
//
// Only the fields present in the Git object are compared, recursively (a label or annotation
// someone else added is not Git's business; a default the API server filled in neither). Lists
// are compared by index, and a live list longer than Git's reports its extra items. What the API
// server does to a value without changing it is not drift:
// - it drops zero values of fields without a pointer ("readOnly: false", "args: []", "{}");
// - it rewrites quantities ("1000m" is stored as "1", "0.5Gi" as "512Mi"): compared by value.
import { parseQuantity } from "../../core/quantity";
import type { KubeObject } from "./tree";

export type PathSegment = string | number;

export interface FieldDrift {
  path: string;
  /** The value in Git (undefined: Git has no item at this list index). */
  git: unknown;
  /** The live value (undefined: the field is not set in the cluster). */
  live: unknown;
}

type Json = Record<string, unknown>;

const isMap = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** Values the API server leaves out when a field without a pointer holds them. */
function isZero(value: unknown): boolean {
  if (value === null || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return isMap(value) && Object.keys(value).length === 0;
}

// Maps of quantities: resources.requests/limits, ResourceQuota's hard, PVC status capacity.
const quantityMaps = new Set(["requests", "limits", "hard", "capacity"]);

function isQuantityField(path: readonly PathSegment[]): boolean {
  const parent = path[path.length - 2];
  return (typeof parent === "string" && quantityMaps.has(parent)) || path[path.length - 1] === "sizeLimit";
}

function sameQuantity(git: unknown, live: unknown): boolean {
  if ((typeof git !== "string" && typeof git !== "number") || (typeof live !== "string" && typeof live !== "number")) return false;
  const a = parseQuantity(git);
  const b = parseQuantity(live);
  return Number.isFinite(a) && Math.abs(a - b) <= Math.abs(a) * 1e-9;
}

const plainKey = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** "spec.template.spec.containers[0].image", 'metadata.labels["app.kubernetes.io/name"]'. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (plainKey.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

function compare(git: unknown, live: unknown, path: PathSegment[], out: FieldDrift[]): void {
  if (isMap(git)) {
    if (!isMap(live)) {
      if (!(live === undefined && isZero(git))) out.push({ path: formatPath(path), git, live });
      return;
    }
    for (const key of Object.keys(git)) {
      // Git never sets status; what the cluster reports there is not part of the desired state.
      if (path.length === 0 && key === "status") continue;
      compare(git[key], live[key], [...path, key], out);
    }
    return;
  }
  if (Array.isArray(git)) {
    if (!Array.isArray(live)) {
      if (!(live === undefined && git.length === 0)) out.push({ path: formatPath(path), git, live });
      return;
    }
    for (let index = 0; index < Math.max(git.length, live.length); index++) compare(git[index], live[index], [...path, index], out);
    return;
  }
  if (git === live) return;
  if (live === undefined && isZero(git)) return;
  if (isQuantityField(path) && sameQuantity(git, live)) return;
  out.push({ path: formatPath(path), git, live });
}

/** The fields Git sets whose live value differs, in the order of the Git object. */
export function fieldDrift(git: KubeObject, live: Json): FieldDrift[] {
  const out: FieldDrift[] = [];
  compare(git, live, [], out);
  return out;
}

/** A live object as a metadata-only list gives it. */
export interface LiveEntry {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Set by a controller (a ReplicaSet's Pods, a CronJob's Jobs): not ours to have in Git. */
  owned: boolean;
}

function group(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "";
}

/** Group, kind, namespace and name: the same object whatever version it is read in. */
export function liveKey(entry: { apiVersion: string; kind: string; namespace?: string; name: string }): string {
  return `${group(entry.apiVersion)}|${entry.kind}|${entry.namespace ?? ""}|${entry.name}`;
}

export function gitKey(object: KubeObject): string {
  return liveKey({ apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
}

/** Objects Kubernetes itself puts in every namespace. */
function createdByKubernetes(entry: LiveEntry): boolean {
  return (entry.kind === "ServiceAccount" && entry.name === "default") || (entry.kind === "ConfigMap" && entry.name === "kube-root-ca.crt");
}

/**
 * The claims StatefulSets of Git create from their volumeClaimTemplates ("<template>-<set>-<ordinal>").
 * They carry no ownerReference unless the set asks for deletion with it, so they are told by name.
 */
function statefulSetClaims(git: readonly KubeObject[]): (entry: LiveEntry) => boolean {
  const patterns: { namespace: string | undefined; pattern: RegExp }[] = [];
  for (const object of git) {
    if (object.kind !== "StatefulSet") continue;
    const templates = ((object.spec as Json | undefined)?.volumeClaimTemplates ?? []) as { metadata?: { name?: string } }[];
    for (const template of templates) {
      const name = template.metadata?.name;
      if (name === undefined) continue;
      const escaped = `${name}-${object.metadata.name}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      patterns.push({ namespace: object.metadata.namespace, pattern: new RegExp(`^${escaped}-\\d+$`) });
    }
  }
  return (entry) => entry.kind === "PersistentVolumeClaim" && patterns.some((p) => p.namespace === entry.namespace && p.pattern.test(entry.name));
}

/** Kinds that only report what happens (Events) or mirror other objects (Endpoints): never in Git. */
export const reportingKinds: ReadonlySet<string> = new Set(["Event", "Endpoints", "EndpointSlice"]);

export interface NotInGit {
  /** Live objects in our namespaces that Git does not have and nothing owns. */
  objects: LiveEntry[];
  /** Secrets Git does not have: expected, they are created by hand (README "Secrets"). */
  secrets: LiveEntry[];
}

export function notInGit(live: readonly LiveEntry[], git: readonly KubeObject[]): NotInGit {
  const known = new Set(git.map(gitKey));
  const claimOfGit = statefulSetClaims(git);
  const objects: LiveEntry[] = [];
  const secrets: LiveEntry[] = [];
  for (const entry of live) {
    if (known.has(liveKey(entry)) || entry.owned || createdByKubernetes(entry) || reportingKinds.has(entry.kind) || claimOfGit(entry)) continue;
    (entry.kind === "Secret" && group(entry.apiVersion) === "" ? secrets : objects).push(entry);
  }
  return { objects, secrets };
}

/** An Argo CD hook (a PostSync Job): Argo CD creates it at sync time and deletes it by its policy. */
export function isArgoHook(object: KubeObject): boolean {
  return object.metadata.annotations?.["argocd.argoproj.io/hook"] !== undefined;
}
