// Argo CD fences: AppProjects allow only what the tree renders.
import { apiGroupOf, isClusterScoped } from "../../core/validate/scope";
import { ofKind } from "../engine/objects";
import type { Json, Rule, Violation } from "../engine/types";

export const argocdRules: Rule[] = [
  {
    id: "ARG001",
    theme: "referential",
    severity: "error",
    title: "AppProjects allow exactly the cluster-scoped kinds rendered, no wildcard",
    fix: "List in clusterResourceWhitelist exactly the cluster-scoped kinds under rendered/<env> (the generator computes it).",
    check: ({ manifests }) =>
      ofKind(manifests, "AppProject").flatMap((project): Violation[] => {
        const listed: Json[] = project.object.spec?.clusterResourceWhitelist ?? [];
        const wildcard = listed.filter((e) => e.group === "*" || e.kind === "*");
        if (wildcard.length > 0) return [{ manifest: project, path: "/spec/clusterResourceWhitelist", message: "allows every cluster-scoped kind (*)" }];
        // The bootstrap project (every destination is Argo CD's own namespace) may allow no cluster-scoped kind at all.
        const destinations: Json[] = project.object.spec?.destinations ?? [];
        if (destinations.length > 0 && destinations.every((d) => d.namespace === project.object.metadata?.namespace)) {
          return listed.map((e) => ({ manifest: project, path: "/spec/clusterResourceWhitelist", message: `the bootstrap project allows cluster-scoped ${e.group}/${e.kind}` }));
        }
        const rendered = new Set(manifests.filter((m) => m.object.apiVersion !== "argoproj.io/v1alpha1" && isClusterScoped(m.object.apiVersion, m.object.kind)).map((m) => `${apiGroupOf(m.object.apiVersion)}/${m.object.kind}`));
        const allowed = new Set(listed.map((e) => `${e.group}/${e.kind}`));
        return [
          ...[...allowed].filter((k) => !rendered.has(k)).map((k) => ({ manifest: project, path: "/spec/clusterResourceWhitelist", message: `allows ${k}, which the tree does not render` })),
          ...[...rendered].filter((k) => !allowed.has(k)).map((k) => ({ manifest: project, path: "/spec/clusterResourceWhitelist", message: `does not allow ${k}, which the tree renders: Argo CD will refuse to sync it` })),
        ];
      }),
  },
];
