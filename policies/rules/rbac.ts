// RBAC: no wildcards, no cluster-admin, no Secret reads unless the contract names the reader,
// no privilege-escalation verbs.
import { isWorkloadName, records, secretReaders, type ApiGrant } from "../../core/contract/index";
import { ofKind } from "../engine/objects";
import type { Json, Manifest, Rule, Violation } from "../engine/types";

const roleKinds = ["Role", "ClusterRole"];
const bindingKinds = ["RoleBinding", "ClusterRoleBinding"];

function rulesOf(manifests: Manifest[]) {
  return ofKind(manifests, ...roleKinds).flatMap((manifest) => ((manifest.object.rules ?? []) as Json[]).map((rule, index) => ({ manifest, rule, path: `/rules/${index}` })));
}

/** ServiceAccounts ("namespace/name") bound to a role. */
function subjectsOf(manifests: Manifest[], role: Json): string[] {
  return ofKind(manifests, ...bindingKinds)
    .filter((b) => b.object.roleRef?.kind === role.kind && b.object.roleRef?.name === role.metadata?.name && (role.kind === "ClusterRole" || b.object.metadata?.namespace === role.metadata?.namespace))
    .flatMap((b) => ((b.object.subjects ?? []) as Json[]).filter((s) => s.kind === "ServiceAccount").map((s) => `${s.namespace ?? b.object.metadata?.namespace}/${s.name}`));
}

/** The roles a binding grants, with the workload whose ServiceAccount (named after it) it binds. */
function grantsToWorkloads(manifests: Manifest[]) {
  return ofKind(manifests, ...bindingKinds).flatMap((binding) => {
    const ref = binding.object.roleRef ?? {};
    const role = manifests.find((m) => m.object.kind === ref.kind && m.object.metadata?.name === ref.name && (ref.kind === "ClusterRole" || m.object.metadata?.namespace === binding.object.metadata?.namespace));
    const workloads = ((binding.object.subjects ?? []) as Json[]).filter((s) => s.kind === "ServiceAccount" && isWorkloadName(s.name)).map((s) => s.name as string);
    return role ? workloads.map((workload) => ({ binding, role, workload })) : [];
  });
}

/** What a role's rule grants, one (group, resource, verb) or (non-resource URL, verb) at a time, named as RBAC names it. */
function permissionsOf(rule: Json): { name: string; granted: (grants: readonly ApiGrant[]) => boolean }[] {
  const verbs = (rule.verbs ?? []) as string[];
  const urls = ((rule.nonResourceURLs ?? []) as string[]).flatMap((url) => verbs.map((verb) => ({ name: `${verb} ${url}`, granted: (grants: readonly ApiGrant[]) => grants.some((g) => "nonResourceURLs" in g && g.nonResourceURLs.includes(url) && g.verbs.includes(verb)) })));
  const resources = ((rule.apiGroups ?? [""]) as string[]).flatMap((group) =>
    ((rule.resources ?? []) as string[]).flatMap((resource) =>
      verbs.map((verb) => ({ name: `${verb} ${group ? `${group}/` : ""}${resource}`, granted: (grants: readonly ApiGrant[]) => grants.some((g) => "resources" in g && g.apiGroups.includes(group) && g.resources.includes(resource) && g.verbs.includes(verb)) })),
    ),
  );
  return [...resources, ...urls];
}

export const rbacRules: Rule[] = [
  {
    id: "RBAC001",
    theme: "rbac",
    severity: "error",
    title: "no wildcards in roles",
    fix: "List the exact apiGroups, resources, non-resource URLs and verbs the workload needs.",
    check: ({ manifests }) =>
      rulesOf(manifests).flatMap(({ manifest, rule, path }): Violation[] =>
        // "*" alone, or in a pattern ("*/scale", "/debug/*"), matches what nobody listed.
        (["apiGroups", "resources", "nonResourceURLs", "verbs"] as const).filter((field) => ((rule[field] ?? []) as string[]).some((value) => value.includes("*"))).map((field) => ({ manifest, path: `${path}/${field}`, message: `${field} contains "*"` })),
      ),
  },
  {
    id: "RBAC002",
    theme: "rbac",
    severity: "error",
    title: "bindings only grant roles the tree defines (never cluster-admin, admin, edit or system roles)",
    fix: "Render a Role/ClusterRole with only the permissions needed and bind that: a built-in role's permissions cannot be checked here.",
    check: ({ manifests }) =>
      ofKind(manifests, ...bindingKinds)
        .filter((b) => {
          const ref = b.object.roleRef ?? {};
          const defined = manifests.some((m) => m.object.kind === ref.kind && m.object.metadata?.name === ref.name && (ref.kind === "ClusterRole" || m.object.metadata?.namespace === b.object.metadata?.namespace));
          return !defined;
        })
        .map((manifest) => ({ manifest, path: "/roleRef", message: `binds ${manifest.object.roleRef?.kind} ${manifest.object.roleRef?.name}, which this tree does not define` })),
  },
  {
    id: "RBAC003",
    theme: "rbac",
    severity: "error",
    title: "Secrets are readable only by readers the contract names",
    fix: "Remove get/list/watch on secrets, or add the ServiceAccount to secretReaders in core/contract/index.ts.",
    check: ({ manifests }) =>
      rulesOf(manifests).flatMap(({ manifest, rule, path }): Violation[] => {
        const resources: string[] = rule.resources ?? [];
        const verbs: string[] = rule.verbs ?? [];
        const readsSecrets = (resources.includes("secrets") || resources.includes("*")) && ((rule.apiGroups ?? []) as string[]).some((g) => g === "" || g === "*") && verbs.some((v) => ["get", "list", "watch", "*"].includes(v));
        if (!readsSecrets) return [];
        const readers = subjectsOf(manifests, manifest.object).filter((s) => !secretReaders.includes(s));
        return readers.length > 0 || subjectsOf(manifests, manifest.object).length === 0 ? [{ manifest, path, message: `grants reading Secrets${readers.length ? ` to ${readers.join(", ")}` : ""}` }] : [];
      }),
  },
  {
    id: "RBAC005",
    theme: "rbac",
    severity: "error",
    title: "a workload's roles grant only what its record's apiAccess lists, in the scope it lists it",
    fix: "Render the workload's RBAC from its record (apps/lib/rbac.ts recordedAccess), or add the grant to apiAccess in core/contract/workloads.ts if the workload needs it.",
    check: ({ manifests }) =>
      grantsToWorkloads(manifests).flatMap(({ binding, role, workload }): Violation[] => {
        const access = isWorkloadName(workload) ? records[workload].apiAccess : undefined;
        if (!access) return [{ manifest: binding, path: "/subjects", message: `binds ${workload}, whose record grants it no API access` }];
        // A ClusterRoleBinding grants cluster-wide; a RoleBinding, even of a ClusterRole, only in its namespace.
        const cluster = binding.object.kind === "ClusterRoleBinding";
        const grants = cluster ? access.cluster : access.namespaces;
        if (!grants) return [{ manifest: binding, path: "/roleRef", message: `grants ${workload} ${cluster ? "cluster-wide" : "namespaced"} access; its record's apiAccess has no ${cluster ? "cluster" : "namespaces"} grants` }];
        return ((role.object.rules ?? []) as Json[]).flatMap((rule, index) => {
          const extra = permissionsOf(rule).filter((permission) => !permission.granted(grants));
          return extra.length > 0 ? [{ manifest: role, path: `/rules/${index}`, message: `grants ${workload} ${extra.map((permission) => permission.name).join(", ")}${cluster ? " cluster-wide" : ""}, beyond its record's apiAccess` }] : [];
        });
      }),
  },
  {
    id: "RBAC004",
    theme: "rbac",
    severity: "error",
    title: "no privilege-escalation verbs",
    fix: "Remove escalate, bind and impersonate; they let a subject grant itself more.",
    check: ({ manifests }) =>
      rulesOf(manifests).flatMap(({ manifest, rule, path }): Violation[] => {
        const risky = ((rule.verbs ?? []) as string[]).filter((v) => ["escalate", "bind", "impersonate"].includes(v));
        return risky.length > 0 ? [{ manifest, path: `${path}/verbs`, message: `grants ${risky.join(", ")}` }] : [];
      }),
  },
];
