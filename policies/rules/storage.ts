// Storage: claim sizes equal the contract, storage class as the environment says.
import { volumeClaimSizes } from "../../core/contract/index";
import { parseBytes } from "../../core/quantity";
import { ofKind } from "../engine/objects";
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
];
