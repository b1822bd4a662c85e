// Storage: claim sizes equal the contract, storage class as the environment says.
import { bindsOnFirstRunAnnotation, volumeClaimSizes } from "../../core/contract/index";
import { parseBytes } from "../../core/quantity";
import { ofKind, podSpecOf, workloads } from "../engine/objects";
import type { Json, Manifest, Rule, Violation } from "../engine/types";

interface Claim {
  manifest: Manifest;
  path: string;
  name: string;
  spec: Json;
}

/** PersistentVolumeClaims and StatefulSet volumeClaimTemplates (sizes are per replica). */
function claims(manifests: Manifest[]): Claim[] {
  return [
    ...ofKind(manifests, "PersistentVolumeClaim").map((manifest) => ({ manifest, path: "/spec", name: manifest.object.metadata?.name, spec: manifest.object.spec ?? {} })),
    ...ofKind(manifests, "StatefulSet").flatMap((manifest) =>
      ((manifest.object.spec?.volumeClaimTemplates ?? []) as Json[]).map((template, index) => ({ manifest, path: `/spec/volumeClaimTemplates/${index}/spec`, name: template.metadata?.name, spec: template.spec ?? {} })),
    ),
  ];
}

export const storageRules: Rule[] = [
  {
    id: "STO001",
    theme: "storage",
    severity: "error",
    title: "volume claims have the contract's size",
    fix: "Request the size of the claim's workload record (core/contract/workloads.ts, volumeClaims), or change the record.",
    check: ({ manifests }) =>
      claims(manifests).flatMap((claim): Violation[] => {
        const expected = volumeClaimSizes[claim.name];
        const actual = claim.spec.resources?.requests?.storage;
        if (!expected) return [{ manifest: claim.manifest, path: claim.path, message: `claim ${claim.name} belongs to no workload record (core/contract/workloads.ts, volumeClaims)` }];
        return actual !== undefined && parseBytes(actual) === parseBytes(expected) ? [] : [{ manifest: claim.manifest, path: `${claim.path}/resources/requests/storage`, message: `claim ${claim.name} requests ${actual ?? "no storage"}, the contract says ${expected}` }];
      }),
  },
  {
    id: "STO002",
    theme: "storage",
    severity: "error",
    title: "volume claims use the environment's storage class",
    fix: "Set storageClassName as environments/<env>/settings.yaml (storage.storageClassName) says; omit it for the cluster default.",
    check: ({ manifests, settings }) => {
      if (!settings) return [];
      const expected = settings.storage.storageClassName ?? undefined;
      return claims(manifests)
        .filter((claim) => claim.spec.storageClassName !== expected)
        .map((claim) => ({ manifest: claim.manifest, path: `${claim.path}/storageClassName`, message: `claim ${claim.name} uses storage class ${claim.spec.storageClassName ?? "(cluster default)"}, the environment says ${expected ?? "(cluster default)"}` }));
    },
  },
  {
    id: "STO003",
    theme: "storage",
    severity: "error",
    title: "volume claim templates state apiVersion and kind",
    fix: "Write apiVersion: v1 and kind: PersistentVolumeClaim in each volumeClaimTemplate: without them Argo CD shows the StatefulSet OutOfSync for ever, which holds every later sync wave.",
    check: ({ manifests }) =>
      ofKind(manifests, "StatefulSet").flatMap((manifest) =>
        ((manifest.object.spec?.volumeClaimTemplates ?? []) as Json[]).flatMap((template, index): Violation[] =>
          template.apiVersion === "v1" && template.kind === "PersistentVolumeClaim" ? [] : [{ manifest, path: `/spec/volumeClaimTemplates/${index}`, message: `claim template ${template.metadata?.name} lacks apiVersion: v1 and kind: PersistentVolumeClaim` }],
        ),
      ),
  },
  {
    id: "STO004",
    theme: "storage",
    severity: "error",
    title: "a claim only run-to-completion pods mount is marked as binding on the first run",
    fix: `Annotate it ${bindsOnFirstRunAnnotation}: <Kind>/<name> (apps/lib/workload.ts does for CronJob and Job records), and only such claims: Argo CD (with generator/argocd-pvc-health.lua) then reports it Healthy while Pending instead of holding every later wave until the first run.`,
    check: ({ manifests }) => {
      const mountedBy = new Map<string, string[]>();
      for (const workload of workloads(manifests)) {
        for (const volume of (podSpecOf(workload.object)?.volumes ?? []) as Json[]) {
          const claim = volume.persistentVolumeClaim?.claimName;
          const key = `${workload.object.metadata?.namespace}/${claim}`;
          if (claim) mountedBy.set(key, [...(mountedBy.get(key) ?? []), workload.object.kind]);
        }
      }
      return ofKind(manifests, "PersistentVolumeClaim").flatMap((manifest): Violation[] => {
        const { name, namespace, annotations } = manifest.object.metadata ?? {};
        const kinds = mountedBy.get(`${namespace}/${name}`) ?? [];
        const runsToCompletion = kinds.length > 0 && kinds.every((kind) => kind === "CronJob" || kind === "Job");
        const marked = annotations?.[bindsOnFirstRunAnnotation] !== undefined;
        if (runsToCompletion && !marked) return [{ manifest, path: "/metadata/annotations", message: `claim ${name} is mounted only by a ${kinds[0]}: without ${bindsOnFirstRunAnnotation} a WaitForFirstConsumer claim holds the sync waves until the first run` }];
        if (!runsToCompletion && marked) return [{ manifest, path: `/metadata/annotations/${bindsOnFirstRunAnnotation.replace("/", "~1")}`, message: `claim ${name} is ${kinds.length === 0 ? "mounted by no workload" : `mounted by a ${kinds.find((kind) => kind !== "CronJob" && kind !== "Job")}`}: a Pending claim there is a real problem, not a first run to wait for` }];
        return [];
      });
    },
  },
];
