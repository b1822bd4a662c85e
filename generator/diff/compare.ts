// What changed between two rendered trees of one environment, object by object and field by
// field: pure functions over parsed objects, so the CLI, the report and the tests share them.
import { diffArrays } from "diff";
import { identity, objectKey, podSpecOf } from "../../core/objects";
import { byCodeUnits } from "../../core/sort";
import type { Finding as PolicyFinding } from "../../policies/engine/types";
import type { Flow } from "../../policies/network/reachability";
import { requestedResources } from "../summary";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One field that differs; `before`/`after` are absent when the field is new or gone. */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface ObjectChange {
  /** "Kind namespace/name" (cluster-scoped objects: "Kind name"). */
  object: string;
  changes: FieldChange[];
}

export interface Totals {
  cpuMillicores: number;
  memoryBytes: number;
}

/** A policy finding as the diff reports it (no file: the two trees live in different places). */
export type Finding = Pick<PolicyFinding, "rule" | "severity" | "object" | "path" | "message">;
export type { Flow };

/** What one side of the comparison holds for an environment. */
export interface TreeFacts {
  objects: Json[];
  flows: Flow[];
  findings: Finding[];
}

export interface EnvironmentDiff {
  environment: string;
  added: string[];
  removed: string[];
  changed: ObjectChange[];
  requests: { before: Totals; after: Totals };
  replicas: FieldChange[];
  images: FieldChange[];
  flowsAdded: Flow[];
  flowsRemoved: Flow[];
  newFindings: Finding[];
}


const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** List items are matched by their `name` when every item on both sides has a distinct one (containers, env, ports), else by position. */
function namedItems(list: unknown[]): Map<string, Json> | undefined {
  const byName = new Map<string, Json>();
  for (const item of list) {
    if (!isObject(item) || typeof item.name !== "string" || byName.has(item.name)) return undefined;
    byName.set(item.name, item);
  }
  return byName;
}

/**
 * Items of a list without names, matched by a longest common subsequence (jsdiff): an item
 * inserted or dropped is one change, not a shift of every later index. Paths carry the index on
 * the side the item is on; a run of removed items followed by as many added ones is compared
 * item by item (a modified entry).
 */
function listChanges(before: unknown[], after: unknown[], path: string): FieldChange[] {
  const changes: FieldChange[] = [];
  const parts = diffArrays(before.map((item) => JSON.stringify(item)), after.map((item) => JSON.stringify(item)));
  let [i, j] = [0, 0];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    const count = part.count ?? part.value.length;
    if (!part.added && !part.removed) {
      [i, j] = [i + count, j + count];
    } else if (part.removed && parts[k + 1]?.added) {
      const next = parts[++k]!;
      const addedCount = next.count ?? next.value.length;
      const paired = Math.min(count, addedCount);
      for (let t = 0; t < paired; t++) changes.push(...fieldChanges(before[i + t], after[j + t], `${path}[${j + t}]`));
      for (let t = paired; t < count; t++) changes.push({ path: `${path}[${i + t}]`, before: before[i + t] });
      for (let t = paired; t < addedCount; t++) changes.push({ path: `${path}[${j + t}]`, after: after[j + t] });
      [i, j] = [i + count, j + addedCount];
    } else if (part.removed) {
      for (let t = 0; t < count; t++) changes.push({ path: `${path}[${i + t}]`, before: before[i + t] });
      i += count;
    } else {
      for (let t = 0; t < count; t++) changes.push({ path: `${path}[${j + t}]`, after: after[j + t] });
      j += count;
    }
  }
  return changes;
}

/** Every leaf-most field whose value differs, with a readable path (spec.template.spec.containers[name=server].image). */
export function fieldChanges(before: unknown, after: unknown, path = ""): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byCodeUnits);
    return keys.flatMap((key) => {
      const child = path === "" ? key : `${path}.${key}`;
      if (!(key in after)) return [{ path: child, before: before[key] }];
      if (!(key in before)) return [{ path: child, after: after[key] }];
      return fieldChanges(before[key], after[key], child);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const named = [namedItems(before), namedItems(after)];
    if (named[0] && named[1] && before.length > 0 && after.length > 0) {
      const [was, now] = named as [Map<string, Json>, Map<string, Json>];
      const names = [...new Set([...was.keys(), ...now.keys()])];
      return names.flatMap((name) => {
        const child = `${path}[name=${name}]`;
        if (!now.has(name)) return [{ path: child, before: was.get(name) }];
        if (!was.has(name)) return [{ path: child, after: now.get(name) }];
        return fieldChanges(was.get(name), now.get(name), child);
      });
    }
    return listChanges(before, after, path);
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

const replicaPaths = /^spec\.(replicas|minReplicas|maxReplicas)$/;
const workloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "HorizontalPodAutoscaler"]);

const flowKey = (flow: Flow) => `${flow.from} → ${flow.to}:${flow.port}/${flow.protocol}`;
const findingKey = (finding: Finding) => `${finding.rule}|${finding.object}|${finding.path ?? ""}|${finding.message}`;

/** The images of every container of a workload, by "Kind ns/name container". */
function images(objects: Json[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const object of objects) {
    const pod = podSpecOf(object);
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      if (typeof container?.image === "string") found.set(`${identity(object)} ${container.name}`, container.image);
    }
  }
  return found;
}

export function diffEnvironment(environment: string, before: TreeFacts, after: TreeFacts): EnvironmentDiff {
  const was = new Map(before.objects.map((object) => [objectKey(object), object]));
  const now = new Map(after.objects.map((object) => [objectKey(object), object]));
  const sortedNames = (objects: Json[]) => objects.map(identity).sort(byCodeUnits);
  const added = sortedNames([...now].filter(([key]) => !was.has(key)).map(([, object]) => object));
  const removed = sortedNames([...was].filter(([key]) => !now.has(key)).map(([, object]) => object));
  const changed: ObjectChange[] = [...now]
    .filter(([key]) => was.has(key))
    .map(([key, object]) => ({ object: identity(object), changes: fieldChanges(was.get(key), object) }))
    .filter((change) => change.changes.length > 0)
    .sort((a, b) => byCodeUnits(a.object, b.object));

  const replicas = changed.flatMap(({ object, changes }) => (workloadKinds.has(object.split(" ")[0]!) ? changes.filter((c) => replicaPaths.test(c.path)).map((c) => ({ ...c, path: `${object} ${c.path}` })) : []));
  const [imagesBefore, imagesAfter] = [images(before.objects), images(after.objects)];
  const imageChanges = [...new Set([...imagesBefore.keys(), ...imagesAfter.keys()])]
    .sort(byCodeUnits)
    .filter((key) => imagesBefore.get(key) !== imagesAfter.get(key))
    .map((key) => ({ path: key, ...(imagesBefore.has(key) ? { before: imagesBefore.get(key) } : {}), ...(imagesAfter.has(key) ? { after: imagesAfter.get(key) } : {}) }));

  const flowsBefore = new Set(before.flows.map(flowKey));
  const flowsAfter = new Set(after.flows.map(flowKey));
  const findingsBefore = new Set(before.findings.map(findingKey));
  return {
    environment,
    added,
    removed,
    changed,
    requests: { before: requestedResources(before.objects), after: requestedResources(after.objects) },
    replicas,
    images: imageChanges,
    flowsAdded: after.flows.filter((flow) => !flowsBefore.has(flowKey(flow))),
    flowsRemoved: before.flows.filter((flow) => !flowsAfter.has(flowKey(flow))),
    newFindings: after.findings.filter((finding) => !findingsBefore.has(findingKey(finding))),
  };
}

export function hasChanges(diff: EnvironmentDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length + diff.newFindings.length + diff.flowsAdded.length + diff.flowsRemoved.length > 0;
}
