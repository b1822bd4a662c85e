// The pipeline for one environment: settings → apps → common labels → Argo CD wiring →
// validate every object → serialise to files. Pure: it returns files and writes nothing.
import { renderedRoot } from "../core/render-lock";
import { relative } from "node:path";
import { apps as allApps } from "../apps/index";
import type { App, KubeObject, RenderContext } from "../apps/lib/app";
import { isWorkloadName, records, type AppGroupName, type WorkloadName } from "../core/contract/index";
import { ObjectValidationError } from "../core/errors";
import { identity, objectKey } from "../core/objects";
import type { Environment } from "../core/settings/load";
import { timed } from "../core/timings";
import { validateModel } from "../core/validate/index";
import { apiGroupOf, isClusterScoped } from "../core/validate/scope";
import { canonical, orderedToYaml } from "../core/yaml/write";
import { environmentSummary, type SummaryInput } from "./environment-summary";
import { argocdFolder, fleetObjects, renderArgoCd, type GroupContents } from "./argocd";
import { sortedBy } from "../core/sort";

const partOf = "online-boutique";
const managedBy = "online-boutique-gitops";

export interface RenderedFile {
  /** Path relative to the repository root, always with forward slashes. */
  path: string;
  content: string;
}

export interface EnvironmentRender {
  environment: string;
  files: RenderedFile[];
  objects: Record<string, unknown>[];
}

interface Owner {
  name: string;
  component: string;
  folder: string;
  /** Objects in this namespace need no namespace in their file name. */
  homeNamespace: string;
}

interface Entry {
  owner: Owner;
  model: KubeObject;
}

interface AppOutput {
  app: App;
  models: KubeObject[];
}

function standardLabels(owner: Owner): Record<string, string> {
  return {
    app: owner.name,
    "app.kubernetes.io/name": owner.name,
    "app.kubernetes.io/component": owner.component,
    "app.kubernetes.io/part-of": partOf,
    "app.kubernetes.io/managed-by": managedBy,
  };
}

/** Labels every object and every pod template it carries (selectors stay as the app set them). */
function applyLabels(model: KubeObject, owner: Owner): void {
  const labels = standardLabels(owner);
  model.metadata = { ...model.metadata, labels: { ...labels, ...model.metadata?.labels } };
  const spec = (model as { spec?: Record<string, any> }).spec; // eslint-disable-line @typescript-eslint/no-explicit-any
  const template = spec?.template ?? spec?.jobTemplate?.spec?.template;
  if (template && typeof template === "object") {
    template.metadata = { ...template.metadata, labels: { ...labels, ...template.metadata?.labels } };
  }
}

function groupContents(outputs: AppOutput[]): GroupContents[] {
  const byGroup = new Map<AppGroupName, GroupContents>();
  for (const { app, models } of outputs) {
    const contents = byGroup.get(app.group) ?? { group: app.group, kinds: [] };
    byGroup.set(app.group, contents);
    for (const model of models) {
      contents.kinds.push({ group: apiGroupOf(model.apiVersion), kind: model.kind, clusterScoped: isClusterScoped(model.apiVersion, model.kind) });
      if (model.kind === "Job" && model.metadata?.annotations?.["argocd.argoproj.io/hook"] === undefined) {
        (contents.runOnceJobs ??= []).push({ namespace: String(model.metadata?.namespace), name: String(model.metadata?.name) });
      }
    }
  }
  return [...byGroup.values()];
}

/**
 * `<kind>-<name>.yaml`; objects outside their folder's home namespace carry their namespace
 * too (`networkpolicy-default-deny.monitoring.yaml`), so one app may render the same name in
 * two namespaces and the path still tells them apart.
 */
function fileNameOf(object: { kind: string; metadata?: { name?: string; namespace?: string } }, homeNamespace: string): string {
  const namespace = object.metadata?.namespace;
  const suffix = namespace !== undefined && namespace !== homeNamespace ? `.${namespace}` : "";
  return `${object.kind.toLowerCase()}-${object.metadata?.name ?? "unnamed"}${suffix}.yaml`;
}

const podWorkloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"]);

/**
 * Apps build exactly the workloads the settings deploy, each as its record's kind and with the
 * record's standalone volume claims: a disagreement is a bug in an app.
 */
function workloadProblems(outputs: AppOutput[], deployed: ReadonlySet<WorkloadName>): string[] {
  const problems: string[] = [];
  const built = new Set<string>();
  const claims = new Set<string>();
  for (const { app, models } of outputs) {
    for (const model of models) {
      const name = model.metadata?.name;
      if (model.kind === "PersistentVolumeClaim" && name) claims.add(name);
      if (!podWorkloadKinds.has(model.kind) || !isWorkloadName(name)) continue;
      built.add(name);
      if (model.kind !== records[name].kind) problems.push(`app ${app.name} builds ${name} as a ${model.kind}; its record says ${records[name].kind}`);
      if (!app.workloads.includes(name)) problems.push(`app ${app.name} builds ${model.kind} ${name}, which is not among its workloads (${app.workloads.join(", ") || "none"})`);
      if (!deployed.has(name)) problems.push(`app ${app.name} builds ${name}, which the settings do not deploy`);
    }
  }
  for (const name of deployed) {
    if (!built.has(name)) problems.push(`the settings deploy ${name} (a ${records[name].kind}), but no app builds it`);
    if (records[name].kind === "StatefulSet") continue; // its claims are volume claim templates, which the builder adds
    for (const claim of Object.keys(records[name].volumeClaims ?? {})) if (!claims.has(claim)) problems.push(`${name}'s record has volume claim ${claim}, but no app renders it (persistentVolumeClaims)`);
  }
  return problems;
}

function renderApps(context: RenderContext, apps: readonly App[]): AppOutput[] {
  // An app whose workloads all stay out of this environment renders nothing.
  const running = apps.filter((app) => app.workloads.length === 0 || app.workloads.some((name) => context.deployed.has(name)));
  return running.map((app) => ({ app, models: timed("apps", () => app.render(context)) }));
}

export function renderEnvironment(environment: Environment, apps: readonly App[] = allApps, repoRoot = process.cwd()): EnvironmentRender {
  const context: RenderContext = { environment: environment.name, settings: environment.settings, deployed: new Set(environment.deployed) };
  const outputs = renderApps(context, apps);
  const problems = workloadProblems(outputs, context.deployed);
  const entries: Entry[] = outputs.flatMap(({ app, models }) => {
    const owner = { name: app.name, component: app.component, folder: `${app.group}/${app.name}`, homeNamespace: context.settings.namespaces[app.namespace] };
    return models.map((model) => ({ owner, model }));
  });
  const argocdOwner: Owner = { name: "argocd-apps", component: "gitops", folder: argocdFolder, homeNamespace: context.settings.argocd.namespace };
  for (const model of timed("apps", () => renderArgoCd(context, groupContents(outputs)))) entries.push({ owner: argocdOwner, model });

  const settingsPath = relative(repoRoot, environment.file).split("\\").join("/") || environment.file;
  const header = `# Rendered by \`npm run render\` from ${settingsPath}. Do not edit: change the settings or apps/.`;
  const files: RenderedFile[] = [];
  const objects: Record<string, unknown>[] = [];
  const byGroup: SummaryInput["objects"] = [];
  const seenPaths = new Map<string, string>();
  const seenKeys = new Map<string, string>();
  for (const { owner, model } of entries) {
    applyLabels(model, owner);
    // A plain copy in canonical key order: what the file holds, validated and kept as it is written.
    const json = canonical(model) as Record<string, unknown> & { kind: string; metadata?: { name?: string; namespace?: string } };
    const path = `${renderedRoot}/${environment.name}/${owner.folder}/${fileNameOf(json, owner.homeNamespace)}`;
    for (const problem of timed("validate", () => validateModel(model, json))) problems.push(`${path}: ${problem.path || "/"}: ${problem.message}`);
    const key = objectKey(json);
    const builtBy = seenKeys.get(key);
    if (builtBy !== undefined) problems.push(`${path}: ${identity(json)} (${String(json.apiVersion)}) is built twice (also by app ${builtBy})`);
    seenKeys.set(key, owner.name);
    if (seenPaths.has(path)) problems.push(`${path}: written twice (also by ${seenPaths.get(path)})`);
    seenPaths.set(path, owner.name);
    objects.push(json);
    byGroup.push({ group: owner.folder.split("/")[0]!, object: json });
    files.push({ path, content: timed("serialize", () => orderedToYaml(json, header)) });
  }
  if (problems.length > 0) {
    throw new ObjectValidationError(`environment ${environment.name}: ${problems.length} problem(s) with the generated objects:\n  ${problems.join("\n  ")}`);
  }
  const summary = environmentSummary({ environment: environment.name, settingsFile: settingsPath, settings: context.settings, deployed: environment.deployed, objects: byGroup });
  files.push({ path: `${renderedRoot}/${environment.name}/SUMMARY.md`, content: summary });
  return { environment: environment.name, files: sortedBy(files, (file) => file.path), objects };
}

/**
 * The fleet's AppProject and ApplicationSet (generator/argocd.ts fleetObjects), as files at the
 * top of rendered/ (not in an environment folder: Argo CD and the policy run read those), or the
 * reason there is no fleet.
 */
export function renderFleet(environments: readonly Environment[], repoRoot = process.cwd()): { files: RenderedFile[]; note?: string } {
  const fleet = fleetObjects(environments);
  if ("reason" in fleet) return { files: [], note: `fleet: no ApplicationSet, ${fleet.reason}; bootstrap each environment with its own root app (README "Argo CD")` };
  const owner: Owner = { name: "argocd-fleet", component: "gitops", folder: "", homeNamespace: "" };
  const sources = environments.map((environment) => relative(repoRoot, environment.file).split("\\").join("/")).join(", ");
  const header = `# Rendered by \`npm run render\` from the argocd settings of ${sources}. Do not edit. Apply by hand to bootstrap every environment (README "Argo CD").`;
  const problems: string[] = [];
  const files = fleet.objects.map((model) => {
    applyLabels(model, owner);
    const json = canonical(model) as Record<string, unknown> & { kind: string; metadata?: { name?: string } };
    const path = `${renderedRoot}/${json.kind.toLowerCase()}-${json.metadata?.name}.yaml`;
    for (const problem of validateModel(model, json)) problems.push(`${path}: ${problem.path || "/"}: ${problem.message}`);
    return { path, content: orderedToYaml(json, header) };
  });
  if (problems.length > 0) throw new ObjectValidationError(`the fleet: ${problems.length} problem(s) with the generated objects:\n  ${problems.join("\n  ")}`);
  return { files };
}
