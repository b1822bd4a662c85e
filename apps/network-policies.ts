// NetworkPolicies from the contract: default deny (ingress and egress) in both namespaces, then
// per running workload exactly the flows its record and its clients' records allow, plus DNS.
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import { allowedFlows, clusterDns, kubelet, kubeletPort, kubernetesApi, namespaceRoles, objectStorage, onHostNetwork, portOf, protocolsOf, records, workloadNames, type AllowedFlow, type WorkloadName } from "../core/contract/index";
import { objectStorageOf } from "../core/settings/topology";
import { namespaceOf, type App, type RenderContext } from "./lib/app";
import { selectorLabels } from "./lib/workload";

const namespaceNameLabel = "kubernetes.io/metadata.name";
/** A NetworkPolicy's port entries for a named port of a workload: one per protocol it listens on. */
const portEntries = (workload: WorkloadName, port: string) => {
  const record = portOf(workload, port);
  return protocolsOf(record).map((protocol) => ({ protocol, port: record.port }));
};

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

/** Each named port admits its clients: anyone for an external port, else the calling workloads. */
function ingressRules(context: RenderContext, workload: WorkloadName, inbound: AllowedFlow[], namespace: string): INetworkPolicyIngressRule[] {
  const rules: INetworkPolicyIngressRule[] = [];
  for (const name of Object.keys(records[workload].ports ?? {})) {
    const clients = inbound.filter((flow) => "port" in flow && flow.port === name).map((flow) => flow.from);
    const ports = portEntries(workload, name);
    // External clients (load balancer, node port, ingress controller) have no stable labels: any source.
    if (clients.includes("external")) rules.push({ ports });
    const sources = clients.filter((client): client is WorkloadName => client !== "external");
    if (sources.length > 0) rules.push({ from: sources.map((source) => workloadPeer(context, source, namespace)), ports });
  }
  return rules;
}

/**
 * Each flow out: to a workload's pods by labels; to the API server, the kubelets or a workload on
 * the host network by the addresses the settings give (pod selectors do not select the host).
 */
function egressRules(context: RenderContext, outbound: AllowedFlow[], namespace: string): INetworkPolicyEgressRule[] {
  const toAddresses = (cidrs: readonly string[], ports: INetworkPolicyEgressRule["ports"]) => ({ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports });
  // The settings check requires these addresses whenever such a flow runs.
  const nodes = () => context.settings.nodes!.cidrs;
  return outbound.map((flow): INetworkPolicyEgressRule => {
    if (flow.to === kubernetesApi) return toAddresses(context.settings.kubernetesApi!.cidrs, [{ protocol: "TCP", port: context.settings.kubernetesApi!.port }]);
    if (flow.to === kubelet) return toAddresses(nodes(), [{ protocol: "TCP", port: kubeletPort }]);
    if (flow.to === objectStorage) {
      const storage = objectStorageOf(context.settings)!; // flows to it are dropped below when there is none
      return toAddresses(storage.cidrs, [{ protocol: "TCP", port: storage.port }]);
    }
    if (onHostNetwork(flow.to)) return toAddresses(nodes(), portEntries(flow.to, flow.port));
    return { to: [workloadPeer(context, flow.to, namespace)], ports: portEntries(flow.to, flow.port) };
  });
}

function workloadPolicy(context: RenderContext, workload: WorkloadName, flows: AllowedFlow[]): NetworkPolicy {
  const namespace = namespaceOf(context, workload);
  const ingress = ingressRules(context, workload, flows.filter((flow) => flow.to === workload), namespace);
  const egress = [dnsEgress, ...egressRules(context, flows.filter((flow) => flow.from === workload), namespace)];
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
    // Without object storage in the settings, its users keep their data on volumes: no egress to it.
    const flows = allowedFlows(deployed).filter((flow) => flow.to !== objectStorage || objectStorageOf(context.settings) !== undefined);
    return [...namespaceRoles.map((role) => defaultDeny(context.settings.namespaces[role])), ...deployed.map((workload) => workloadPolicy(context, workload, flows))];
  },
};
