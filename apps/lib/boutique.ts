// The shape every Online Boutique service shares: one "server" container listening on its
// port, a ClusterIP Service in front, gRPC health probes unless the module says otherwise.
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { servicePorts, type ServingWorkload } from "../../policies/contract";
import type { App, KubeObject, RenderContext } from "./app";
import { boutiqueImage, clusterService, deployment, grpcProbe } from "./workload";

type BoutiqueService = Exclude<ServingWorkload, "redis-cart" | "redis" | "redis-sentinel" | "postgres" | "order-persistence">;

/** "host:port" of a service as its clients dial it (the *_ADDR variables). */
export function address(name: ServingWorkload): string {
  return `${name}:${servicePorts[name].servicePort}`;
}

export interface BoutiqueServiceSpec {
  name: BoutiqueService;
  component: string;
  /** Environment variables besides PORT, in the order they appear. */
  env: (context: RenderContext) => Record<string, string>;
  /** Variables taken from Secrets; they come first, so the plain values can use $(NAME). */
  secretEnv?: (context: RenderContext) => IEnvVar[];
  readinessProbe?: IProbe;
  livenessProbe?: IProbe;
  terminationGracePeriodSeconds?: number;
  /** Set PORT to the container port (every service but cartservice reads it). Default true. */
  portVariable?: boolean;
}

export function boutiqueApp(spec: BoutiqueServiceSpec): App {
  return {
    name: spec.name,
    group: "online-boutique",
    component: spec.component,
    render(context): KubeObject[] {
      const { containerPort, servicePort } = servicePorts[spec.name];
      const env = { ...(spec.portVariable === false ? {} : { PORT: String(containerPort) }), ...spec.env(context) };
      return [
        ...deployment(context, {
          name: spec.name,
          ...(spec.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds } : {}),
          containers: [
            {
              name: "server",
              image: boutiqueImage(context, spec.name),
              ports: [{ name: spec.name === "frontend" ? "http" : "grpc", containerPort, protocol: "TCP" }],
              env: [...(spec.secretEnv?.(context) ?? []), ...Object.entries(env).map(([name, value]) => ({ name, value }))],
              readinessProbe: spec.readinessProbe ?? grpcProbe(containerPort),
              livenessProbe: spec.livenessProbe ?? grpcProbe(containerPort),
            },
          ],
        }),
        clusterService(context, spec.name, servicePort, containerPort, spec.name === "frontend" ? "http" : "grpc"),
      ];
    },
  };
}
