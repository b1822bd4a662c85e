// Argo CD: AppProjects allow only what the tree renders; Applications keep the cluster equal to
// Git (prune, self-heal); deleting the root app or pruning a Namespace never cascades.
import { argoCd } from "../../core/contract/index";
import { apiGroupOf, isClusterScoped } from "../../core/validate/scope";
import { ofKind } from "../engine/objects";
import type { Json, Manifest, Rule, Violation } from "../engine/types";

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
  {
    id: "ARG002",
    theme: "referential",
    severity: "error",
    title: "Applications sync automatically with prune and self-heal",
    fix: "Set spec.syncPolicy.automated.prune and .selfHeal to true: otherwise the cluster drifts from Git unnoticed.",
    check: ({ manifests }) =>
      ofKind(manifests, "Application").flatMap((manifest): Violation[] => {
        const automated = manifest.object.spec?.syncPolicy?.automated;
        const missing = (["prune", "selfHeal"] as const).filter((field) => automated?.[field] !== true);
        return missing.length > 0 ? [{ manifest, path: "/spec/syncPolicy/automated", message: `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not true` }] : [];
      }),
  },
  {
    id: "ARG003",
    theme: "referential",
    severity: "error",
    title: "the root app has no deletion finalizer",
    fix: `Remove ${argoCd.resourcesFinalizer} from the app that manages Applications: deleting it would delete the whole environment.`,
    check: ({ manifests }) =>
      ofKind(manifests, "Application")
        .filter((m) => managesApplications(manifests, m.object) && ((m.object.metadata?.finalizers ?? []) as string[]).some((f) => f.startsWith(argoCd.resourcesFinalizer)))
        .map((manifest) => ({ manifest, path: "/metadata/finalizers", message: "the root app cascades its deletion into every Application and everything they deployed" })),
  },
  {
    id: "ARG004",
    theme: "referential",
    severity: "error",
    title: "Argo CD never prunes or deletes a Namespace",
    fix: `Annotate the Namespace ${argoCd.syncOptionsAnnotation}: "${argoCd.namespaceSyncOptions.join(",")}": pruning a Namespace deletes everything in it.`,
    check: ({ manifests }) =>
      ofKind(manifests, "Namespace").flatMap((manifest): Violation[] => {
        const options = String(manifest.object.metadata?.annotations?.[argoCd.syncOptionsAnnotation] ?? "").split(",").map((o) => o.trim());
        const missing = argoCd.namespaceSyncOptions.filter((option) => !options.includes(option));
        return missing.length > 0 ? [{ manifest, path: "/metadata/annotations", message: `sync-options lack ${missing.join(", ")}` }] : [];
      }),
  },
  {
    id: "ARG005",
    theme: "referential",
    severity: "error",
    title: "every object fits the annotation client-side apply keeps (256 KiB), or syncs server-side",
    fix: `Split the object (one dashboard per ConfigMap), or annotate it ${argoCd.syncOptionsAnnotation}: "ServerSideApply=true".`,
    check: ({ manifests }) =>
      manifests.flatMap((manifest): Violation[] => {
        const object = manifest.object;
        if (!object) return [];
        const options = String(object.metadata?.annotations?.[argoCd.syncOptionsAnnotation] ?? "").split(",").map((o) => o.trim());
        if (options.includes("ServerSideApply=true")) return [];
        // kubectl's last-applied-configuration annotation holds the whole object as JSON; all annotations together may hold 256 KiB.
        const bytes = Buffer.byteLength(JSON.stringify(object));
        return bytes > annotationLimitBytes ? [{ manifest, message: `is ${bytes} bytes as JSON: client-side apply's last-applied-configuration annotation would exceed the API server's ${annotationLimitBytes}-byte limit for annotations, and the sync would fail` }] : [];
      }),
  },
];

/** All annotations of an object together (Kubernetes' TotalAnnotationSizeLimitB). */
const annotationLimitBytes = 256 * 1024;

/** An Application whose AppProject allows managing Applications: the root app-of-apps. */
function managesApplications(manifests: Manifest[], application: Json): boolean {
  const project = manifests.find((m) => m.object.kind === "AppProject" && m.object.metadata?.name === application.spec?.project && m.object.metadata?.namespace === application.metadata?.namespace);
  return ((project?.object.spec?.namespaceResourceWhitelist ?? []) as Json[]).some((entry) => entry.group === "argoproj.io" && (entry.kind === "Application" || entry.kind === "*"));
}
