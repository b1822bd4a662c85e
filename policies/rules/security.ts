// Pod Security "restricted" and the host-access checks of kube-linter, Polaris and kube-score.
// Node agents that need host access are exempted per rule by annotation, with a reason.
import { isWorkloadName, namespaceRoles, podSecurityLevels, records } from "../../core/contract/index";
import { containersOf, ofKind, podSpecOf, podSpecPath, workloads } from "../engine/objects";
import type { Json, Manifest, Rule, Violation } from "../engine/types";

interface ContainerCheck {
  id: string;
  title: string;
  fix: string;
  /** A message when the container (with its pod's context) breaks the rule. */
  broken(container: Json, pod: Json): string | undefined;
}

/** Container settings fall back to the pod's securityContext where Kubernetes does so. */
function effective(container: Json, pod: Json, field: string): unknown {
  return container.securityContext?.[field] ?? pod.securityContext?.[field];
}

const containerChecks: ContainerCheck[] = [
  {
    id: "SEC001",
    title: "containers run as non-root",
    fix: "Set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser.",
    broken: (c, pod) => (effective(c, pod, "runAsNonRoot") !== true ? "may run as root (runAsNonRoot is not true)" : effective(c, pod, "runAsUser") === 0 ? "runs as uid 0" : undefined),
  },
  {
    id: "SEC002",
    title: "no privilege escalation",
    fix: "Set securityContext.allowPrivilegeEscalation: false on the container.",
    broken: (c) => (c.securityContext?.allowPrivilegeEscalation !== false ? "allows privilege escalation" : undefined),
  },
  {
    id: "SEC003",
    title: "all capabilities dropped",
    fix: 'Set securityContext.capabilities.drop: ["ALL"].',
    broken: (c) => (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL") ? "does not drop ALL capabilities" : undefined),
  },
  {
    id: "SEC004",
    title: "no capabilities added beyond NET_BIND_SERVICE",
    fix: "Remove securityContext.capabilities.add (restricted allows only NET_BIND_SERVICE).",
    broken: (c) => {
      const added = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => cap !== "NET_BIND_SERVICE");
      return added.length > 0 ? `adds capabilities ${added.join(", ")}` : undefined;
    },
  },
  {
    id: "SEC005",
    title: "seccomp profile RuntimeDefault or Localhost",
    fix: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
    broken: (c, pod) => {
      const type = (effective(c, pod, "seccompProfile") as Json | undefined)?.type;
      return type === "RuntimeDefault" || type === "Localhost" ? undefined : `has seccomp profile ${type ?? "unset"}`;
    },
  },
  {
    id: "SEC006",
    title: "read-only root filesystem",
    fix: "Set securityContext.readOnlyRootFilesystem: true; mount an emptyDir where the program writes.",
    broken: (c) => (c.securityContext?.readOnlyRootFilesystem !== true ? "has a writable root filesystem" : undefined),
  },
  {
    id: "SEC007",
    title: "not privileged",
    fix: "Remove securityContext.privileged or set it to false.",
    broken: (c) => (c.securityContext?.privileged === true ? "is privileged" : undefined),
  },
  {
    id: "SEC011",
    title: "no host ports",
    fix: "Remove ports[].hostPort; expose the workload through a Service.",
    broken: (c) => {
      const hostPorts = ((c.ports ?? []) as Json[]).filter((p) => p.hostPort !== undefined && p.hostPort !== 0).map((p) => p.hostPort);
      return hostPorts.length > 0 ? `binds host port(s) ${hostPorts.join(", ")}` : undefined;
    },
  },
];

const podFlags: { id: string; field: string; title: string }[] = [
  { id: "SEC008", field: "hostNetwork", title: "no host network" },
  { id: "SEC009", field: "hostPID", title: "no host PID namespace" },
  { id: "SEC010", field: "hostIPC", title: "no host IPC namespace" },
];

/** Why a hostPath volume is more than the workload's record grants (another path, or mounted writable), if it is. */
function beyondRecordedHostPath(workload: Json, volume: Json): string | undefined {
  const name = workload.metadata?.name;
  const granted = isWorkloadName(name) ? records[name].hostAccess?.hostPaths?.volumes[volume.name] : undefined;
  if (granted !== volume.hostPath.path) return "which its record's hostAccess does not grant";
  const writable = containersOf(workload).filter(({ container }) => ((container.volumeMounts ?? []) as Json[]).some((mount) => mount.name === volume.name && mount.readOnly !== true));
  return writable.length > 0 ? `writable in container ${writable.map(({ container }) => container.name).join(", ")}` : undefined;
}

/** Every security rule is an error of the security theme. */
function rule(id: string, title: string, fix: string, check: Rule["check"]): Rule {
  return { id, theme: "security", severity: "error", title, fix, check };
}

export const securityRules: Rule[] = [
  ...containerChecks.map((c) =>
    rule(c.id, c.title, c.fix, ({ manifests }) =>
      workloads(manifests).flatMap((manifest) => {
        const pod = podSpecOf(manifest.object)!;
        return containersOf(manifest.object).flatMap(({ container, path }): Violation[] => {
          const message = c.broken(container, pod);
          return message ? [{ manifest, path: `${path}/securityContext`, message: `container ${container.name} ${message}` }] : [];
        });
      }),
    ),
  ),
  ...podFlags.map((flag) =>
    rule(flag.id, flag.title, `Remove spec.${flag.field} (or exempt a node agent with a reason).`, ({ manifests }) =>
      workloads(manifests)
        .filter((m) => podSpecOf(m.object)![flag.field] === true)
        .map((manifest) => ({ manifest, path: `${podSpecPath(manifest.object)}/${flag.field}`, message: `pod uses ${flag.field}` })),
    ),
  ),
  rule("SEC012", "no hostPath volumes", "Use emptyDir, a ConfigMap or a PVC instead of hostPath (or grant a node agent the path, with a reason, in its record's hostAccess).", ({ manifests }) =>
    workloads(manifests).flatMap((manifest) =>
      ((podSpecOf(manifest.object)!.volumes ?? []) as Json[])
        .map((volume, index) => ({ volume, index }))
        .filter(({ volume }) => volume.hostPath)
        .map(({ volume, index }): Violation => {
          const path = `${podSpecPath(manifest.object)}/volumes/${index}`;
          const message = `volume ${volume.name} mounts host path ${volume.hostPath.path}`;
          // An exemption covers only the record's paths, mounted read-only.
          const beyond = beyondRecordedHostPath(manifest.object, volume);
          return beyond ? { manifest, path, message: `${message}, ${beyond}`, exemptable: false } : { manifest, path, message };
        }),
    ),
  ),
  rule(
    "SEC013",
    "API credentials are mounted only by workloads that use the API",
    "Set automountServiceAccountToken: false on the pod or its ServiceAccount, or mark the workload's record usesKubernetesApi (core/contract/workloads.ts).",
    ({ manifests }) =>
      workloads(manifests).flatMap((manifest): Violation[] => {
        const pod = podSpecOf(manifest.object)!;
        const name = manifest.object.metadata?.name;
        if (pod.automountServiceAccountToken === false || (isWorkloadName(name) && records[name].usesKubernetesApi)) return [];
        const account = manifests.find((m) => m.object.kind === "ServiceAccount" && m.object.metadata?.namespace === manifest.object.metadata?.namespace && m.object.metadata?.name === (pod.serviceAccountName ?? "default"));
        if (pod.automountServiceAccountToken === undefined && account?.object.automountServiceAccountToken === false) return [];
        return [{ manifest, path: podSpecPath(manifest.object), message: "mounts a Kubernetes API token, and its record does not say it uses the API" }];
      }),
  ),
  rule("SEC014", "namespaces enforce their contract's Pod Security level and warn and audit at restricted", "Label the Namespace pod-security.kubernetes.io/enforce with its level in core/contract (podSecurityLevels), warn and audit with restricted.", ({ manifests, settings }) =>
    ofKind(manifests, "Namespace").flatMap((manifest: Manifest): Violation[] => {
      const labels = manifest.object.metadata?.labels ?? {};
      const role = namespaceRoles.find((r) => settings?.namespaces[r] === manifest.object.metadata?.name);
      const expected = { enforce: role ? podSecurityLevels[role].enforce : "restricted", warn: "restricted", audit: "restricted" };
      return Object.entries(expected)
        .filter(([mode, level]) => labels[`pod-security.kubernetes.io/${mode}`] !== level)
        .map(([mode, level]) => ({ manifest, path: "/metadata/labels", message: `namespace ${mode}s Pod Security ${labels[`pod-security.kubernetes.io/${mode}`] ?? "nothing"}, expected ${level}${mode === "enforce" && role ? ` (${podSecurityLevels[role].why})` : ""}` }));
    }),
  ),
];
