// Network: default deny in every namespace, and a proof that the rendered NetworkPolicies allow
// exactly the contract's flows (plus DNS): a missing flow breaks the app, an extra one is a hole.
import { allowedFlows, clusterDns, isWorkloadName, kubelet, kubeletPort, kubernetesApi, objectStorage, type AllowedFlow, portOf, protocolsOf, reachesNodes, records, workloadNames, type WorkloadName } from "../../core/contract/index";
import type { Settings } from "../../core/settings/schema";
import { objectStorageOf } from "../../core/settings/topology";
import { containersOf, mapSelects, ofKind, podsSelectedBy, podTemplateOf, selectorMatches as selectorMatchesLabels, workloads } from "../engine/objects";
import type { Json, Manifest, PolicyContext, Rule, Violation } from "../engine/types";
import { ANY_PORT, computeReachability, type Endpoint, type Flow, type Protocol, type ReachabilityInput } from "../network/reachability";

/** A documentation address (TEST-NET-3) standing for any client outside the cluster. */
const externalClient: Endpoint = { id: "external", labels: {}, ports: [], ip: "203.0.113.10" };
const dnsId = `${clusterDns.namespace}/kube-dns`;
/**
 * Probes that make a too-wide DNS rule visible: the cluster DNS also serves metrics
 * (clusterDns.metricsPort), so a DNS rule without ports reaches more than DNS; and a pod with
 * kube-dns's labels in another namespace is reached by a DNS rule whose namespaceSelector is {}.
 */
const dnsLookalike: Endpoint = { id: "elsewhere/kube-dns-lookalike", namespace: "elsewhere", labels: { ...clusterDns.podLabels }, ports: [{ port: clusterDns.port, protocol: "UDP" }, { port: clusterDns.port, protocol: "TCP" }] };

/** The API server as the settings place it (IPv4 CIDRs, by the schema): outside the pod network, at the address of its first CIDR. */
function apiServerEndpoint(settings: Settings | undefined): Endpoint | undefined {
  const cidr = settings?.kubernetesApi?.cidrs[0];
  return cidr ? { id: kubernetesApi, labels: {}, ports: [], ip: cidr.split("/")[0]! } : undefined;
}

/**
 * The nodes as the settings place them, at the address of their first CIDR: one endpoint for
 * every kubelet and every pod on the host network (node-exporter), which have the node's address
 * and which NetworkPolicies do not confine (their traffic is the node's).
 */
function nodesEndpoint(settings: Settings | undefined): Endpoint | undefined {
  const cidr = settings?.nodes?.cidrs[0];
  return cidr ? { id: nodesId, labels: {}, ports: [], ip: cidr.split("/")[0]! } : undefined;
}

const nodesId = "nodes";

/** The object storage the settings give (Loki's bucket), at the address of its first CIDR. */
function objectStorageEndpoint(settings: Settings | undefined): Endpoint | undefined {
  const storage = settings ? objectStorageOf(settings) : undefined;
  return storage ? { id: objectStorage, labels: {}, ports: [], ip: storage.cidrs[0]!.split("/")[0]! } : undefined;
}
const onHostNetworkPod = (manifest: Manifest) => podTemplateOf(manifest.object)?.spec?.hostNetwork === true;

/** Contract workloads the tree renders whose pods run on the host network. */
function hostNetworkWorkloads(manifests: Manifest[]): Set<string> {
  return new Set(workloads(manifests).filter(onHostNetworkPod).map((m) => m.object.metadata?.name as string));
}

function reachabilityInput(manifests: Manifest[], settings?: Settings): ReachabilityInput {
  const endpoints: Endpoint[] = workloads(manifests).filter((m) => !onHostNetworkPod(m)).map((m) => ({
      id: `${m.object.metadata?.namespace}/${m.object.metadata?.name}`,
      namespace: m.object.metadata?.namespace,
      labels: podTemplateOf(m.object)?.metadata?.labels ?? {},
      ports: containersOf(m.object)
        .filter((c) => !c.init)
        .flatMap(({ container }) => (container.ports ?? []).map((p: { containerPort: number; protocol?: Protocol; name?: string }) => ({ port: p.containerPort, protocol: p.protocol ?? "TCP", ...(p.name ? { name: p.name } : {}) }))),
    }));
  endpoints.push(
    { id: dnsId, namespace: clusterDns.namespace, labels: { ...clusterDns.podLabels }, ports: [{ port: clusterDns.port, protocol: "UDP" }, { port: clusterDns.port, protocol: "TCP" }, { port: clusterDns.metricsPort, protocol: "TCP" }] },
    dnsLookalike,
    externalClient,
  );
  for (const endpoint of [apiServerEndpoint(settings), nodesEndpoint(settings), objectStorageEndpoint(settings)]) if (endpoint) endpoints.push(endpoint);
  const namespaces = [
    ...ofKind(manifests, "Namespace").map((m) => ({ name: m.object.metadata?.name as string, labels: (m.object.metadata?.labels ?? {}) as Record<string, string> })),
    { name: clusterDns.namespace, labels: {} },
  ];
  const known = new Set(namespaces.map((n) => n.name));
  for (const endpoint of endpoints) if (endpoint.namespace && !known.has(endpoint.namespace)) (known.add(endpoint.namespace), namespaces.push({ name: endpoint.namespace, labels: {} }));
  return { endpoints, namespaces, policies: ofKind(manifests, "NetworkPolicy").map((m) => m.object) };
}

/** Contract workloads the tree runs, by name, as reachability endpoints. */
function workloadEndpoints(input: ReachabilityInput): Map<WorkloadName, Endpoint> {
  const byName = new Map<WorkloadName, Endpoint>();
  for (const endpoint of input.endpoints) {
    const name = endpoint.id.split("/")[1];
    if (endpoint.namespace !== undefined && endpoint.namespace !== clusterDns.namespace && endpoint !== dnsLookalike && isWorkloadName(name)) byName.set(name, endpoint);
  }
  return byName;
}

/** The flows the contract allows, for the workloads this tree renders, in the reachability's terms. */
export function expectedFlows(manifests: Manifest[], settings?: Settings, input = reachabilityInput(manifests, settings)): Flow[] {
  const byName = workloadEndpoints(input);
  const onHost = hostNetworkWorkloads(manifests);
  const rendered = workloadNames.filter((name) => byName.has(name) || onHost.has(name));
  const api = input.endpoints.find((e) => e.id === kubernetesApi);
  const nodes = input.endpoints.find((e) => e.id === nodesId);
  const flows: Flow[] = [];
  // Without the settings the API server's or the nodes' place is unknown; POL001 says so, and an ipBlock to them counts as a hole.
  const toNodes = (from: Endpoint, port: number, protocol: Protocol) => (nodes ? [{ from: from.id, to: nodes.id, port, protocol }] : []);
  for (const flow of allowedFlows(rendered)) {
    // A host-network pod's connections are the node's, which NetworkPolicies do not confine (the contract gives such agents no calls).
    if (flow.from !== "external" && onHost.has(flow.from)) continue;
    const from = flow.from === "external" ? externalClient : byName.get(flow.from)!;
    if (flow.to === kubernetesApi) {
      if (api && settings?.kubernetesApi) flows.push({ from: from.id, to: api.id, port: settings.kubernetesApi.port, protocol: "TCP" });
    } else if (flow.to === kubelet) {
      flows.push(...toNodes(from, kubeletPort, "TCP"));
    } else if (flow.to === objectStorage) {
      // Only where the settings give object storage: elsewhere its users keep their data on volumes.
      const storage = settings ? objectStorageOf(settings) : undefined;
      if (storage) flows.push({ from: from.id, to: objectStorage, port: storage.port, protocol: "TCP" });
    } else {
      const port = portOf(flow.to, flow.port);
      for (const protocol of protocolsOf(port)) flows.push(...(onHost.has(flow.to) ? toNodes(from, port.port, protocol) : [{ from: from.id, to: byName.get(flow.to)!.id, port: port.port, protocol }]));
    }
  }
  for (const endpoint of byName.values()) for (const protocol of ["TCP", "UDP"] as const) flows.push({ from: endpoint.id, to: dnsId, port: clusterDns.port, protocol });
  return flows;
}

const key = (f: Flow) => `${f.from} → ${f.to}:${f.port}/${f.protocol}`;

interface FlowComparison {
  missing: Flow[];
  extra: Flow[];
  actual: Flow[];
  /** Set when the NetworkPolicies cannot be evaluated (the API server would reject one). */
  error?: string;
}

// NET002, NET003 and the CLI's matrix all need the comparison: evaluate it once per tree.
const comparisons = new WeakMap<Manifest[], FlowComparison>();

export function flowDifferences(manifests: Manifest[], settings?: Settings): FlowComparison {
  let comparison = comparisons.get(manifests);
  if (!comparison) {
    try {
      comparison = compareFlows(manifests, settings);
    } catch (error) {
      comparison = { missing: [], extra: [], actual: [], error: (error as Error).message };
    }
    comparisons.set(manifests, comparison);
  }
  return comparison;
}

function compareFlows(manifests: Manifest[], settings: Settings | undefined): FlowComparison {
  const input = reachabilityInput(manifests, settings);
  // Judge only flows with one of our workloads at an end: the cluster DNS, the API server and the
  // outside world talking to each other is not this repository's business.
  const ours = new Set(input.endpoints.filter((e) => e.namespace !== undefined && e.id !== dnsId && e !== dnsLookalike).map((e) => e.id));
  // Any client that is not one of our workloads counts as "external": a pod in another namespace
  // (kube-dns stands in for one) reaching the frontend is the same flow as a browser reaching it.
  const seen = new Set<string>();
  const actual = computeReachability(input)
    .filter((f) => ours.has(f.from) || ours.has(f.to))
    .map((f) => (ours.has(f.from) ? f : { ...f, from: externalClient.id }))
    .filter((f) => (seen.has(key(f)) ? false : (seen.add(key(f)), true)));
  const expected = expectedFlows(manifests, settings, input);
  const actualKeys = new Set(actual.map(key));
  const expectedKeys = new Set(expected.map(key));
  // A flow to an address outside the pod network on any port (ANY_PORT) includes the expected port.
  const allowed = (f: Flow) => actualKeys.has(key(f)) || actualKeys.has(key({ ...f, port: ANY_PORT }));
  return { missing: expected.filter((f) => !allowed(f)), extra: actual.filter((f) => !expectedKeys.has(key(f))), actual };
}

/** Does an egress rule reach only the given addresses (ipBlocks of those CIDRs, no exceptions), on some of the given ports? */
function reachesOnly(rule: Json, cidrs: readonly string[], allowed: readonly { port: number; protocol: string }[]): boolean {
  const peers = (rule.to ?? []) as Json[];
  const ports = (rule.ports ?? []) as Json[];
  return (
    peers.length > 0 &&
    peers.every((peer) => peer.ipBlock && cidrs.includes(peer.ipBlock.cidr) && (peer.ipBlock.except ?? []).length === 0) &&
    ports.length > 0 &&
    ports.every((port) => port.endPort === undefined && allowed.some((a) => a.port === port.port && a.protocol === (port.protocol ?? "TCP")))
  );
}

/** The node ports (kubelet, host-network agents' ports) the contract lets a workload reach. */
function nodePortsOf(workload: string, contractFlows: readonly AllowedFlow[]): { port: number; protocol: string }[] {
  if (!isWorkloadName(workload)) return [];
  return contractFlows
    .filter((flow) => flow.from === workload && reachesNodes(flow))
    .flatMap((flow) => {
      if (flow.to === kubelet) return [{ port: kubeletPort, protocol: "TCP" }];
      if (flow.to === kubernetesApi || flow.to === objectStorage) return [];
      const port = portOf(flow.to, flow.port);
      return protocolsOf(port).map((protocol) => ({ port: port.port, protocol }));
    });
}

/**
 * The matrix probes the outside world with one address (and the API server and the nodes with
 * one each), so an ipBlock that leaves them out would slip through: every ipBlock must admit only
 * flows the contract gives to "external" (ingress to a workload that accepts external clients),
 * to the API server (egress of a workload that uses it, to exactly the settings' addresses and
 * port) or to the nodes (egress of a workload that scrapes them, to exactly the settings' node
 * addresses, on the ports it scrapes there).
 */
function ipBlockHoles(manifests: Manifest[], settings: Settings | undefined): Violation[] {
  const contractFlows = allowedFlows();
  const externallyReachable = new Set(contractFlows.flatMap((f) => (f.from === "external" ? [f.to as string] : [])));
  return ofKind(manifests, "NetworkPolicy").flatMap((manifest) => {
    const selected = workloads(manifests).filter((w) => w.object.metadata?.namespace === manifest.object.metadata?.namespace && selectorMatchesLabels(manifest.object.spec?.podSelector, podTemplateOf(w.object)?.metadata?.labels ?? {}));
    const names = selected.map((w) => w.object.metadata?.name as string);
    const holes: Violation[] = [];
    ((manifest.object.spec?.ingress ?? []) as Json[]).forEach((rule, index) => {
      if (!((rule.from ?? []) as Json[]).some((peer) => peer.ipBlock)) return;
      for (const name of names.filter((name) => !externallyReachable.has(name))) {
        holes.push({ manifest, path: `/spec/ingress/${index}`, message: `ipBlock admits clients outside the cluster to ${name}, which the contract does not expose` });
      }
    });
    const apiUsers = names.length > 0 && names.every((name) => isWorkloadName(name) && records[name].usesKubernetesApi);
    const api = settings?.kubernetesApi;
    const storage = settings ? objectStorageOf(settings) : undefined;
    const storageUsers = names.length > 0 && names.every((name) => isWorkloadName(name) && records[name].usesObjectStorage);
    // The node ports every selected workload may reach (a rule selecting several must suit each).
    const nodePorts = names.length > 0 ? nodePortsOf(names[0]!, contractFlows).filter((p) => names.every((name) => nodePortsOf(name, contractFlows).some((q) => q.port === p.port && q.protocol === p.protocol))) : [];
    ((manifest.object.spec?.egress ?? []) as Json[]).forEach((rule, index) => {
      if (!((rule.to ?? []) as Json[]).some((peer) => peer.ipBlock)) return;
      if (apiUsers && api && reachesOnly(rule, api.cidrs, [{ port: api.port, protocol: "TCP" }])) return;
      if (settings?.nodes && nodePorts.length > 0 && reachesOnly(rule, settings.nodes.cidrs, nodePorts)) return;
      if (storageUsers && storage && reachesOnly(rule, storage.cidrs, [{ port: storage.port, protocol: "TCP" }])) return;
      holes.push({ manifest, path: `/spec/egress/${index}`, message: "ipBlock lets pods connect outside the cluster beyond the API server (settings kubernetesApi) for workloads that use it, the nodes (settings nodes) on the ports the contract scrapes there, and the object storage (settings monitoring.loki.storage) for workloads that keep data there" });
    });
    return holes;
  });
}

function treeFinding(context: PolicyContext, message: string): Violation {
  return { manifest: { file: context.root }, message };
}

function namespacesWithWorkloads(context: PolicyContext): string[] {
  const names = new Set(ofKind(context.manifests, "Namespace").map((m) => m.object.metadata?.name as string));
  for (const name of workloadNames) if (context.settings) names.add(context.settings.namespaces[records[name].namespace]);
  return [...names].sort();
}

export const networkRules: Rule[] = [
  {
    id: "NET001",
    theme: "network",
    severity: "error",
    title: "every namespace denies all ingress and egress by default",
    fix: "Render a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules in the namespace.",
    check: (context) =>
      namespacesWithWorkloads(context)
        .filter(
          (namespace) =>
            !ofKind(context.manifests, "NetworkPolicy").some(
              (np) =>
                np.object.metadata?.namespace === namespace &&
                Object.keys(np.object.spec?.podSelector ?? { x: 1 }).length === 0 &&
                ["Ingress", "Egress"].every((t) => (np.object.spec?.policyTypes ?? []).includes(t)) &&
                (np.object.spec?.ingress ?? []).length === 0 &&
                (np.object.spec?.egress ?? []).length === 0,
            ),
        )
        .map((namespace) => treeFinding(context, `namespace ${namespace} has no default-deny NetworkPolicy (ingress and egress)`)),
  },
  {
    id: "NET002",
    theme: "network",
    severity: "error",
    title: "every flow of the contract is allowed",
    fix: "Allow the flow in both the source's egress and the destination's ingress (apps/network-policies.ts renders them from the workload records).",
    check: (context) => {
      const { missing, error } = flowDifferences(context.manifests, context.settings);
      if (error) return [treeFinding(context, `cannot evaluate the NetworkPolicies: ${error}`)];
      return missing.map((flow) => treeFinding(context, `missing flow ${key(flow)}: the contract needs it, the NetworkPolicies block it`));
    },
  },
  {
    id: "NET003",
    theme: "network",
    severity: "error",
    title: "no flow outside the contract is allowed",
    fix: "Narrow the NetworkPolicy that admits it, or add the call to the client's record (core/contract/workloads.ts, calls) if the architecture needs it.",
    check: (context) => [
      ...flowDifferences(context.manifests, context.settings).extra.map((flow) => treeFinding(context, `extra flow ${key(flow)}: allowed by the NetworkPolicies, not in the contract`)),
      ...ipBlockHoles(context.manifests, context.settings),
    ],
  },
  {
    id: "NET004",
    theme: "network",
    severity: "error",
    title: "every contract workload has its own NetworkPolicy",
    fix: "Render a NetworkPolicy selecting the workload (apps/network-policies.ts does it for contract workloads).",
    check: ({ manifests }) =>
      workloads(manifests)
        .filter((m) => isWorkloadName(m.object.metadata?.name))
        .filter((m) => !ofKind(manifests, "NetworkPolicy").some((np) => np.object.metadata?.namespace === m.object.metadata?.namespace && np.object.spec?.podSelector?.matchLabels?.app === m.object.metadata?.name))
        .map((manifest) => ({ manifest, message: `no NetworkPolicy selects ${manifest.object.metadata?.name} by its app label` })),
  },
  {
    id: "NET005",
    theme: "network",
    severity: "error",
    title: "only ports the contract calls external are exposed outside the cluster",
    fix: "Keep the Service ClusterIP (no LoadBalancer, NodePort or externalIPs) and the Ingress off it: only a port marked external in the workload's record (the frontend's) may be reached from outside.",
    check: ({ manifests }) => [
      ...ofKind(manifests, "Service")
        .filter((s) => s.object.spec?.type === "LoadBalancer" || s.object.spec?.type === "NodePort" || (s.object.spec?.externalIPs ?? []).length > 0)
        .flatMap((service) => unexposable(manifests, service, service.object.metadata?.name, "/spec")),
      ...ofKind(manifests, "Ingress").flatMap((ingress) =>
        ((ingress.object.spec?.rules ?? []) as Json[]).flatMap((rule, r) =>
          ((rule.http?.paths ?? []) as Json[]).flatMap((path, p) => {
            const service = manifests.find((m) => m.object.kind === "Service" && m.object.metadata?.namespace === ingress.object.metadata?.namespace && m.object.metadata?.name === path.backend?.service?.name);
            return service ? unexposable(manifests, service, service.object.metadata?.name, `/spec/rules/${r}/http/paths/${p}/backend`, ingress) : [];
          }),
        ),
      ),
      ...ofKind(manifests, "HTTPRoute").flatMap((route) =>
        ((route.object.spec?.rules ?? []) as Json[]).flatMap((rule, r) =>
          ((rule.backendRefs ?? []) as Json[]).flatMap((backend, b) => {
            const namespace = backend.namespace ?? route.object.metadata?.namespace;
            const service = manifests.find((m) => m.object.kind === "Service" && m.object.metadata?.namespace === namespace && m.object.metadata?.name === backend.name);
            return service ? unexposable(manifests, service, service.object.metadata?.name, `/spec/rules/${r}/backendRefs/${b}`, route) : [];
          }),
        ),
      ),
    ],
  },
  {
    id: "NET006",
    theme: "network",
    severity: "error",
    title: "in production every Ingress host is served over TLS, every HTTPRoute attaches to a named listener",
    fix: "List each host of the Ingress under spec.tls with a certificate Secret (settings frontendExposure.tlsSecretName); attach an HTTPRoute to the Gateway's HTTPS listener by sectionName (settings frontendExposure.gateway.sectionName).",
    check: ({ manifests, settings }) => {
      if (settings && settings.availability.level !== "production") return []; // without settings: fail closed
      const ingresses = ofKind(manifests, "Ingress").flatMap((ingress): Violation[] => {
        const covered = new Set(((ingress.object.spec?.tls ?? []) as Json[]).flatMap((tls) => (tls.secretName ? ((tls.hosts ?? []) as string[]) : [])));
        const hosts = ((ingress.object.spec?.rules ?? []) as Json[]).map((rule) => rule.host ?? "*");
        const plain = hosts.filter((host) => !covered.has(host));
        return plain.length > 0 ? [{ manifest: ingress, path: "/spec/tls", message: `${plain.join(", ")} served without TLS` }] : [];
      });
      // TLS terminates at the Gateway, which is not ours to judge: a route that names no listener
      // attaches to every listener of the Gateway, plain HTTP ones included.
      const routes = ofKind(manifests, "HTTPRoute").flatMap((route) =>
        ((route.object.spec?.parentRefs ?? []) as Json[]).flatMap((parent, index): Violation[] => (parent.sectionName ? [] : [{ manifest: route, path: `/spec/parentRefs/${index}`, message: `attaches to every listener of Gateway ${parent.name}, plain HTTP ones included: name the HTTPS listener (sectionName)` }])),
      );
      return [...ingresses, ...routes];
    },
  },
];

/** Violations when `service` leads outside clients to ports of workloads that the contract does not expose. */
function unexposable(manifests: Manifest[], service: Manifest, name: string, path: string, reportOn: Manifest = service): Violation[] {
  const targets = ((service.object.spec?.ports ?? []) as Json[]).map((port) => port.targetPort ?? port.port);
  return podsSelectedBy(manifests, service.object.metadata?.namespace, (labels) => mapSelects(service.object.spec?.selector, labels)).flatMap((workload): Violation[] => {
    const workloadName = workload.object.metadata?.name;
    const external = isWorkloadName(workloadName) ? Object.entries(records[workloadName].ports ?? {}).filter(([, port]) => port.external) : [];
    const closed = targets.filter((target) => !external.some(([portName, port]) => target === port.port || target === portName));
    return closed.length > 0 ? [{ manifest: reportOn, path, message: `Service ${name} exposes ${workloadName}:${closed.join(", ")} outside the cluster; the contract exposes ${external.length > 0 ? external.map(([, port]) => port.port).join(", ") : "none of its ports"}` }] : [];
  });
}
