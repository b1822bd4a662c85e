// Health probes on every long-running container, aimed at ports the container has.
import { containersOf, longRunningKinds, workloads } from "../engine/objects";
import type { Json, Rule, Violation } from "../engine/types";

function longRunningContainers(manifests: Parameters<typeof workloads>[0]) {
  return workloads(manifests)
    .filter((m) => longRunningKinds.has(m.object.kind))
    .flatMap((manifest) => containersOf(manifest.object).filter((c) => !c.init).map((ref) => ({ manifest, ...ref })));
}

function probePort(probe: Json): number | string | undefined {
  return probe.grpc?.port ?? probe.httpGet?.port ?? probe.tcpSocket?.port;
}

function missingProbeRule(id: string, probe: "readinessProbe" | "livenessProbe", title: string, fix: string): Rule {
  return {
    id,
    theme: "probes",
    severity: "error",
    title,
    fix,
    check: ({ manifests }) =>
      longRunningContainers(manifests)
        .filter(({ container }) => !container[probe])
        .map(({ manifest, container, path }) => ({ manifest, path, message: `container ${container.name} has no ${probe}` })),
  };
}

export const probeRules: Rule[] = [
  missingProbeRule("PRB001", "readinessProbe", "long-running containers have a readiness probe", "Add readinessProbe (grpc, httpGet or tcpSocket) so traffic only reaches ready pods."),
  missingProbeRule("PRB002", "livenessProbe", "long-running containers have a liveness probe", "Add livenessProbe so a hung process is restarted."),
  {
    id: "PRB003",
    theme: "probes",
    severity: "error",
    title: "probes target a port the container declares",
    fix: "Point the probe at one of the container's ports (number or name).",
    check: ({ manifests }) =>
      longRunningContainers(manifests).flatMap(({ manifest, container, path }) =>
        (["readinessProbe", "livenessProbe", "startupProbe"] as const).flatMap((kind): Violation[] => {
          const probe = container[kind];
          if (!probe || probe.exec) return [];
          const port = probePort(probe);
          const ports: Json[] = container.ports ?? [];
          const declared = typeof port === "number" ? ports.some((p) => p.containerPort === port) : ports.some((p) => p.name === port);
          return declared ? [] : [{ manifest, path: `${path}/${kind}`, message: `container ${container.name} ${kind} targets port ${String(port)}, which the container does not declare` }];
        }),
      ),
  },
];
