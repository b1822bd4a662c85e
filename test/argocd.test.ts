// Argo CD wiring: one AppProject fencing each environment, one Application per app group
// synced in waves, and a root app-of-apps that a single `kubectl apply` bootstraps.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isClusterScoped, apiGroupOf } from "../core/validate/scope";
import { find, repoRoot, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

describe.each(["dev", "prod"])("%s: Argo CD wiring", (environment) => {
  const objects = objectsOf(environment);
  const applications = objects.filter((o) => o.kind === "Application");
  const children = applications.filter((a) => a.metadata.name !== `${environment}-root`);
  const workloadObjects = objects.filter((o) => o.apiVersion !== "argoproj.io/v1alpha1");
  const project = find(objects, "AppProject", environment)!;

  it("every rendered group folder is synced by exactly one Application whose path exists", () => {
    const groupFolders = readdirSync(join(repoRoot, "rendered", environment), { withFileTypes: true }).filter((f) => f.isDirectory() && f.name !== "argocd").map((f) => f.name).sort();
    expect(children.map((a) => a.spec.source.path).sort()).toEqual(groupFolders.map((f) => `rendered/${environment}/${f}`));
    for (const application of applications) expect(existsSync(join(repoRoot, application.spec.source.path)), application.spec.source.path).toBe(true);
  });

  it("the AppProject allows only our repo, the two namespaces and exactly the kinds rendered", () => {
    const kindsOf = (clusterScoped: boolean) =>
      [...new Set(workloadObjects.filter((o) => isClusterScoped(o.apiVersion, o.kind) === clusterScoped).map((o) => `${apiGroupOf(o.apiVersion)}/${o.kind}`))].sort();
    const listed = (entries: Json[]) => entries.map((e) => `${e.group}/${e.kind}`).sort();
    expect(project.spec.sourceRepos).toEqual(["https://github.com/example-org/online-boutique-gitops.git"]);
    expect(project.spec.destinations.map((d: Json) => d.namespace)).toEqual(["microservices-demo", "monitoring"]);
    expect(listed(project.spec.clusterResourceWhitelist)).toEqual(kindsOf(true));
    expect(listed(project.spec.namespaceResourceWhitelist)).toEqual(kindsOf(false));
  });

  it("syncs in waves: namespaces first, data before services", () => {
    const wave = (group: string) => Number(find(objects, "Application", `${environment}-${group}`)!.metadata.annotations["argocd.argoproj.io/sync-wave"]);
    expect(wave("platform")).toBeLessThan(wave("data"));
    expect(wave("data")).toBeLessThan(wave("online-boutique"));
  });

  it("the shop does not wait for the order tee: checkout only logs a failed confirmation", () => {
    const wave = (group: string) => Number(find(objects, "Application", `${environment}-${group}`)!.metadata.annotations["argocd.argoproj.io/sync-wave"]);
    expect(wave("orders")).toBeGreaterThan(wave("online-boutique"));
    expect(wave("orders")).toBeGreaterThan(wave("data")); // it needs PostgreSQL
  });

  it("child Applications sync automatically into the environment's project, never creating namespaces", () => {
    for (const application of children) {
      expect(application.spec.project).toBe(environment);
      expect(application.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(application.spec.syncPolicy.syncOptions).toContain("CreateNamespace=false");
      expect(application.spec.source).toMatchObject({ targetRevision: "main", directory: { recurse: true } });
      expect(application.metadata.finalizers).toEqual(["resources-finalizer.argocd.argoproj.io"]);
    }
  });

  it("the root app-of-apps owns rendered/<env>/argocd, in a project that may only manage Argo CD objects", () => {
    const root = find(objects, "Application", `${environment}-root`)!;
    expect(root.spec.source.path).toBe(`rendered/${environment}/argocd`);
    expect(root.metadata.finalizers).toBeUndefined(); // deleting the root must not cascade
    const bootstrap = find(objects, "AppProject", root.spec.project)!;
    expect(bootstrap.spec.destinations).toEqual([{ server: "https://kubernetes.default.svc", namespace: "argocd" }]);
    expect(bootstrap.spec.clusterResourceWhitelist).toEqual([]);
    expect(bootstrap.spec.namespaceResourceWhitelist.map((e: Json) => e.kind).sort()).toEqual(["AppProject", "Application"]);
  });

  it("Namespaces are never pruned or deleted by Argo CD", () => {
    for (const namespace of objects.filter((o) => o.kind === "Namespace")) {
      expect(namespace.metadata.annotations["argocd.argoproj.io/sync-options"]).toBe("Prune=false,Delete=false");
    }
  });
});
