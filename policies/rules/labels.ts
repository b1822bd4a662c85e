// Labels tools and people rely on to find what belongs to what.
import { podTemplateOf, workloads } from "../engine/objects";
import type { Rule } from "../engine/types";

const standardLabels = ["app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/component", "app.kubernetes.io/managed-by"];

export const labelRules: Rule[] = [
  {
    id: "LBL001",
    theme: "labels",
    severity: "warning",
    title: "objects carry the standard app.kubernetes.io labels",
    fix: "Render through the generator, which adds app.kubernetes.io/name, part-of, component and managed-by.",
    check: ({ manifests }) =>
      manifests.flatMap((manifest) => {
        const missing = standardLabels.filter((label) => manifest.object.metadata?.labels?.[label] === undefined);
        return missing.length > 0 ? [{ manifest, path: "/metadata/labels", message: `missing ${missing.join(", ")}` }] : [];
      }),
  },
  {
    id: "LBL002",
    theme: "labels",
    severity: "warning",
    title: "pod templates carry the standard labels",
    fix: "Label the pod template like its workload, so metrics and logs can be grouped by app.",
    check: ({ manifests }) =>
      workloads(manifests).flatMap((manifest) => {
        const labels = podTemplateOf(manifest.object)?.metadata?.labels ?? {};
        const missing = standardLabels.filter((label) => labels[label] === undefined);
        return missing.length > 0 ? [{ manifest, path: "/spec/template/metadata/labels", message: `pod template misses ${missing.join(", ")}` }] : [];
      }),
  },
];
