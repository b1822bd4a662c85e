// Services and addresses for the contract's workloads: ports by name, from the record.
import { Service } from "kubernetes-models/v1/Service";
import { portOf, records, type WorkloadName } from "../../core/contract/index";
import { namespaceOf, type RenderContext } from "./app";
import { selectorLabels } from "./workload";

/** The port a workload's Service exposes for a named port (its servicePort, else the container port). */
export function servicePort(workload: WorkloadName, port: string): number {
  const record = portOf(workload, port);
  return record.servicePort ?? record.port;
}

/**
 * "host:port" by which `client` dials `server` (the *_ADDR variables): the port its record's
 * calls name, so an address exists only for a flow the contract allows (and its NetworkPolicies open).
 */
export function address(client: WorkloadName, server: WorkloadName, host: string = server): string {
  return `${host}:${calledPort(client, server)}`;
}

/** The Service port by which `client` calls `server`; throws when the client's record has no such call. */
export function calledPort(client: WorkloadName, server: WorkloadName): number {
  const port = records[client].calls?.[server];
  if (port === undefined) throw new Error(`core/contract: workload ${client} has no call to ${server}; add it to ${client}'s calls`);
  return servicePort(server, port);
}

export interface ServiceOptions {
  /** Service name; default: the workload's. */
  name?: string;
  /** Labels added to the workload's selector (e.g. one StatefulSet ordinal). */
  selector?: Record<string, string>;
}

/** A ClusterIP Service in front of a workload, exposing one named port. */
export function clusterService(context: RenderContext, workload: WorkloadName, port: string, options: ServiceOptions = {}): Service {
  return new Service({
    metadata: { name: options.name ?? workload, namespace: namespaceOf(context, workload) },
    spec: {
      type: "ClusterIP",
      selector: { ...selectorLabels(workload), ...options.selector },
      ports: [{ name: port, port: servicePort(workload, port), targetPort: portOf(workload, port).port, protocol: "TCP" }],
    },
  });
}

/** A headless Service (clusterIP: None): stable per-pod DNS names, resolvable before the pods are ready. */
export function headlessService(context: RenderContext, workload: WorkloadName, port: string, name: string): Service {
  const { port: number } = portOf(workload, port);
  return new Service({
    metadata: { name, namespace: namespaceOf(context, workload) },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(workload),
      ports: [{ name: port, port: number, targetPort: number, protocol: "TCP" }],
    },
  });
}
