// RBAC: no wildcards, no cluster-admin, no Secret reads unless the contract names the reader,
// no privilege-escalation verbs.
import { isWorkloadName, records, secretReaders } from "../../core/contract/index";
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

/** Whether one (group, resource, verb) is among a record's grants. */
function recorded(workload: string, group: string, resource: string, verb: string): boolean {
  const access = isWorkloadName(workload) ? records[workload].apiAccess : undefined;
  return (access?.grants ?? []).some((grant) => grant.apiGroups.includes(group) && grant.resources.includes(resource) && grant.verbs.includes(verb));
}

export const rbacRules: Rule[] = [
  {
    id: "RBAC001",
    theme: "rbac",
    severity: "error",
    title: "no wildcards in roles",
    fix: "List the exact apiGroups, resources and verbs the workload needs.",
    check: ({ manifests }) =>
      rulesOf(manifests).flatMap(({ manifest, rule, path }): Violation[] =>
        (["apiGroups", "resources", "verbs"] as const).filter((field) => ((rule[field] ?? []) as string[]).includes("*")).map((field) => ({ manifest, path: `${path}/${field}`, message: `${field} contains "*"` })),
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
    title: "a workload's roles grant exactly what its record's apiAccess lists, in the scope it names",
    fix: "Render the workload's RBAC from its record (apps/lib/rbac.ts recordedAccess), or add the grant to apiAccess in core/contract/workloads.ts if the workload needs it.",
    check: ({ manifests }) =>
      grantsToWorkloads(manifests).flatMap(({ binding, role, workload }): Violation[] => {
        const access = isWorkloadName(workload) ? records[workload].apiAccess : undefined;
        if (!access) return [{ manifest: binding, path: "/subjects", message: `binds ${workload}, whose record grants it no API access` }];
        const cluster = binding.object.kind === "ClusterRoleBinding";
        if (cluster !== (access.scope === "cluster")) return [{ manifest: binding, path: "/roleRef", message: `grants ${workload} ${cluster ? "cluster-wide" : "namespaced"} access; its record's apiAccess scope is ${access.scope}` }];
        return ((role.object.rules ?? []) as Json[]).flatMap((rule, index) => {
          const triples = ((rule.apiGroups ?? [""]) as string[]).flatMap((group) => ((rule.resources ?? []) as string[]).flatMap((resource) => ((rule.verbs ?? []) as string[]).map((verb) => ({ group, resource, verb }))));
          const extra = triples.filter(({ group, resource, verb }) => !recorded(workload, group, resource, verb));
          return extra.length > 0 ? [{ manifest: role, path: `/rules/${index}`, message: `grants ${workload} ${extra.map(({ group, resource, verb }) => `${verb} ${group ? `${group}/` : ""}${resource}`).join(", ")}, beyond its record's apiAccess` }] : [];
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
