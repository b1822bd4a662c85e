// The pipeline for one environment: settings → apps → common labels → Argo CD wiring →
// validate every object → serialise to files. Pure: it returns files and writes nothing.
import { relative } from "node:path";
import { apps as allApps } from "../apps/index";
import { argocdFolder, renderArgoCd, type GroupContents } from "../apps/argocd";
import type { App, AppGroup, KubeObject, RenderContext } from "../apps/lib/app";
import { ObjectValidationError } from "./errors";
import type { Environment } from "./settings/load";
import { toYaml } from "./serialize";
import { timed } from "./timings";
import { validateModel } from "./validate/index";
import { apiGroupOf, isClusterScoped } from "./validate/scope";

export const renderedRoot = "rendered";
export const partOf = "online-boutique";
export const managedBy = "online-boutique-gitops";

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

function groupContents(entries: { group: AppGroup; model: KubeObject }[]): GroupContents[] {
  const byGroup = new Map<AppGroup, GroupContents>();
  for (const { group, model } of entries) {
    const contents = byGroup.get(group) ?? { group, kinds: [] };
    byGroup.set(group, contents);
    contents.kinds.push({ group: apiGroupOf(model.apiVersion), kind: model.kind, clusterScoped: isClusterScoped(model.apiVersion, model.kind) });
  }
  return [...byGroup.values()];
}

/**
 * `<kind>-<name>.yaml`; objects outside their folder's home namespace carry their namespace
 * too (`networkpolicy-default-deny.monitoring.yaml`), so one app may render the same name in
 * two namespaces and the path still tells them apart.
 */
export function fileNameOf(object: { kind: string; metadata?: { name?: string; namespace?: string } }, homeNamespace: string): string {
  const namespace = object.metadata?.namespace;
  const suffix = namespace !== undefined && namespace !== homeNamespace ? `.${namespace}` : "";
  return `${object.kind.toLowerCase()}-${object.metadata?.name ?? "unnamed"}${suffix}.yaml`;
}

export function renderEnvironment(environment: Environment, apps: readonly App[] = allApps, repoRoot = process.cwd()): EnvironmentRender {
  const context: RenderContext = { environment: environment.name, settings: environment.settings };
  const entries: Entry[] = [];
  const grouped: { group: AppGroup; model: KubeObject }[] = [];
  for (const app of apps) {
    const owner = { name: app.name, component: app.component, folder: `${app.group}/${app.name}`, homeNamespace: context.settings.namespaces.app };
    for (const model of timed("apps", () => app.render(context))) {
      entries.push({ owner, model });
      grouped.push({ group: app.group, model });
    }
  }
  const argocdOwner: Owner = { name: "argocd-apps", component: "gitops", folder: argocdFolder, homeNamespace: context.settings.argocd.namespace };
  for (const model of timed("apps", () => renderArgoCd(context, groupContents(grouped)))) entries.push({ owner: argocdOwner, model });

  const header = `# Rendered by \`npm run render\` from ${relative(repoRoot, environment.file).split("\\").join("/") || environment.file}. Do not edit: change the settings or apps/.`;
  const files: RenderedFile[] = [];
  const objects: Record<string, unknown>[] = [];
  const problems: string[] = [];
  const seenPaths = new Map<string, string>();
  const seenIdentities = new Set<string>();
  for (const { owner, model } of entries) {
    applyLabels(model, owner);
    const json = model.toJSON() as Record<string, unknown> & { kind: string; metadata?: { name?: string; namespace?: string } };
    const path = `${renderedRoot}/${environment.name}/${owner.folder}/${fileNameOf(json, owner.homeNamespace)}`;
    for (const problem of timed("validate", () => validateModel(model, json))) problems.push(`${path}: ${problem.path || "/"}: ${problem.message}`);
    const identity = `${json.apiVersion}/${json.kind}/${json.metadata?.namespace ?? ""}/${json.metadata?.name}`;
    if (seenIdentities.has(identity)) problems.push(`${path}: two objects are ${identity}`);
    seenIdentities.add(identity);
    if (seenPaths.has(path)) problems.push(`${path}: written twice (also by ${seenPaths.get(path)})`);
    seenPaths.set(path, owner.name);
    objects.push(json);
    files.push({ path, content: timed("serialize", () => toYaml(json, header)) });
  }
  if (problems.length > 0) {
    throw new ObjectValidationError(`environment ${environment.name}: ${problems.length} invalid object field(s):\n  ${problems.join("\n  ")}`);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { environment: environment.name, files, objects };
}

