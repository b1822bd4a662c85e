// NetworkPolicies from the contract: default deny (ingress and egress) in both namespaces, then
// per running workload exactly the flows its record and its clients' records allow, plus DNS.
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import { allowedFlows, clusterDns, kubernetesApi, namespaceRoles, portOf, records, workloadNames, type AllowedFlow, type WorkloadName } from "../core/contract/index";
import { namespaceOf, type App, type RenderContext } from "./lib/app";
import { selectorLabels } from "./lib/workload";

const namespaceNameLabel = "kubernetes.io/metadata.name";
const tcp = (port: number) => ({ protocol: "TCP" as const, port });

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

/** Ports on which the workload's own pods talk to each other (replication, gossip, scrapers scraping each other). */
function peerPorts(workload: WorkloadName): number[] {
  const record = records[workload];
  return Object.values(record.ports ?? {})
    .filter((port) => port.peers || (port.metrics && record.scrapesMetrics))
    .map((port) => port.port);
}

/** Each named port admits its clients: anyone for an external port, else the calling workloads. */
function ingressRules(context: RenderContext, workload: WorkloadName, inbound: AllowedFlow[], namespace: string): INetworkPolicyIngressRule[] {
  const rules: INetworkPolicyIngressRule[] = [];
  for (const [name, port] of Object.entries(records[workload].ports ?? {})) {
    const clients = inbound.filter((flow) => "port" in flow && flow.port === name).map((flow) => flow.from);
    // External clients (load balancer, node port, ingress controller) have no stable labels: any source.
    if (clients.includes("external")) rules.push({ ports: [tcp(port.port)] });
    const sources = clients.filter((client): client is WorkloadName => client !== "external");
    if (sources.length > 0) rules.push({ from: sources.map((source) => workloadPeer(context, source, namespace)), ports: [tcp(port.port)] });
  }
  return rules;
}

function egressRules(context: RenderContext, outbound: AllowedFlow[], namespace: string): INetworkPolicyEgressRule[] {
  return outbound.map((flow): INetworkPolicyEgressRule => {
    if (flow.to === kubernetesApi) {
      const api = context.settings.kubernetesApi!; // required by the settings check whenever an API user runs
      return { to: api.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(api.port)] };
    }
    return { to: [workloadPeer(context, flow.to, namespace)], ports: [tcp(portOf(flow.to, flow.port).port)] };
  });
}

function workloadPolicy(context: RenderContext, workload: WorkloadName, flows: AllowedFlow[]): NetworkPolicy {
  const namespace = namespaceOf(context, workload);
  const ingress = ingressRules(context, workload, flows.filter((flow) => flow.to === workload), namespace);
  const egress = [dnsEgress, ...egressRules(context, flows.filter((flow) => flow.from === workload), namespace)];
  const peers = peerPorts(workload);
  if (peers.length > 0) {
    const ports = peers.map(tcp);
    ingress.push({ from: [workloadPeer(context, workload, namespace)], ports });
    egress.push({ to: [workloadPeer(context, workload, namespace)], ports });
  }
  return new NetworkPolicy({
    metadata: { name: workload, namespace },
    spec: { podSelector: { matchLabels: selectorLabels(workload) }, policyTypes: ["Ingress", "Egress"], ingress, egress },
  });
}

export const networkPolicies: App = {
  name: "network-policies",
  group: "platform",
  namespace: "app",
  component: "network-policy",
  workloads: [],
  render: (context) => {
    const deployed = workloadNames.filter((name) => context.deployed.has(name));
    const flows = allowedFlows(deployed);
    return [...namespaceRoles.map((role) => defaultDeny(context.settings.namespaces[role])), ...deployed.map((workload) => workloadPolicy(context, workload, flows))];
  },
};
