// NetworkPolicies from the contract's flow table: default deny (ingress and egress) in both
// namespaces, then per workload exactly the flows the architecture allows, plus DNS.
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import { allowedFlows, clusterDns, peerPorts, servicePorts, workloadNamespaceRole, type ServingWorkload, type WorkloadName } from "../policies/contract";
import type { App, RenderContext } from "./lib/app";
import { deployedWorkloads } from "./lib/topology";
import { selectorLabels } from "./lib/workload";

const namespaceNameLabel = "kubernetes.io/metadata.name";

function namespaceOf(context: RenderContext, workload: WorkloadName): string {
  return context.settings.namespaces[workloadNamespaceRole[workload]];
}

/** A peer selecting a workload's pods; cross-namespace peers also select the namespace by name. */
function workloadPeer(context: RenderContext, workload: WorkloadName, policyNamespace: string): INetworkPolicyPeer {
  const namespace = namespaceOf(context, workload);
  return {
    podSelector: { matchLabels: selectorLabels(workload) },
    ...(namespace === policyNamespace ? {} : { namespaceSelector: { matchLabels: { [namespaceNameLabel]: namespace } } }),
  };
}

const dnsEgress: INetworkPolicyEgressRule = {
  to: [{ namespaceSelector: { matchLabels: { [namespaceNameLabel]: clusterDns.namespace } }, podSelector: { matchLabels: { ...clusterDns.podLabels } } }],
  ports: [
    { protocol: "UDP", port: clusterDns.port },
    { protocol: "TCP", port: clusterDns.port },
  ],
};

function defaultDeny(namespace: string): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: "default-deny", namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  });
}

function workloadPolicy(context: RenderContext, workload: WorkloadName, deployed: Set<WorkloadName>): NetworkPolicy {
  const namespace = namespaceOf(context, workload);
  const served = workload in servicePorts ? servicePorts[workload as ServingWorkload] : undefined;
  const port = { protocol: "TCP" as const, port: served?.containerPort ?? 0 };
  const ingress: INetworkPolicyIngressRule[] = [];
  const flows = allowedFlows.filter((flow) => deployed.has(flow.to) && (flow.from === "external" || deployed.has(flow.from)));
  const inbound = flows.filter((flow) => flow.to === workload);
  // External clients (load balancer, node port, ingress controller) have no stable labels: any source.
  if (inbound.some((flow) => flow.from === "external")) ingress.push({ ports: [port] });
  const internalSources = inbound.flatMap((flow) => (flow.from === "external" ? [] : [flow.from]));
  if (internalSources.length > 0) ingress.push({ from: internalSources.map((source) => workloadPeer(context, source, namespace)), ports: [port] });

  const egress: INetworkPolicyEgressRule[] = [dnsEgress];
  for (const flow of flows.filter((f) => f.from === workload)) {
    egress.push({ to: [workloadPeer(context, flow.to, namespace)], ports: [{ protocol: "TCP", port: servicePorts[flow.to].containerPort }] });
  }
  // Pods of one workload talking to each other (replication, gossip).
  const peers = peerPorts[workload as ServingWorkload];
  if (peers) {
    const rule = { ports: peers.map((p) => ({ protocol: "TCP" as const, port: p })) };
    ingress.push({ from: [workloadPeer(context, workload, namespace)], ...rule });
    egress.push({ to: [workloadPeer(context, workload, namespace)], ...rule });
  }
  return new NetworkPolicy({
    metadata: { name: workload, namespace },
    spec: { podSelector: { matchLabels: selectorLabels(workload) }, policyTypes: ["Ingress", "Egress"], ingress, egress },
  });
}

function deployedWorkloadPolicies(context: RenderContext): NetworkPolicy[] {
  const deployed = deployedWorkloads(context.settings);
  const present = new Set(deployed);
  return deployed.map((workload) => workloadPolicy(context, workload, present));
}

export const networkPolicies: App = {
  name: "network-policies",
  group: "platform",
  component: "network-policy",
  render: (context) => [
    defaultDeny(context.settings.namespaces.app),
    defaultDeny(context.settings.namespaces.monitoring),
    ...deployedWorkloadPolicies(context),
  ],
};
