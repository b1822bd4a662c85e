// RBAC for workloads that use the Kubernetes API (the record says so): a role with exactly the
// rules given, bound to the workload's own ServiceAccount.
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import { namespaceRoles, records, type ApiGrant, type WorkloadName } from "../../core/contract/index";
import { namespaceOf, type KubeObject, type RenderContext } from "./app";

const rbacGroup = "rbac.authorization.k8s.io";

function subject(context: RenderContext, workload: WorkloadName) {
  if (!records[workload].usesKubernetesApi) throw new Error(`core/contract: workload ${workload} gets RBAC but its record does not say usesKubernetesApi`);
  return { kind: "ServiceAccount", name: workload, namespace: namespaceOf(context, workload) };
}

/**
 * A ClusterRole and its binding: for what only a cluster-wide grant allows (nodes, or every
 * namespace). Named after namespace and workload, as cluster-scoped names are shared.
 */
export function clusterAccess(context: RenderContext, workload: WorkloadName, rules: IPolicyRule[]): KubeObject[] {
  const name = `${namespaceOf(context, workload)}-${workload}`;
  return [
    new ClusterRole({ metadata: { name }, rules }),
    new ClusterRoleBinding({ metadata: { name }, roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name }, subjects: [subject(context, workload)] }),
  ];
}

/** The RBAC the workload's record grants it (apiAccess): a Role in each namespace, a ClusterRole, or both. */
export function recordedAccess(context: RenderContext, workload: WorkloadName): KubeObject[] {
  const access = records[workload].apiAccess;
  if (!access) throw new Error(`core/contract: workload ${workload} gets RBAC but its record has no apiAccess`);
  const namespaced = access.namespaces ? namespaceRoles.flatMap((role) => namespaceAccess(context, workload, access.namespaces!.map(policyRule), context.settings.namespaces[role])) : [];
  const cluster = access.cluster ? clusterAccess(context, workload, access.cluster.map(policyRule)) : [];
  return [...namespaced, ...cluster];
}

/** A record's grant as a role's rule (copies: the record is read-only). */
function policyRule(grant: ApiGrant): IPolicyRule {
  return "nonResourceURLs" in grant ? { nonResourceURLs: [...grant.nonResourceURLs], verbs: [...grant.verbs] } : { apiGroups: [...grant.apiGroups], resources: [...grant.resources], verbs: [...grant.verbs] };
}

/** A Role and its binding in one namespace (the workload's own unless given). */
export function namespaceAccess(context: RenderContext, workload: WorkloadName, rules: IPolicyRule[], namespace = namespaceOf(context, workload)): KubeObject[] {
  return [
    new Role({ metadata: { name: workload, namespace }, rules }),
    new RoleBinding({ metadata: { name: workload, namespace }, roleRef: { apiGroup: rbacGroup, kind: "Role", name: workload }, subjects: [subject(context, workload)] }),
  ];
}
