// What an application module is: a function from an environment (its settings, and the
// workloads it runs) to typed Kubernetes objects, plus where its output goes (its group = one
// Argo CD Application).
import type { Model } from "@kubernetes-models/base";
import type { IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { records, type AppGroupName, type NamespaceRole, type WorkloadName } from "../../core/contract/index";
import type { Settings } from "../../core/settings/schema";

export interface RenderContext {
  environment: string;
  settings: Settings;
  /** The contract's workloads this environment runs (decided once when the settings load). */
  deployed: ReadonlySet<WorkloadName>;
}

/** Any kubernetes-models object: it can validate() itself and serialise with toJSON(). */
export type KubeObject = Model<unknown> & { apiVersion: string; kind: string; metadata?: IObjectMeta };

export interface App {
  /** Folder name under rendered/<env>/<group>/ and app.kubernetes.io/name. */
  name: string;
  group: AppGroupName;
  /** Namespace (by role) of what it renders; objects elsewhere get the namespace in their file name. */
  namespace: NamespaceRole;
  /** app.kubernetes.io/component of everything the app renders. */
  component: string;
  /** The contract workloads it builds; an app none of whose workloads runs is not rendered. Empty for platform apps. */
  workloads: readonly WorkloadName[];
  render(context: RenderContext): KubeObject[];
}

/** An app that builds contract workloads: its group and namespace are their records'. */
export function workloadApp(app: { name: string; component: string; workloads: readonly [WorkloadName, ...WorkloadName[]]; render: App["render"] }): App {
  const record = records[app.workloads[0]];
  return { ...app, group: record.group, namespace: record.namespace };
}

/** The namespace a workload runs in, as this environment names it. */
export function namespaceOf(context: RenderContext, workload: WorkloadName): string {
  return context.settings.namespaces[records[workload].namespace];
}
