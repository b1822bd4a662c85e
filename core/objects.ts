// How objects are named in messages and told apart: one identity for the generator's checks,
// the policy findings and the duplicate rule.

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
