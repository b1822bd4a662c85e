// Who can reach whom under Kubernetes NetworkPolicies (networking.k8s.io/v1).
//
// The policy engine compares the flows computed here with the architecture contract: a missing
// flow means the application is broken, an extra flow is a hole. This module only computes the
// matrix; it never judges it.
//
// Semantics follow the Kubernetes API reference and the API server's defaulting/validation:
// - A->B:port/proto is allowed iff A's egress allows it AND B's ingress allows it.
// - A pod is isolated in a direction iff a policy of its namespace selects it and has that
//   policy type; isolated pods get the union of the matching policies' rules, nothing more.
// - ipBlock peers are evaluated only against external endpoints: pod IPs are not known here
//   (and pod IPs are ephemeral, which is why Kubernetes itself says ipBlock is meant for
//   cluster-external addresses), so an ipBlock never matches an in-cluster endpoint.
// - Destinations outside the cluster have no listening ports we know of, so their ports are taken
//   from the egress rules that admit them (see externalCandidatePorts); ANY_PORT (0) means
//   "every port of that protocol".
import { isIPv4 } from "node:net";
import { cidrContains, parseCidr, type Cidr } from "../../core/cidr";
import { byCodeUnits } from "../../core/sort";

export type Protocol = "TCP" | "UDP" | "SCTP";
export interface Endpoint {
  /** "namespace/name" for a workload, or "external" for a client outside the cluster */
  id: string;
  namespace?: string; // absent for external
  labels: Record<string, string>; // pod template labels (empty for external)
  /** ports the endpoint's pods listen on (containerPort), with optional port names */
  ports: { port: number; protocol: Protocol; name?: string }[];
  /** IPv4 address used to evaluate ipBlock peers; only for external endpoints (e.g. "203.0.113.10") */
  ip?: string;
}
export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
} // the evaluator adds kubernetes.io/metadata.name=<name> itself
export interface Flow {
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
}
export interface ReachabilityInput {
  endpoints: Endpoint[]; // workloads in the cluster (incl. e.g. kube-system/kube-dns) and one or more external endpoints
  namespaces: NamespaceInfo[]; // every namespace an endpoint lives in
  policies: Record<string, any>[]; // NetworkPolicy objects (apiVersion, kind, metadata{name,namespace}, spec)
}

/** Port number meaning "any port of this protocol"; only used for destinations outside the cluster. */
export const ANY_PORT = 0;
const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];
/** Label the API server puts on every namespace; selectors commonly rely on it. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

// ---------------------------------------------------------------------------------------------
// Normalised model: the raw YAML-shaped objects are validated once and turned into these types,
// so the evaluation below never has to deal with absent/null/defaulted fields.
// ---------------------------------------------------------------------------------------------

type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist";
interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}
interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: Requirement[];
}
type Peer =
  /** At least one selector is set; an unset one means "not restricted by this dimension". */
  | { kind: "selector"; podSelector?: Selector; namespaceSelector?: Selector }
  | { kind: "ipBlock"; cidr: Cidr; except: Cidr[] };
interface RulePort {
  protocol: Protocol;
  /** undefined = every port of the protocol; string = named port */
  port?: number | string;
  endPort?: number;
}
interface Rule {
  /** undefined = any peer (field absent or empty) */
  peers?: Peer[];
  /** undefined = any port and protocol (field absent or empty) */
  ports?: RulePort[];
}
interface Policy {
  /** "namespace/name" */
  id: string;
  namespace: string;
  podSelector: Selector;
  /** undefined = the policy does not have this policy type, so it does not isolate in that direction */
  ingress?: Rule[];
  egress?: Rule[];
}
interface Model {
  endpoints: Map<string, Endpoint>;
  namespaceLabels: Map<string, Record<string, string>>;
  policies: Policy[];
  /** isolatingPolicies' answers by "direction endpoint-id" */
  isolating: Map<string, Policy[]>;
}
type Direction = "ingress" | "egress";
interface Connection {
  source: Endpoint;
  destination: Endpoint;
  port: number; // ANY_PORT for "any port" towards an external destination
  protocol: Protocol;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** Every allowed (from, to, port, protocol) with from ≠ to, sorted by from, to, port, protocol. */
export function computeReachability(input: ReachabilityInput): Flow[] {
  const model = buildModel(input);
  const flows: Flow[] = [];
  for (const source of model.endpoints.values()) {
    for (const destination of model.endpoints.values()) {
      // A workload to itself: its pods talking to each other (replication, gossip), which its
      // own policies must allow in both directions like any other flow.
      if (isExternal(source) && isExternal(destination)) continue; // not our cluster's business
      // Which rules admit this pair is decided once for the pair; only their ports vary per port.
      const egress = rulesAdmitting(model, "egress", source, destination);
      const ingress = rulesAdmitting(model, "ingress", destination, source);
      if (egress?.length === 0 || ingress?.length === 0) continue;
      for (const { port, protocol } of candidatePorts(model, source, destination)) {
        const connection: Connection = { source, destination, port, protocol };
        if (portAdmitted(egress, connection) && portAdmitted(ingress, connection)) flows.push({ from: source.id, to: destination.id, port, protocol });
      }
    }
  }
  return sortFlows(collapseAnyPort(dedupeFlows(flows)));
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

function isExternal(endpoint: Endpoint): boolean {
  return endpoint.namespace === undefined;
}

/**
 * The rules of the policies isolating `subject` in this direction whose peers match `peer`
 * (the destination for egress, the source for ingress); undefined when no policy isolates the
 * subject, so every connection is allowed in this direction.
 */
function rulesAdmitting(model: Model, direction: Direction, subject: Endpoint, peer: Endpoint): Rule[] | undefined {
  const policies = isolatingPolicies(model, subject, direction);
  if (policies.length === 0) return undefined;
  return policies.flatMap((policy) => (policy[direction] ?? []).filter((rule) => rulePeersMatch(model, policy, rule, peer)));
}

function portAdmitted(rules: Rule[] | undefined, connection: Connection): boolean {
  return rules === undefined || rules.some((rule) => rulePortsMatch(rule, connection));
}

/** Policies of the endpoint's namespace that select it and have the given policy type (worked out once per endpoint and direction). */
function isolatingPolicies(model: Model, endpoint: Endpoint, direction: Direction): Policy[] {
  if (isExternal(endpoint)) return []; // outside the cluster: no NetworkPolicy applies
  const key = `${direction} ${endpoint.id}`;
  let policies = model.isolating.get(key);
  if (policies === undefined) {
    policies = model.policies.filter(
      (policy) => policy.namespace === endpoint.namespace && policy[direction] !== undefined && selectorMatches(policy.podSelector, endpoint.labels),
    );
    model.isolating.set(key, policies);
  }
  return policies;
}

function rulePeersMatch(model: Model, policy: Policy, rule: Rule, peer: Endpoint): boolean {
  if (rule.peers === undefined) return true; // from/to absent or empty: every pod and every IP
  return rule.peers.some((candidate) => peerMatches(model, policy, candidate, peer));
}

function peerMatches(model: Model, policy: Policy, peer: Peer, endpoint: Endpoint): boolean {
  if (peer.kind === "ipBlock") {
    // Pod IPs are unknown here, so an ipBlock only ever describes external endpoints.
    if (!isExternal(endpoint) || endpoint.ip === undefined) return false;
    return cidrContains(peer.cidr, endpoint.ip) && !peer.except.some((except) => cidrContains(except, endpoint.ip as string));
  }
  if (isExternal(endpoint)) return false; // selectors only ever select pods
  const namespace = endpoint.namespace as string;
  // Without a namespaceSelector, a podSelector is confined to the policy's own namespace.
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? namespace === policy.namespace
      : selectorMatches(peer.namespaceSelector, model.namespaceLabels.get(namespace) ?? {});
  const podOk = peer.podSelector === undefined || selectorMatches(peer.podSelector, endpoint.labels);
  return namespaceOk && podOk;
}

function rulePortsMatch(rule: Rule, connection: Connection): boolean {
  if (rule.ports === undefined) return true; // ports absent or empty: all ports, all protocols
  return rule.ports.some((rulePort) => portMatches(rulePort, connection));
}

function portMatches(rulePort: RulePort, connection: Connection): boolean {
  if (rulePort.protocol !== connection.protocol) return false;
  if (rulePort.port === undefined) return true; // every port of the protocol
  if (connection.port === ANY_PORT) return false; // "any port" is only admitted by an unrestricted rule port
  if (typeof rulePort.port === "number") {
    const last = rulePort.endPort ?? rulePort.port;
    return connection.port >= rulePort.port && connection.port <= last;
  }
  // Named ports are resolved against the destination's container ports, for ingress and egress
  // alike; an external destination has no named ports, so a name never matches it.
  if (isExternal(connection.destination)) return false;
  const name = rulePort.port;
  return connection.destination.ports.some((p) => p.name === name && p.protocol === connection.protocol && p.port === connection.port);
}

function selectorMatches(selector: Selector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  return selector.matchExpressions.every((requirement) => requirementMatches(requirement, labels));
}

function requirementMatches(requirement: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case "In":
      return has && requirement.values.includes(value as string);
    case "NotIn":
      return !has || !requirement.values.includes(value as string); // absent key matches NotIn
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

// ---------------------------------------------------------------------------------------------
// Which (port, protocol) pairs to evaluate for a source/destination pair
// ---------------------------------------------------------------------------------------------

interface PortProtocol {
  port: number;
  protocol: Protocol;
}

function candidatePorts(model: Model, source: Endpoint, destination: Endpoint): PortProtocol[] {
  if (isExternal(destination)) return externalCandidatePorts(model, source, destination);
  return uniquePorts(destination.ports.map(({ port, protocol }) => ({ port, protocol })));
}

/**
 * An external destination listens on no port we know of, so its ports come from the egress rules
 * that admit it: each numeric port of a rule, both bounds of an endPort range (ranges are
 * summarised by their bounds), and ANY_PORT for a rule or rule port that does not restrict ports.
 * A source without egress isolation reaches it on ANY_PORT of every protocol. Named ports are
 * skipped: they cannot match an external endpoint. Every candidate is still checked against both directions' rules.
 */
function externalCandidatePorts(model: Model, source: Endpoint, destination: Endpoint): PortProtocol[] {
  const anyPortOfEvery = PROTOCOLS.map((protocol) => ({ port: ANY_PORT, protocol }));
  const policies = isolatingPolicies(model, source, "egress");
  if (policies.length === 0) return anyPortOfEvery;
  const candidates: PortProtocol[] = [];
  for (const policy of policies) {
    for (const rule of policy.egress ?? []) {
      if (!rulePeersMatch(model, policy, rule, destination)) continue;
      if (rule.ports === undefined) {
        candidates.push(...anyPortOfEvery);
        continue;
      }
      for (const rulePort of rule.ports) {
        if (rulePort.port === undefined) candidates.push({ port: ANY_PORT, protocol: rulePort.protocol });
        else if (typeof rulePort.port === "number") {
          candidates.push({ port: rulePort.port, protocol: rulePort.protocol });
          if (rulePort.endPort !== undefined) candidates.push({ port: rulePort.endPort, protocol: rulePort.protocol });
        }
      }
    }
  }
  return uniquePorts(candidates);
}

function uniquePorts(ports: PortProtocol[]): PortProtocol[] {
  const seen = new Set<string>();
  return ports.filter(({ port, protocol }) => {
    const key = `${port}/${protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function flowKey(flow: Flow): string {
  return JSON.stringify([flow.from, flow.to, flow.port, flow.protocol]);
}

function dedupeFlows(flows: Flow[]): Flow[] {
  const byKey = new Map(flows.map((flow) => [flowKey(flow), flow]));
  return [...byKey.values()];
}

/** A specific port is redundant next to ANY_PORT of the same pair and protocol; keep the matrix canonical. */
function collapseAnyPort(flows: Flow[]): Flow[] {
  const anyPort = new Set(flows.filter((f) => f.port === ANY_PORT).map((f) => flowKey(f)));
  return flows.filter((f) => f.port === ANY_PORT || !anyPort.has(flowKey({ ...f, port: ANY_PORT })));
}

function sortFlows(flows: Flow[]): Flow[] {
  return [...flows].sort(
    (a, b) => byCodeUnits(a.from, b.from) || byCodeUnits(a.to, b.to) || a.port - b.port || byCodeUnits(a.protocol, b.protocol),
  );
}

// ---------------------------------------------------------------------------------------------
// Input validation and normalisation
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function buildModel(input: ReachabilityInput): Model {
  if (!isRecord(input)) throw new Error("reachability: input must be an object with endpoints, namespaces and policies");
  for (const field of ["endpoints", "namespaces", "policies"] as const) {
    if (!Array.isArray(input[field])) throw new Error(`reachability: input.${field} must be an array`);
  }
  const namespaceLabels = buildNamespaceLabels(input.namespaces);
  const endpoints = new Map<string, Endpoint>();
  for (const endpoint of input.endpoints) {
    validateEndpoint(endpoint, namespaceLabels);
    if (endpoints.has(endpoint.id)) throw new Error(`reachability: duplicate endpoint id ${JSON.stringify(endpoint.id)}`);
    endpoints.set(endpoint.id, endpoint);
  }
  const policies = input.policies.map((raw, index) => parsePolicy(raw, index));
  const ids = new Set<string>();
  for (const policy of policies) {
    if (ids.has(policy.id)) throw new Error(`NetworkPolicy ${policy.id}: defined more than once`);
    ids.add(policy.id);
  }
  return { endpoints, namespaceLabels, policies, isolating: new Map() };
}

function buildNamespaceLabels(namespaces: NamespaceInfo[]): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  for (const namespace of namespaces) {
    if (!isRecord(namespace) || typeof namespace.name !== "string" || namespace.name === "") {
      throw new Error(`reachability: every namespace needs a non-empty name, got ${JSON.stringify(namespace)}`);
    }
    if (result.has(namespace.name)) throw new Error(`reachability: namespace ${namespace.name} is listed twice`);
    validateLabels(namespace.labels ?? {}, `namespace ${namespace.name}`);
    // The API server sets this label on every namespace (and it cannot be changed), so selectors may rely on it.
    result.set(namespace.name, { ...namespace.labels, [NAMESPACE_NAME_LABEL]: namespace.name });
  }
  return result;
}

function validateLabels(labels: unknown, owner: string): void {
  if (!isRecord(labels)) throw new Error(`reachability: labels of ${owner} must be an object`);
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== "string") throw new Error(`reachability: label ${key} of ${owner} must be a string, got ${JSON.stringify(value)}`);
  }
}

function validateEndpoint(endpoint: Endpoint, namespaceLabels: Map<string, Record<string, string>>): void {
  if (!isRecord(endpoint) || typeof endpoint.id !== "string" || endpoint.id === "") {
    throw new Error(`reachability: every endpoint needs a non-empty id, got ${JSON.stringify(endpoint)}`);
  }
  const owner = `endpoint ${endpoint.id}`;
  validateLabels(endpoint.labels, owner);
  if (endpoint.namespace !== undefined && !namespaceLabels.has(endpoint.namespace)) {
    throw new Error(`reachability: ${owner} lives in namespace ${endpoint.namespace}, which is missing from input.namespaces`);
  }
  if (!Array.isArray(endpoint.ports)) throw new Error(`reachability: ${owner} needs a ports array`);
  for (const p of endpoint.ports) {
    if (!isRecord(p) || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535 || !PROTOCOLS.includes(p.protocol)) {
      throw new Error(`reachability: ${owner} has an invalid port ${JSON.stringify(p)} (port 1-65535, protocol TCP/UDP/SCTP)`);
    }
  }
  if (endpoint.ip !== undefined && !isIPv4(endpoint.ip)) {
    throw new Error(`reachability: ${owner} has ip ${JSON.stringify(endpoint.ip)}, which is not an IPv4 address`);
  }
}

/** Throws an Error prefixed with the policy's identity, so a bad manifest is easy to find. */
function fail(policyLabel: string, message: string): never {
  throw new Error(`NetworkPolicy ${policyLabel}: ${message}`);
}

function parsePolicy(raw: Record<string, any>, index: number): Policy {
  if (!isRecord(raw)) throw new Error(`reachability: policies[${index}] is not an object`);
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  const name: unknown = metadata.name;
  const namespace: unknown = metadata.namespace;
  const nameLabel = typeof name === "string" && name !== "" ? name : `policies[${index}] (no metadata.name)`;
  if (typeof name !== "string" || name === "") fail(nameLabel, "metadata.name is missing");
  // A manifest without a namespace would land in whatever namespace kubectl targets; we cannot guess which.
  if (typeof namespace !== "string" || namespace === "") fail(name, "metadata.namespace is missing; every NetworkPolicy must name its namespace");
  const id = `${namespace}/${name}`;
  if (raw.kind !== undefined && raw.kind !== "NetworkPolicy") fail(id, `kind is ${JSON.stringify(raw.kind)}, expected NetworkPolicy`);
  if (raw.apiVersion !== undefined && raw.apiVersion !== "networking.k8s.io/v1") {
    fail(id, `apiVersion is ${JSON.stringify(raw.apiVersion)}, expected networking.k8s.io/v1`);
  }
  const spec = raw.spec ?? {};
  if (!isRecord(spec)) fail(id, "spec must be an object");

  const types = policyTypes(spec, id);
  const policy: Policy = {
    id,
    namespace,
    // podSelector {} (or absent) selects every pod of the namespace.
    podSelector: parseSelector(spec.podSelector ?? {}, id, "spec.podSelector"),
  };
  if (types.has("Ingress")) policy.ingress = parseRules(spec.ingress, "ingress", id);
  if (types.has("Egress")) policy.egress = parseRules(spec.egress, "egress", id);
  return policy;
}

/**
 * The policy types after API-server defaulting. When policyTypes is absent or empty, Kubernetes
 * sets Ingress always, and Egress only when spec.egress has at least one rule
 * (SetDefaults_NetworkPolicy: `len(obj.Spec.Egress) != 0`). So `egress: []` without policyTypes
 * does NOT isolate egress in a real cluster; reporting it as deny-all would hide a hole.
 */
function policyTypes(spec: Record<string, any>, id: string): Set<"Ingress" | "Egress"> {
  const declared: unknown = spec.policyTypes;
  if (declared === undefined || declared === null || (Array.isArray(declared) && declared.length === 0)) {
    const types = new Set<"Ingress" | "Egress">(["Ingress"]);
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.add("Egress");
    return types;
  }
  if (!Array.isArray(declared)) fail(id, "spec.policyTypes must be a list");
  const types = new Set<"Ingress" | "Egress">();
  for (const type of declared) {
    if (type !== "Ingress" && type !== "Egress") fail(id, `spec.policyTypes contains ${JSON.stringify(type)}; expected Ingress or Egress`);
    types.add(type);
  }
  return types;
}

function parseRules(raw: unknown, direction: Direction, id: string): Rule[] {
  if (raw === undefined || raw === null) return []; // type present, no rules: default deny
  if (!Array.isArray(raw)) fail(id, `spec.${direction} must be a list`);
  const peersField = direction === "ingress" ? "from" : "to";
  return raw.map((rawRule, index) => {
    const path = `spec.${direction}[${index}]`;
    if (!isRecord(rawRule)) fail(id, `${path} must be an object`);
    const rule: Rule = {};
    const peers = optionalList(rawRule[peersField], id, `${path}.${peersField}`);
    if (peers !== undefined) rule.peers = peers.map((peer, i) => parsePeer(peer, id, `${path}.${peersField}[${i}]`));
    const ports = optionalList(rawRule.ports, id, `${path}.ports`);
    if (ports !== undefined) rule.ports = ports.map((port, i) => parseRulePort(port, id, `${path}.ports[${i}]`));
    return rule;
  });
}

/** A list field where absent, null and [] all mean "not restricted": returns undefined for those. */
function optionalList(raw: unknown, id: string, path: string): unknown[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) fail(id, `${path} must be a list`);
  return raw.length === 0 ? undefined : raw;
}

function parsePeer(raw: unknown, id: string, path: string): Peer {
  if (!isRecord(raw)) fail(id, `${path} must be an object`);
  const hasPod = raw.podSelector !== undefined && raw.podSelector !== null;
  const hasNamespace = raw.namespaceSelector !== undefined && raw.namespaceSelector !== null;
  const hasIpBlock = raw.ipBlock !== undefined && raw.ipBlock !== null;
  // Same rules as the API server: ipBlock stands alone, and an empty peer is meaningless.
  if (hasIpBlock && (hasPod || hasNamespace)) fail(id, `${path} combines ipBlock with a selector, which Kubernetes rejects`);
  if (hasIpBlock) return parseIpBlock(raw.ipBlock, id, `${path}.ipBlock`);
  if (!hasPod && !hasNamespace) fail(id, `${path} specifies no podSelector, namespaceSelector or ipBlock`);
  const peer: Peer = { kind: "selector" };
  if (hasPod) peer.podSelector = parseSelector(raw.podSelector, id, `${path}.podSelector`);
  if (hasNamespace) peer.namespaceSelector = parseSelector(raw.namespaceSelector, id, `${path}.namespaceSelector`);
  return peer;
}

function parseSelector(raw: unknown, id: string, path: string): Selector {
  if (!isRecord(raw)) fail(id, `${path} must be an object`);
  const matchLabels = raw.matchLabels ?? {};
  if (!isRecord(matchLabels)) fail(id, `${path}.matchLabels must be an object`);
  for (const [key, value] of Object.entries(matchLabels)) {
    if (typeof value !== "string") fail(id, `${path}.matchLabels.${key} must be a string, got ${JSON.stringify(value)}`);
  }
  const rawExpressions = raw.matchExpressions ?? [];
  if (!Array.isArray(rawExpressions)) fail(id, `${path}.matchExpressions must be a list`);
  const matchExpressions = rawExpressions.map((expression, i) => parseRequirement(expression, id, `${path}.matchExpressions[${i}]`));
  return { matchLabels: matchLabels as Record<string, string>, matchExpressions };
}

function parseRequirement(raw: unknown, id: string, path: string): Requirement {
  if (!isRecord(raw) || typeof raw.key !== "string" || raw.key === "") fail(id, `${path} needs a key`);
  const operator: unknown = raw.operator;
  if (operator !== "In" && operator !== "NotIn" && operator !== "Exists" && operator !== "DoesNotExist") {
    fail(id, `${path}.operator is ${JSON.stringify(operator)}; expected In, NotIn, Exists or DoesNotExist`);
  }
  const values: unknown = raw.values ?? [];
  if (!Array.isArray(values) || values.some((value) => typeof value !== "string")) fail(id, `${path}.values must be a list of strings`);
  // Mirrors label-selector validation: In/NotIn need values, Exists/DoesNotExist take none.
  const needsValues = operator === "In" || operator === "NotIn";
  if (needsValues && values.length === 0) fail(id, `${path}: operator ${operator} needs at least one value`);
  if (!needsValues && values.length > 0) fail(id, `${path}: operator ${operator} takes no values`);
  return { key: raw.key, operator, values: values as string[] };
}

function parseRulePort(raw: unknown, id: string, path: string): RulePort {
  if (!isRecord(raw)) fail(id, `${path} must be an object`);
  const protocol: unknown = raw.protocol ?? "TCP"; // API-server default
  if (!PROTOCOLS.includes(protocol as Protocol)) fail(id, `${path}.protocol is ${JSON.stringify(protocol)}; expected TCP, UDP or SCTP`);
  const rulePort: RulePort = { protocol: protocol as Protocol };
  const port: unknown = raw.port;
  if (port !== undefined && port !== null) {
    if (typeof port === "number") {
      if (!Number.isInteger(port) || port < 1 || port > 65535) fail(id, `${path}.port ${port} is not a port number`);
    } else if (typeof port !== "string" || port === "") {
      fail(id, `${path}.port must be a number or a port name`);
    }
    rulePort.port = port;
  }
  const endPort: unknown = raw.endPort;
  if (endPort !== undefined && endPort !== null) {
    if (typeof rulePort.port !== "number") fail(id, `${path}.endPort requires a numeric port`);
    if (typeof endPort !== "number" || !Number.isInteger(endPort) || endPort < rulePort.port || endPort > 65535) {
      fail(id, `${path}.endPort must be a port number >= port`);
    }
    rulePort.endPort = endPort;
  }
  return rulePort;
}

function parseIpBlock(raw: unknown, id: string, path: string): Peer {
  if (!isRecord(raw)) fail(id, `${path} must be an object`);
  const cidr = cidrOf(raw.cidr, id, `${path}.cidr`);
  const rawExcept: unknown = raw.except ?? [];
  if (!Array.isArray(rawExcept)) fail(id, `${path}.except must be a list`);
  const except = rawExcept.map((text, i) => cidrOf(text, id, `${path}.except[${i}]`));
  return { kind: "ipBlock", cidr, except };
}

function cidrOf(raw: unknown, id: string, path: string): Cidr {
  const cidr = typeof raw === "string" ? parseCidr(raw) : undefined;
  return cidr ?? fail(id, `${path} is ${JSON.stringify(raw)}, not a CIDR such as 10.0.0.0/8`);
}
