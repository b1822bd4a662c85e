// Services and addresses for the contract's workloads: ports by name, from the record.
import { Service } from "kubernetes-models/v1/Service";
import { portOf, protocolPortName, protocolsOf, records, type WorkloadName } from "../../core/contract/index";
import { namespaceOf, type RenderContext } from "./app";
import { selectorLabels } from "./workload";

/** The port a workload's Service exposes for a named port (its servicePort, else the container port). */
export function servicePort(workload: WorkloadName, port: string): number {
  const record = portOf(workload, port);
  return record.servicePort ?? record.port;
}

/** The cluster DNS name of a Service of `workload` (default: the one named after it), valid from any namespace. */
export function serviceHost(context: RenderContext, workload: WorkloadName, service: string = workload): string {
  return `${service}.${namespaceOf(context, workload)}.svc.cluster.local`;
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

/** A Service's entries for a named port of a workload: one per protocol it listens on. */
function serviceEntries(workload: WorkloadName, port: string) {
  const record = portOf(workload, port);
  return protocolsOf(record).map((protocol) => ({ name: protocolPortName(port, protocol), port: servicePort(workload, port), targetPort: record.port, protocol }));
}

/** A ClusterIP Service in front of a workload, exposing one named port. */
export function clusterService(context: RenderContext, workload: WorkloadName, port: string, options: ServiceOptions = {}): Service {
  return new Service({
    metadata: { name: options.name ?? workload, namespace: namespaceOf(context, workload) },
    spec: {
      type: "ClusterIP",
      selector: { ...selectorLabels(workload), ...options.selector },
      ports: serviceEntries(workload, port),
    },
  });
}

/** A headless Service (clusterIP: None): stable per-pod DNS names, resolvable before the pods are ready. */
export function headlessService(context: RenderContext, workload: WorkloadName, ports: string | readonly string[], name: string): Service {
  return new Service({
    metadata: { name, namespace: namespaceOf(context, workload) },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(workload),
      // The container ports themselves: peers dial each pod directly.
      ports: [ports].flat().flatMap((port) => serviceEntries(workload, port).map((entry) => ({ ...entry, port: entry.targetPort }))),
    },
  });
}
