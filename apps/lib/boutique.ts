// The shape every Online Boutique service shares: one "server" container listening on its
// port, a ClusterIP Service in front, gRPC health probes unless the module says otherwise.
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { records } from "../../core/contract/index";
import { workloadApp, type App, type KubeObject, type RenderContext } from "./app";
import { address, clusterService, serviceHost } from "./service";
import { deployment, grpcProbe } from "./workload";

/** The ten services of Online Boutique, named as upstream. */
export const onlineBoutiqueServices = [
  "frontend",
  "checkoutservice",
  "productcatalogservice",
  "cartservice",
  "currencyservice",
  "paymentservice",
  "shippingservice",
  "emailservice",
  "recommendationservice",
  "adservice",
] as const;
export type OnlineBoutiqueService = (typeof onlineBoutiqueServices)[number];

export interface BoutiqueServiceSpec {
  name: OnlineBoutiqueService;
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

/** The service's one port: its name and container port, from the contract. */
export function boutiquePort(name: OnlineBoutiqueService): { name: string; port: number } {
  const [port] = records[name].containers.server!.ports!;
  return { name: port!, port: records[name].ports![port!]!.port };
}

/**
 * A service whose record sends traces to the collector gets upstream's switch and the collector's
 * address (another namespace: its full name), so its spans become RED metrics.
 */
function tracingEnv(context: RenderContext, name: OnlineBoutiqueService): Record<string, string> {
  if (!records[name].calls || !("otel-collector" in records[name].calls)) return {};
  return { ENABLE_TRACING: "1", COLLECTOR_SERVICE_ADDR: address(name, "otel-collector", serviceHost(context, "otel-collector")) };
}

export function boutiqueApp(spec: BoutiqueServiceSpec): App {
  const { name: portName, port } = boutiquePort(spec.name);
  return workloadApp({
    name: spec.name,
    component: spec.component,
    workloads: [spec.name],
    render(context): KubeObject[] {
      const env = { ...(spec.portVariable === false ? {} : { PORT: String(port) }), ...spec.env(context), ...tracingEnv(context, spec.name) };
      return [
        ...deployment(context, {
          name: spec.name,
          ...(spec.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds } : {}),
          containers: [
            {
              name: "server",
              env: [...(spec.secretEnv?.(context) ?? []), ...Object.entries(env).map(([name, value]) => ({ name, value }))],
              readinessProbe: spec.readinessProbe ?? grpcProbe(port),
              livenessProbe: spec.livenessProbe ?? grpcProbe(port),
            },
          ],
        }),
        clusterService(context, spec.name, portName),
      ];
    },
  });
}
