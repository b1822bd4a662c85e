// Availability: the contract's minimum replicas, PDBs that allow an eviction, spreading,
// HPA targets without static replicas.
import { minimumReplicas, workloadNames } from "../../core/contract/index";
import { find, longRunningKinds, ofKind, podSpecOf, podSpecPath, podTemplateOf, replicasOf, selectorMatches, workloads } from "../engine/objects";
import type { Json, Manifest, Rule, Violation } from "../engine/types";

function multiReplica(manifests: Manifest[]): Manifest[] {
  return workloads(manifests).filter((m) => longRunningKinds.has(m.object.kind) && m.object.kind !== "DaemonSet" && replicasOf(manifests, m.object) > 1);
}

function budgetsFor(manifests: Manifest[], workload: Json): Manifest[] {
  const labels = podTemplateOf(workload)?.metadata?.labels ?? {};
  return ofKind(manifests, "PodDisruptionBudget").filter((m) => m.object.metadata?.namespace === workload.metadata?.namespace && selectorMatches(m.object.spec?.selector, labels));
}

/** How many pods of `replicas` the budget lets an eviction take down. */
function evictionsAllowed(budget: Json, replicas: number): number {
  const { maxUnavailable, minAvailable } = budget.spec ?? {};
  const resolve = (value: number | string) => (typeof value === "number" ? value : Math.ceil((parseFloat(value) / 100) * replicas));
  // Kubernetes rounds a maxUnavailable percentage up and a minAvailable percentage up.
  if (maxUnavailable !== undefined) return typeof maxUnavailable === "string" ? Math.ceil((parseFloat(maxUnavailable) / 100) * replicas) : maxUnavailable;
  if (minAvailable !== undefined) return replicas - resolve(minAvailable);
  return replicas; // a budget with neither field allows every eviction
}

export const availabilityRules: Rule[] = [
  {
    id: "AVL001",
    theme: "availability",
    severity: "error",
    title: "workloads run at least the contract's minimum replicas",
    fix: "Raise replicas (or the HPA's minReplicas) to the contract's minimum for the environment's availability level.",
    check: ({ manifests, environment, settings }) => {
      if (!settings) return []; // the level comes from the settings; POL001 reports their absence
      const level = settings.availability.level;
      return workloadNames.flatMap((name): Violation[] => {
        const minimum = minimumReplicas(level, name);
        if (minimum === undefined) return [];
        const workload = workloads(manifests).find((m) => m.object.metadata?.name === name && longRunningKinds.has(m.object.kind));
        if (!workload) return [{ manifest: { file: "(tree)" }, message: `${environment} (${settings.availability.level}) must run ${name} (at least ${minimum} replicas) but renders no such workload` }];
        const replicas = replicasOf(manifests, workload.object);
        return replicas < minimum! ? [{ manifest: workload, path: "/spec/replicas", message: `${name} runs ${replicas} replica(s); ${environment} (${settings.availability.level}) requires at least ${minimum}` }] : [];
      });
    },
  },
  {
    id: "AVL002",
    theme: "availability",
    severity: "error",
    title: "multi-replica workloads have a PodDisruptionBudget",
    fix: "Add a PodDisruptionBudget (maxUnavailable: 1) selecting the workload's pods.",
    check: ({ manifests }) =>
      multiReplica(manifests)
        .filter((m) => budgetsFor(manifests, m.object).length === 0)
        .map((manifest) => ({ manifest, message: `${manifest.object.metadata?.name} runs ${replicasOf(manifests, manifest.object)} replicas without a PodDisruptionBudget` })),
  },
  {
    id: "AVL003",
    theme: "availability",
    severity: "error",
    title: "PodDisruptionBudgets allow at least one eviction",
    fix: "Use maxUnavailable: 1 (or a minAvailable below the replica count) so nodes can be drained.",
    check: ({ manifests }) =>
      multiReplica(manifests).flatMap((manifest) =>
        budgetsFor(manifests, manifest.object)
          .filter((budget) => evictionsAllowed(budget.object, replicasOf(manifests, manifest.object)) < 1)
          .map((budget) => ({ manifest: budget, path: "/spec", message: `${budget.object.metadata?.name} allows no eviction of ${manifest.object.metadata?.name}'s ${replicasOf(manifests, manifest.object)} replicas: node drains would block` })),
      ),
  },
  {
    id: "AVL004",
    theme: "availability",
    severity: "error",
    title: "multi-replica workloads spread across nodes",
    fix: "Add a topologySpreadConstraint on kubernetes.io/hostname (or pod anti-affinity).",
    check: ({ manifests }) =>
      multiReplica(manifests)
        .filter((m) => {
          const pod = podSpecOf(m.object)!;
          const spread = ((pod.topologySpreadConstraints ?? []) as Json[]).some((c) => c.topologyKey === "kubernetes.io/hostname");
          const antiAffinity = [...(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: Json) => p.podAffinityTerm)].some(
            (term: Json) => term?.topologyKey === "kubernetes.io/hostname",
          );
          return !spread && !antiAffinity;
        })
        .map((manifest) => ({ manifest, path: "/spec/template/spec", message: `${manifest.object.metadata?.name}'s replicas may all land on one node` })),
  },
  {
    id: "AVL009",
    theme: "availability",
    severity: "error",
    title: "hard spreading ignores tainted nodes",
    fix: "Set nodeTaintsPolicy: Honor on every DoNotSchedule topologySpreadConstraint: tainted (control-plane, cordoned) nodes would otherwise count as domains, and a replica stays Pending on small clusters or during a drain.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) =>
        ((podSpecOf(manifest.object)?.topologySpreadConstraints ?? []) as Json[]).flatMap((constraint, index): Violation[] =>
          constraint.whenUnsatisfiable === "DoNotSchedule" && constraint.nodeTaintsPolicy !== "Honor" ? [{ manifest, path: `${podSpecPath(manifest.object)}/topologySpreadConstraints/${index}`, message: `${manifest.object.metadata?.name} spreads over ${constraint.topologyKey} counting tainted nodes` }] : [],
        ),
      ),
  },
  {
    id: "AVL005",
    theme: "availability",
    severity: "error",
    title: "HPA targets carry no static replica count",
    fix: "Remove spec.replicas from the HPA's target: Argo CD would reset what the autoscaler sets.",
    check: ({ manifests }) =>
      ofKind(manifests, "HorizontalPodAutoscaler").flatMap((hpa): Violation[] => {
        const target = hpa.object.spec?.scaleTargetRef ?? {};
        const workload = find(manifests, target.kind, hpa.object.metadata?.namespace, target.name);
        return workload && workload.object.spec?.replicas !== undefined ? [{ manifest: workload, path: "/spec/replicas", message: `${target.kind} ${target.name} sets replicas: ${workload.object.spec.replicas} but HPA ${hpa.object.metadata?.name} scales it` }] : [];
      }),
  },
  {
    id: "AVL006",
    theme: "availability",
    severity: "error",
    title: "HPA targets exist",
    fix: "Point scaleTargetRef at a rendered Deployment or StatefulSet.",
    check: ({ manifests }) =>
      ofKind(manifests, "HorizontalPodAutoscaler")
        .filter((hpa) => !find(manifests, hpa.object.spec?.scaleTargetRef?.kind, hpa.object.metadata?.namespace, hpa.object.spec?.scaleTargetRef?.name))
        .map((hpa) => ({ manifest: hpa, path: "/spec/scaleTargetRef", message: `scale target ${hpa.object.spec?.scaleTargetRef?.kind} ${hpa.object.spec?.scaleTargetRef?.name} does not exist` })),
  },
  {
    id: "AVL007",
    theme: "availability",
    severity: "error",
    title: "multi-replica Deployments roll, never recreate",
    fix: "Use strategy RollingUpdate (the default): Recreate stops every replica before starting the new ones.",
    check: ({ manifests }) =>
      multiReplica(manifests)
        .filter((m) => m.object.kind === "Deployment" && m.object.spec?.strategy?.type === "Recreate")
        .map((manifest) => ({ manifest, path: "/spec/strategy/type", message: `${manifest.object.metadata?.name} runs ${replicasOf(manifests, manifest.object)} replicas but replaces them all at once (Recreate)` })),
  },
  {
    id: "AVL008",
    theme: "availability",
    severity: "error",
    title: "pods get time to shut down",
    fix: "Remove terminationGracePeriodSeconds: 0 (or give the seconds the program needs to finish its work): with 0 it is killed without SIGTERM handling, mid-write.",
    check: ({ manifests }) =>
      workloads(manifests)
        .filter((m) => podSpecOf(m.object)?.terminationGracePeriodSeconds === 0)
        .map((manifest) => ({ manifest, path: `${podSpecPath(manifest.object)}/terminationGracePeriodSeconds`, message: `${manifest.object.metadata?.name}'s pods are killed at once, without a chance to finish in-flight work` })),
  },
];
