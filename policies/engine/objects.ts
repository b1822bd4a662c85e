// Helpers every rule uses to look at manifests: identities, pod specs and containers,
// label selectors.
import type { Json, Manifest } from "./types";

export { identity, podSpecOf, podTemplateOf } from "../../core/objects";
import { podSpecOf, podTemplateOf } from "../../core/objects";

const workloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod"]);
/** Workloads that run until stopped: they need probes, PDBs, spreading. */
export const longRunningKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"]);

/** Pod template's JSON pointer prefix, for findings that point at a field. */
export function podSpecPath(object: Json): string {
  if (object.kind === "Pod") return "/spec";
  if (object.kind === "CronJob") return "/spec/jobTemplate/spec/template/spec";
  return "/spec/template/spec";
}

interface ContainerRef {
  container: Json;
  path: string;
  init: boolean;
}

export function containersOf(object: Json): ContainerRef[] {
  const spec = podSpecOf(object);
  if (!spec) return [];
  const base = podSpecPath(object);
  return [
    ...((spec.initContainers ?? []) as Json[]).map((container, i) => ({ container, path: `${base}/initContainers/${i}`, init: true })),
    ...((spec.containers ?? []) as Json[]).map((container, i) => ({ container, path: `${base}/containers/${i}`, init: false })),
  ];
}

export function workloads(manifests: Manifest[]): Manifest[] {
  return manifests.filter((m) => workloadKinds.has(m.object.kind) && podSpecOf(m.object));
}

export function ofKind(manifests: Manifest[], ...kinds: string[]): Manifest[] {
  return manifests.filter((m) => kinds.includes(m.object.kind));
}

export function find(manifests: Manifest[], kind: string, namespace: string | undefined, name: string): Manifest | undefined {
  return manifests.find((m) => m.object.kind === kind && m.object.metadata?.name === name && (namespace === undefined || m.object.metadata?.namespace === namespace));
}

/** Kubernetes label selector semantics: matchLabels and every matchExpressions entry; {} matches all. */
export function selectorMatches(selector: Json | undefined | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of (selector.matchExpressions ?? []) as Json[]) {
    const present = Object.hasOwn(labels, expression.key);
    const values: string[] = expression.values ?? [];
    const ok =
      expression.operator === "In" ? present && values.includes(labels[expression.key]!)
      : expression.operator === "NotIn" ? !present || !values.includes(labels[expression.key]!)
      : expression.operator === "Exists" ? present
      : expression.operator === "DoesNotExist" ? !present
      : false;
    if (!ok) return false;
  }
  return true;
}

/**
 * The label sets a workload's pods carry: the template's, and for StatefulSet pods also the
 * labels the controller adds to each (pod-index, pod-name), so a Service may select one ordinal.
 */
export function podLabelSets(manifests: Manifest[], workload: Json): Record<string, string>[] {
  const labels: Record<string, string> = podTemplateOf(workload)?.metadata?.labels ?? {};
  if (workload.kind !== "StatefulSet") return [labels];
  return Array.from({ length: replicasOf(manifests, workload) }, (_, ordinal) => ({
    ...labels,
    "apps.kubernetes.io/pod-index": String(ordinal),
    "statefulset.kubernetes.io/pod-name": `${workload.metadata?.name}-${ordinal}`,
  }));
}

/** Workloads of a namespace whose pods (any of their label sets) a selector test matches. */
export function podsSelectedBy(manifests: Manifest[], namespace: string | undefined, matches: (labels: Record<string, string>) => boolean): Manifest[] {
  return workloads(manifests).filter((m) => m.object.metadata?.namespace === namespace && podLabelSets(manifests, m.object).some(matches));
}

/** A Service-style selector (a plain map): every pair must match. An empty map selects nothing. */
export function mapSelects(selector: Record<string, string> | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Replicas a workload runs: spec.replicas, else the minimum of the HPA that targets it, else 1. */
export function replicasOf(manifests: Manifest[], workload: Json): number {
  if (workload.kind === "DaemonSet") return 1;
  if (typeof workload.spec?.replicas === "number") return workload.spec.replicas;
  const hpa = manifests.find(
    (m) => m.object.kind === "HorizontalPodAutoscaler" && m.object.metadata?.namespace === workload.metadata?.namespace && m.object.spec?.scaleTargetRef?.kind === workload.kind && m.object.spec?.scaleTargetRef?.name === workload.metadata?.name,
  );
  return hpa ? (hpa.object.spec.minReplicas ?? 1) : 1;
}
