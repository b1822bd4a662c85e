// How objects are named in messages and told apart (one identity for the generator's checks,
// the policy findings, the duplicate rule and the rendered diff), and where a workload's pod is.

interface Identified {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
}

/** "Kind namespace/name" (cluster-scoped objects: "Kind name"), for people. */
export function identity(object: Identified): string {
  const namespace = object.metadata?.namespace;
  return `${String(object.kind)} ${namespace ? `${String(namespace)}/` : ""}${String(object.metadata?.name)}`;
}

/** API group + kind + namespace + name: two objects with the same key are the same object to the API server. */
export function objectKey(object: Identified): string {
  const apiVersion = String(object.apiVersion ?? "");
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "";
  return `${group}|${identity(object)}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const podWorkloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod"]);

/** The pod template of a workload (a CronJob's is in its job template; a Pod is its own). */
export function podTemplateOf(object: Json): Json | undefined {
  if (object.kind === "Pod") return { metadata: object.metadata, spec: object.spec };
  if (object.kind === "CronJob") return object.spec?.jobTemplate?.spec?.template;
  return podWorkloadKinds.has(object.kind) ? object.spec?.template : undefined;
}

export function podSpecOf(object: Json): Json | undefined {
  return podTemplateOf(object)?.spec;
}
