// RBAC: no wildcards, no cluster-admin, no Secret reads unless the contract names the reader,
// no privilege-escalation verbs.
import { secretReaders } from "../../core/contract/index";
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
