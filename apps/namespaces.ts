import { Namespace } from "kubernetes-models/v1/Namespace";
import { argoCd, namespaceRoles, podSecurityLevels, type NamespaceRole } from "../core/contract/index";
import type { App } from "./lib/app";

// Pod Security admission: each namespace enforces its contract level and warns and audits at
// restricted. Versions are pinned so a cluster upgrade cannot tighten the rules under running
// workloads unannounced.
const podSecurityVersion = "v1.32";
const podSecurityLabels = (role: NamespaceRole) => ({
  "pod-security.kubernetes.io/enforce": podSecurityLevels[role].enforce,
  "pod-security.kubernetes.io/enforce-version": podSecurityVersion,
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/warn-version": podSecurityVersion,
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/audit-version": podSecurityVersion,
});

/** The architecture's namespaces, rendered (Argo CD runs with CreateNamespace=false). */
export const namespaces: App = {
  name: "namespaces",
  group: "platform",
  namespace: "app",
  component: "namespace",
  workloads: [],
  render: (context) =>
    namespaceRoles.map(
      (role) =>
        new Namespace({
          metadata: {
            name: context.settings.namespaces[role],
            labels: podSecurityLabels(role),
            // Pruning or deleting a Namespace deletes everything in it: Argo CD must never do either.
            annotations: { [argoCd.syncOptionsAnnotation]: argoCd.namespaceSyncOptions.join(",") },
          },
        }),
    ),
};
