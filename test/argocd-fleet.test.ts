// The optional fleet bootstrap: one ApplicationSet whose Git directory generator makes each
// environment's root app from rendered/<env>/argocd. A third environment folder (prod copied and
// renamed) renders, passes the policy run and is in the generator's directory set without a
// change to the code.
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot, runPolicyCli, scratchRepo, type Json } from "./support/repo";
import { renderInProcess } from "./support/render";

const read = (path: string): Json => parse(readFileSync(path, "utf8"), { version: "1.1" });

/**
 * The directories Argo CD's Git directory generator finds for a path pattern: Go's path.Match,
 * where "*" is any run of characters but "/". Applied here to the rendered tree on disk.
 */
function directorySet(root: string, pattern: string): string[] {
  const segments = pattern.split("/");
  const matches = (name: string, segment: string) => new RegExp(`^${segment.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`).test(name);
  let paths = [""];
  for (const segment of segments) {
    paths = paths.flatMap((path) => readdirSync(join(root, path)).filter((name) => statSync(join(root, path, name)).isDirectory() && matches(name, segment)).map((name) => (path ? `${path}/${name}` : name)));
  }
  return paths.sort();
}

describe("the fleet ApplicationSet", () => {
  const applicationSet = read(join(repoRoot, "rendered", "applicationset-online-boutique-environments.yaml"));
  const project = read(join(repoRoot, "rendered", "appproject-fleet-bootstrap.yaml"));

  it("makes each environment's root app from its rendered argocd folder, without the root Application the folder holds", () => {
    const [generator] = applicationSet.spec.generators;
    expect(generator.git.directories).toEqual([{ path: "rendered/*/argocd" }]);
    expect(directorySet(repoRoot, generator.git.directories[0].path)).toEqual(["rendered/dev/argocd", "rendered/prod/argocd"]);
    const template = applicationSet.spec.template;
    expect(template.metadata.name).toBe("{{ index .path.segments 1 }}-root");
    expect(template.spec.source).toMatchObject({ path: "{{ .path.path }}", directory: { recurse: true, exclude: "application-*-root.yaml" } });
    expect(readdirSync(join(repoRoot, "rendered", "prod", "argocd")).filter((file) => /^application-.*-root\.yaml$/.test(file))).toEqual(["application-prod-root.yaml"]);
    expect(template.spec.project).toBe(project.metadata.name);
    expect(applicationSet.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
  });

  it("its project may manage only Applications and AppProjects in Argo CD's namespace, from this repository", () => {
    expect(project.spec.namespaceResourceWhitelist).toEqual([
      { group: "argoproj.io", kind: "AppProject" },
      { group: "argoproj.io", kind: "Application" },
    ]);
    expect(project.spec.clusterResourceWhitelist).toEqual([]);
    expect(project.spec.destinations).toEqual([{ server: "https://kubernetes.default.svc", namespace: "argocd" }]);
  });
});

describe("a third environment folder", () => {
  const scratch = scratchRepo();
  afterAll(scratch.cleanup);

  it("renders, passes the policy run and joins the ApplicationSet's directory set without code changes", () => {
    cpSync(join(scratch.root, "environments", "prod"), join(scratch.root, "environments", "staging"), { recursive: true });
    const settings = join(scratch.root, "environments", "staging", "settings.yaml");
    writeFileSync(settings, readFileSync(settings, "utf8").replace(/^description: .*$/m, "description: Staging, a copy of prod."));
    const rendered = renderInProcess(["--root", scratch.root]);
    expect(rendered.stderr).toBe("");
    expect(rendered.status).toBe(0);
    expect(rendered.stdout).toMatch(/^staging: \d+ objects/m);
    const policy = runPolicyCli(["--root", scratch.root], scratch.root);
    expect(policy.stdout).toMatch(/rendered\/staging \(environment staging\): \d+ objects, \d+ rules — 0 error\(s\)/);
    expect(policy.status).toBe(0);
    const applicationSet = read(join(scratch.root, "rendered", "applicationset-online-boutique-environments.yaml"));
    expect(directorySet(scratch.root, applicationSet.spec.generators[0].git.directories[0].path)).toEqual(["rendered/dev/argocd", "rendered/prod/argocd", "rendered/staging/argocd"]);
    expect(readdirSync(join(scratch.root, "rendered", "staging", "argocd"))).toContain("application-staging-root.yaml");
  });

  it("environments that disagree on where Argo CD reads the repository get no ApplicationSet, and the render says why", () => {
    const settings = join(scratch.root, "environments", "staging", "settings.yaml");
    writeFileSync(settings, readFileSync(settings, "utf8").replace(/^( {2}targetRevision:) .*$/m, "$1 staging"));
    const rendered = renderInProcess(["--root", scratch.root]);
    expect(rendered.status).toBe(0);
    expect(rendered.stdout).toContain("fleet: no ApplicationSet, the environments disagree on argocd.targetRevision (dev: main, prod: main, staging: staging)");
    expect(readdirSync(join(scratch.root, "rendered")).filter((name) => name.endsWith(".yaml"))).toEqual([]);
  });
});
