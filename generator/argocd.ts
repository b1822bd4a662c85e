// Argo CD wiring for one environment: an AppProject that fences the workloads, one Application
// per app group (synced in waves), and a root app-of-apps that owns all of them.
// Part of the pipeline, not an app: it is rendered after the apps because the AppProject allows
// exactly the kinds they render.
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import type { KubeObject, RenderContext } from "../apps/lib/app";
import { dirname, relative } from "node:path";
import { appGroups, argoCd, namespaceRoles, type AppGroupName } from "../core/contract/index";
import { objectKey } from "../core/objects";
import type { Environment } from "../core/settings/load";
import { sortedBy } from "../core/sort";

export const argocdFolder = "argocd";

export interface GroupContents {
  group: AppGroupName;
  /** API group + kind of every object the group renders, and whether it is cluster-scoped. */
  kinds: { group: string; kind: string; clusterScoped: boolean }[];
  /** Jobs kept in Git that run once (not Argo CD hooks), by namespace and name. */
  runOnceJobs?: { namespace: string; name: string }[];
}

function renderedPath(environment: string, folder: string): string {
  return `rendered/${environment}/${folder}`;
}

const projectName = (environment: string) => environment;
const bootstrapProjectName = (environment: string) => `${environment}-bootstrap`;
const rootApplicationName = (environment: string) => `${environment}-root`;
const groupApplicationName = (environment: string, group: AppGroupName) => `${environment}-${group}`;

const syncPolicy = (extraOptions: string[] = []) => ({
  automated: { prune: true, selfHeal: true },
  // Namespaces are rendered (with Pod Security labels), never created implicitly.
  syncOptions: ["CreateNamespace=false", "PruneLast=true", "ApplyOutOfSyncOnly=true", ...extraOptions],
  retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
});

/**
 * Environments whose Argo CD objects would be the same objects (e.g. a folder named prod-bootstrap
 * beside prod): the objects renderArgoCd makes for every app group, told apart by objectKey, as
 * the render tells duplicate objects apart.
 */
export function argocdClashes(environments: readonly Environment[], repoRoot: string): string[] {
  const everyGroup: GroupContents[] = (Object.keys(appGroups) as AppGroupName[]).map((group) => ({ group, kinds: [] }));
  const owners = new Map<string, string>();
  const clashes: string[] = [];
  for (const { name, file, settings, deployed } of environments) {
    for (const model of renderArgoCd({ environment: name, settings, deployed: new Set(deployed) }, everyGroup)) {
      const object = model.toJSON() as { kind: string; metadata: { name: string; namespace: string } };
      const key = objectKey(object);
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, name);
      else clashes.push(`${relative(repoRoot, dirname(file))}: its Argo CD ${object.kind} ${object.metadata.name} (namespace ${object.metadata.namespace}) is also environment ${owner}'s; rename the folder`);
    }
  }
  return clashes;
}

function uniqueKinds(contents: GroupContents[], clusterScoped: boolean) {
  const seen = new Map<string, { group: string; kind: string }>();
  for (const { kinds } of contents) {
    for (const entry of kinds) {
      if (entry.clusterScoped === clusterScoped) seen.set(`${entry.group}/${entry.kind}`, { group: entry.group, kind: entry.kind });
    }
  }
  return sortedBy([...seen.entries()], ([key]) => key).map(([, kind]) => kind);
}

/** The AppProject that fences the workloads: our repository, the two namespaces, exactly the rendered kinds. */
function workloadProject(context: RenderContext, contents: GroupContents[]): AppProject {
  const { environment, settings } = context;
  const { repoURL, namespace, destinationServer: server } = settings.argocd;
  const workloadNamespaces = namespaceRoles.map((role) => settings.namespaces[role]);
  return new AppProject({
    metadata: { name: projectName(environment), namespace },
    spec: {
      description: `Online Boutique (${environment}): workloads in ${workloadNamespaces.join(" and ")}`,
      sourceRepos: [repoURL],
      destinations: workloadNamespaces.map((ns) => ({ server, namespace: ns })),
      // Least privilege: only the kinds the rendered tree contains.
      clusterResourceWhitelist: uniqueKinds(contents, true),
      namespaceResourceWhitelist: uniqueKinds(contents, false),
      // Secrets are created by hand (never in Git) and claims by StatefulSets: not orphans.
      orphanedResources: {
        warn: true,
        ignore: [
          { group: "", kind: "Secret" },
          { group: "", kind: "PersistentVolumeClaim" },
        ],
      },
    },
  });
}

/** The project of the root app: it may manage Applications and AppProjects in Argo CD's namespace, nothing else. */
function bootstrapProject(context: RenderContext): AppProject {
  const { environment, settings } = context;
  const { repoURL, namespace, destinationServer: server } = settings.argocd;
  return new AppProject({
    metadata: { name: bootstrapProjectName(environment), namespace },
    spec: {
      description: `Online Boutique (${environment}): the root app, which manages Argo CD Applications and AppProjects only`,
      sourceRepos: [repoURL],
      destinations: [{ server, namespace }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: [
        { group: "argoproj.io", kind: "AppProject" },
        { group: "argoproj.io", kind: "Application" },
      ],
    },
  });
}

/**
 * A Job that runs once stays in the cluster when it is done: no TTL, since a Job deleted by its
 * TTL is missing from the cluster, so Argo CD would create it again and it would run again. Its
 * spec is left out of the comparison and of syncs: the Job controller adds labels and a selector
 * to it, and a change in Git (a new image, a new VU count) could not be applied anyway (a Job's
 * pod template is immutable). To run it again, delete it: Argo CD creates it anew from Git.
 */
function runOnceJobsLeftAlone(jobs: readonly { namespace: string; name: string }[]) {
  if (jobs.length === 0) return {};
  return { ignoreDifferences: jobs.map(({ namespace, name }) => ({ group: "batch", kind: "Job", namespace, name, jsonPointers: ["/spec"] })) };
}

/** One Application per app group, synced in its wave. */
function groupApplication(context: RenderContext, { group, runOnceJobs = [] }: GroupContents): Application {
  const { environment, settings } = context;
  const { repoURL, targetRevision, namespace, destinationServer: server } = settings.argocd;
  return new Application({
    metadata: {
      name: groupApplicationName(environment, group),
      namespace,
      annotations: { "argocd.argoproj.io/sync-wave": String(appGroups[group].wave) },
      // Deleting the Application deletes what it deployed (Namespaces excepted: they carry Delete=false).
      finalizers: [argoCd.resourcesFinalizer],
    },
    spec: {
      info: [{ name: "Contents", value: appGroups[group].description }],
      project: projectName(environment),
      source: { repoURL, targetRevision, path: renderedPath(environment, group), directory: { recurse: true } },
      destination: { server, namespace: settings.namespaces.app },
      ...runOnceJobsLeftAlone(runOnceJobs),
      // A sync applies what the comparison sees, so an ignored Job spec is never patched.
      syncPolicy: syncPolicy(runOnceJobs.length > 0 ? ["RespectIgnoreDifferences=true"] : []),
    },
  });
}

/** The app-of-apps. No finalizer: deleting it must not cascade into the whole environment. */
function rootApplication(context: RenderContext): Application {
  const { environment, settings } = context;
  const { repoURL, targetRevision, namespace, destinationServer: server } = settings.argocd;
  return new Application({
    metadata: { name: rootApplicationName(environment), namespace },
    spec: {
      project: bootstrapProjectName(environment),
      source: { repoURL, targetRevision, path: renderedPath(environment, argocdFolder), directory: { recurse: true } },
      destination: { server, namespace },
      syncPolicy: syncPolicy(),
    },
  });
}

export function renderArgoCd(context: RenderContext, contents: GroupContents[]): KubeObject[] {
  return [bootstrapProject(context), workloadProject(context, contents), rootApplication(context), ...contents.map((groupContent) => groupApplication(context, groupContent))];
}

// --- The fleet: one ApplicationSet for every environment folder -----------------------------

const fleetProjectName = "fleet-bootstrap";
export const fleetApplicationSetName = "online-boutique-environments";
/** The environments' root Applications, which the ApplicationSet makes itself (it owns them). */
export const rootApplicationFiles = "application-*-root.yaml";

/**
 * An optional way to bootstrap every environment with one apply: an ApplicationSet whose Git
 * directory generator finds each rendered/<env>/argocd folder and makes that environment's root
 * Application (`<env>-root`, syncing the folder without the root Application it holds), in an
 * AppProject of its own. A new environment folder, once rendered and merged, is picked up without
 * code changes. The environments must agree on where Argo CD reads the repository and lives;
 * otherwise there is no fleet (the reason is returned), and each environment is bootstrapped alone.
 * The root Applications go to Argo CD's own cluster: the Application objects live there, whatever
 * cluster each environment deploys to.
 */
export function fleetObjects(environments: readonly Environment[]): { objects: KubeObject[] } | { reason: string } {
  if (environments.length === 0) return { reason: "no environments" };
  for (const key of ["repoURL", "targetRevision", "namespace"] as const) {
    const values = new Set(environments.map((environment) => environment.settings.argocd[key]));
    if (values.size > 1) return { reason: `the environments disagree on argocd.${key} (${environments.map((e) => `${e.name}: ${e.settings.argocd[key]}`).join(", ")})` };
  }
  const { repoURL, targetRevision, namespace } = environments[0]!.settings.argocd;
  const inCluster = "https://kubernetes.default.svc";
  const project = new AppProject({
    metadata: { name: fleetProjectName, namespace },
    spec: {
      description: "Online Boutique: the environments' root apps made by the ApplicationSet, which manage Argo CD Applications and AppProjects only",
      sourceRepos: [repoURL],
      destinations: [{ server: inCluster, namespace }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: [
        { group: "argoproj.io", kind: "AppProject" },
        { group: "argoproj.io", kind: "Application" },
      ],
    },
  });
  const applicationSet = new ApplicationSet({
    metadata: { name: fleetApplicationSetName, namespace },
    spec: {
      goTemplate: true,
      goTemplateOptions: ["missingkey=error"],
      generators: [{ git: { repoURL, revision: targetRevision, directories: [{ path: `rendered/*/${argocdFolder}` }] } }],
      // Deleting the ApplicationSet leaves the environments running (and their root apps carry no finalizer).
      syncPolicy: { preserveResourcesOnDeletion: true },
      template: {
        metadata: { name: "{{ index .path.segments 1 }}-root" },
        spec: {
          project: fleetProjectName,
          source: { repoURL, targetRevision, path: "{{ .path.path }}", directory: { recurse: true, exclude: rootApplicationFiles } },
          destination: { server: inCluster, namespace },
          syncPolicy: syncPolicy(),
        },
      },
    },
  });
  return { objects: [project, applicationSet] };
}
