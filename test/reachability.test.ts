// Reachability under NetworkPolicies: each test is a small cluster, a few policies, and the flows
// Kubernetes would allow between them.
import { describe, expect, it } from "vitest";
import { ANY_PORT, computeReachability } from "../policies/network/reachability";
import type { Endpoint, Flow, NamespaceInfo, Protocol, ReachabilityInput } from "../policies/network/reachability";

// ---- fixtures -------------------------------------------------------------------------------

/** "8080", "53/UDP", "8080/TCP/http" → a container port. */
function parsePort(text: string): Endpoint["ports"][number] {
  const [port = "", protocol = "TCP", name] = text.split("/");
  return name === undefined ? { port: Number(port), protocol: protocol as Protocol } : { port: Number(port), protocol: protocol as Protocol, name };
}

/** A workload "namespace/name" labelled app=<name> plus `labels`, listening on `ports`. */
function workload(id: string, ports: string[], labels: Record<string, string> = {}): Endpoint {
  const [namespace = "", name = ""] = id.split("/");
  return { id, namespace, labels: { app: name, ...labels }, ports: ports.map(parsePort) };
}

function external(id: string, ip: string): Endpoint {
  return { id, labels: {}, ports: [], ip };
}

function netpol(id: string, spec: Record<string, any>): Record<string, any> {
  const [namespace, name] = id.split("/");
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

/** Builds the input, listing every namespace the endpoints live in (with optional extra labels). */
function cluster(endpoints: Endpoint[], policies: Record<string, any>[], namespaceLabels: Record<string, Record<string, string>> = {}): ReachabilityInput {
  const names = [...new Set(endpoints.flatMap((e) => (e.namespace === undefined ? [] : [e.namespace])))];
  const namespaces: NamespaceInfo[] = names.map((name) => ({ name, labels: namespaceLabels[name] ?? {} }));
  return { endpoints, namespaces, policies };
}

/** Flows as compact strings, "from -> to:port/protocol", for readable assertions. */
function lines(flows: Flow[]): string[] {
  return flows.map((f) => `${f.from} -> ${f.to}:${f.port}/${f.protocol}`);
}

/** Flows from `from` to `to` only. */
function between(input: ReachabilityInput, from: string, to: string): string[] {
  return lines(computeReachability(input).filter((f) => f.from === from && f.to === to));
}

const frontend = () => workload("shop/frontend", ["8080/TCP/http"]);
const cart = () => workload("shop/cart", ["7070"]);
const redis = () => workload("shop/redis", ["6379"]);
const internet = () => external("external", "203.0.113.10");
const allPods = {};

// ---- tests ----------------------------------------------------------------------------------

describe("isolation", () => {
  it("no policies: everything reaches everything", () => {
    const input = cluster([frontend(), cart(), internet()], []);
    expect(lines(computeReachability(input))).toEqual([
      "external -> shop/cart:7070/TCP",
      "external -> shop/frontend:8080/TCP",
      "shop/cart -> external:0/SCTP",
      "shop/cart -> external:0/TCP",
      "shop/cart -> external:0/UDP",
      "shop/cart -> shop/cart:7070/TCP", // a workload's pods reach each other too
      "shop/cart -> shop/frontend:8080/TCP",
      "shop/frontend -> external:0/SCTP",
      "shop/frontend -> external:0/TCP",
      "shop/frontend -> external:0/UDP",
      "shop/frontend -> shop/cart:7070/TCP",
      "shop/frontend -> shop/frontend:8080/TCP",
    ]);
  });

  it("default deny ingress blocks all inbound, but leaves the pod's own egress alone", () => {
    const input = cluster([frontend(), cart(), internet()], [netpol("shop/deny", { podSelector: allPods, policyTypes: ["Ingress"] })]);
    expect(lines(computeReachability(input))).toEqual([
      "shop/cart -> external:0/SCTP",
      "shop/cart -> external:0/TCP",
      "shop/cart -> external:0/UDP",
      "shop/frontend -> external:0/SCTP",
      "shop/frontend -> external:0/TCP",
      "shop/frontend -> external:0/UDP",
    ]);
  });

  it("a policy only isolates the pods its podSelector selects", () => {
    const input = cluster([frontend(), cart(), redis()], [netpol("shop/deny-redis", { podSelector: { matchLabels: { app: "redis" } } })]);
    expect(between(input, "shop/cart", "shop/redis")).toEqual([]);
    expect(between(input, "shop/cart", "shop/frontend")).toEqual(["shop/cart -> shop/frontend:8080/TCP"]);
  });

  it("policyTypes absent means Ingress only when there is no egress key", () => {
    const input = cluster([frontend(), cart()], [netpol("shop/deny", { podSelector: allPods, ingress: [] })]);
    expect(computeReachability(input)).toEqual([]); // ingress denied everywhere
    // Egress stays open: the frontend still reaches the outside world on any port.
    expect(between(cluster([frontend(), cart(), internet()], input.policies), "shop/frontend", "external")).toEqual(["shop/frontend -> external:0/SCTP", "shop/frontend -> external:0/TCP", "shop/frontend -> external:0/UDP"]);
  });

  it("policyTypes absent with egress key present isolates egress", () => {
    const input = cluster(
      [frontend(), cart(), redis()],
      [netpol("shop/frontend-out", { podSelector: { matchLabels: { app: "frontend" } }, egress: [{ to: [{ podSelector: { matchLabels: { app: "cart" } } }] }] })],
    );
    const fromFrontend = lines(computeReachability(input).filter((f) => f.from === "shop/frontend"));
    expect(fromFrontend).toEqual(["shop/frontend -> shop/cart:7070/TCP"]);
    // The same policy also gained Ingress (always defaulted), with no ingress rules: frontend is closed.
    expect(between(input, "shop/cart", "shop/frontend")).toEqual([]);
  });

  it("policyTypes absent with `egress: []` does not isolate egress (Kubernetes defaults Egress only for a non-empty list)", () => {
    const input = cluster([frontend(), cart()], [netpol("shop/empty-egress", { podSelector: { matchLabels: { app: "frontend" } }, ingress: [{}], egress: [] })]);
    expect(between(input, "shop/frontend", "shop/cart")).toEqual(["shop/frontend -> shop/cart:7070/TCP"]);
    // ...whereas declaring the type explicitly makes the same empty list a default deny.
    const declared = cluster(
      [frontend(), cart()],
      [netpol("shop/empty-egress", { podSelector: { matchLabels: { app: "frontend" } }, policyTypes: ["Egress"], egress: [] })],
    );
    expect(between(declared, "shop/frontend", "shop/cart")).toEqual([]);
  });

  it("explicit policyTypes: rules of a type not listed are ignored", () => {
    const input = cluster(
      [frontend(), cart()],
      [netpol("shop/egress-only", { podSelector: allPods, policyTypes: ["Egress"], ingress: [], egress: [{}] })],
    );
    // `ingress: []` would deny all inbound, but Ingress is not among the policy types.
    expect(between(input, "shop/frontend", "shop/cart")).toEqual(["shop/frontend -> shop/cart:7070/TCP"]);
  });

  it("rules of several policies selecting the same pod add up", () => {
    const input = cluster(
      [frontend(), cart(), redis()],
      [
        netpol("shop/deny", { podSelector: allPods, policyTypes: ["Ingress"] }),
        netpol("shop/redis-from-cart", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "cart" } } }] }] }),
        netpol("shop/redis-from-frontend", {
          podSelector: { matchLabels: { app: "redis" } },
          ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }] }],
        }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.to === "shop/redis"))).toEqual([
      "shop/cart -> shop/redis:6379/TCP",
      "shop/frontend -> shop/redis:6379/TCP",
    ]);
  });

  it("a connection needs both the source's egress and the destination's ingress", () => {
    const input = cluster(
      [frontend(), cart()],
      [
        netpol("shop/cart-in", { podSelector: { matchLabels: { app: "cart" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }] }] }),
        netpol("shop/frontend-out", { podSelector: { matchLabels: { app: "frontend" } }, policyTypes: ["Egress"], egress: [] }),
      ],
    );
    expect(between(input, "shop/frontend", "shop/cart")).toEqual([]);
  });
});

describe("peers", () => {
  it("podSelector peer is limited to the policy's namespace", () => {
    const input = cluster(
      [cart(), redis(), workload("other/cart", ["7070"])],
      [netpol("shop/redis", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "cart" } } }] }] })],
    );
    expect(lines(computeReachability(input).filter((f) => f.to === "shop/redis"))).toEqual(["shop/cart -> shop/redis:6379/TCP"]);
  });

  it("namespaceSelector alone admits every pod of the matching namespaces, using the automatic metadata.name label", () => {
    const input = cluster(
      [redis(), workload("ops/backup", []), workload("ops/monitor", []), workload("dev/tool", [])],
      [
        netpol("shop/redis", {
          podSelector: { matchLabels: { app: "redis" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ops" } } }] }],
        }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.to === "shop/redis"))).toEqual([
      "ops/backup -> shop/redis:6379/TCP",
      "ops/monitor -> shop/redis:6379/TCP",
    ]);
  });

  it("namespaceSelector + podSelector in one peer is an AND, in two peers an OR", () => {
    const endpoints = [redis(), workload("ops/backup", []), workload("ops/monitor", []), workload("dev/backup", [])];
    const labels = { ops: { team: "ops" } };
    const and = cluster(
      endpoints,
      [
        netpol("shop/redis", {
          podSelector: { matchLabels: { app: "redis" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } }, podSelector: { matchLabels: { app: "backup" } } }] }],
        }),
      ],
      labels,
    );
    expect(lines(computeReachability(and).filter((f) => f.to === "shop/redis"))).toEqual(["ops/backup -> shop/redis:6379/TCP"]);

    const or = cluster(
      endpoints,
      [
        netpol("shop/redis", {
          podSelector: { matchLabels: { app: "redis" } },
          // The second peer's podSelector is confined to the policy's namespace (shop): nobody there is "backup".
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }, { podSelector: { matchLabels: { app: "backup" } } }] }],
        }),
      ],
      labels,
    );
    expect(lines(computeReachability(or).filter((f) => f.to === "shop/redis"))).toEqual([
      "ops/backup -> shop/redis:6379/TCP",
      "ops/monitor -> shop/redis:6379/TCP",
    ]);
  });

  it("an empty namespaceSelector with a podSelector means that pod in any namespace", () => {
    const input = cluster(
      [redis(), workload("ops/backup", []), workload("dev/backup", []), workload("dev/other", [])],
      [
        netpol("shop/redis", {
          podSelector: { matchLabels: { app: "redis" } },
          ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "backup" } } }] }],
        }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.to === "shop/redis"))).toEqual([
      "dev/backup -> shop/redis:6379/TCP",
      "ops/backup -> shop/redis:6379/TCP",
    ]);
  });

  it("matchExpressions NotIn matches pods without the key", () => {
    const endpoints = [
      redis(),
      workload("shop/a", [], { tier: "web" }),
      workload("shop/b", [], { tier: "batch" }),
      workload("shop/c", []), // no tier label at all
    ];
    const onlyFrom = (expression: Record<string, any>) =>
      cluster(endpoints, [
        netpol("shop/redis", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ from: [{ podSelector: { matchExpressions: [expression] } }] }] }),
      ]);
    // Other pods' labels decide (redis's own pods, reaching each other, are another test's business).
    const sources = (input: ReachabilityInput) => computeReachability(input).filter((f) => f.to === "shop/redis" && f.from !== "shop/redis").map((f) => f.from);

    expect(sources(onlyFrom({ key: "tier", operator: "NotIn", values: ["web"] }))).toEqual(["shop/b", "shop/c"]);
    expect(sources(onlyFrom({ key: "tier", operator: "In", values: ["web", "batch"] }))).toEqual(["shop/a", "shop/b"]);
    expect(sources(onlyFrom({ key: "tier", operator: "Exists" }))).toEqual(["shop/a", "shop/b"]);
    expect(sources(onlyFrom({ key: "tier", operator: "DoesNotExist" }))).toEqual(["shop/c"]);
  });

  it("matchLabels and matchExpressions must both hold", () => {
    const input = cluster(
      [redis(), workload("shop/a", [], { tier: "web", env: "prod" }), workload("shop/b", [], { tier: "web", env: "dev" })],
      [
        netpol("shop/redis", {
          podSelector: { matchLabels: { app: "redis" } },
          ingress: [{ from: [{ podSelector: { matchLabels: { tier: "web" }, matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] } }] }],
        }),
      ],
    );
    expect(computeReachability(input).filter((f) => f.to === "shop/redis").map((f) => f.from)).toEqual(["shop/a"]);
  });

  it("empty `from` and empty `ports` lists mean any peer and any port", () => {
    const input = cluster(
      [frontend(), redis(), workload("ops/backup", []), internet()],
      [netpol("shop/redis", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ from: [], ports: [] }] })],
    );
    expect(lines(computeReachability(input).filter((f) => f.to === "shop/redis"))).toEqual([
      "external -> shop/redis:6379/TCP",
      "ops/backup -> shop/redis:6379/TCP",
      "shop/frontend -> shop/redis:6379/TCP",
      "shop/redis -> shop/redis:6379/TCP",
    ]);
  });
});

describe("ports", () => {
  it("named port resolves against the destination's container port names", () => {
    const web = workload("shop/web", ["8080/TCP/http", "9090/TCP/metrics"]);
    const input = cluster(
      [web, cart()],
      [
        netpol("shop/web-in", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: "http" }] }] }),
        netpol("shop/cart-out", { podSelector: { matchLabels: { app: "cart" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: "metrics" }] }] }),
      ],
    );
    // Ingress admits only "http" (8080); egress from cart admits only "metrics" (9090): nothing is left.
    expect(between(input, "shop/cart", "shop/web")).toEqual([]);

    const ingressOnly = cluster([web, cart()], [netpol("shop/web-in", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: "http" }] }] })]);
    expect(between(ingressOnly, "shop/cart", "shop/web")).toEqual(["shop/cart -> shop/web:8080/TCP"]);

    const egressOnly = cluster(
      [web, cart()],
      [netpol("shop/cart-out", { podSelector: { matchLabels: { app: "cart" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: "metrics" }] }] })],
    );
    expect(between(egressOnly, "shop/cart", "shop/web")).toEqual(["shop/cart -> shop/web:9090/TCP"]);
  });

  it("endPort range admits port..endPort inclusive", () => {
    const multi = workload("shop/multi", ["7999", "8000", "8050", "8100", "8101"]);
    const input = cluster(
      [multi, cart()],
      [netpol("shop/multi-in", { podSelector: { matchLabels: { app: "multi" } }, ingress: [{ ports: [{ port: 8000, endPort: 8100 }] }] })],
    );
    expect(between(input, "shop/cart", "shop/multi").map((l) => l.split(":")[1])).toEqual(["8000/TCP", "8050/TCP", "8100/TCP"]);
  });

  it("protocol UDP rule does not admit TCP", () => {
    const dns = workload("shop/dns", ["53/UDP", "53/TCP"]);
    const input = cluster([dns, cart()], [netpol("shop/dns-in", { podSelector: { matchLabels: { app: "dns" } }, ingress: [{ ports: [{ protocol: "UDP", port: 53 }] }] })]);
    expect(between(input, "shop/cart", "shop/dns")).toEqual(["shop/cart -> shop/dns:53/UDP"]);
  });

  it("a rule port without `port` admits every port of its protocol only", () => {
    const box = workload("shop/box", ["1000", "2000", "3000/UDP"]);
    const input = cluster([box, cart()], [netpol("shop/box-in", { podSelector: { matchLabels: { app: "box" } }, ingress: [{ ports: [{ protocol: "TCP" }] }] })]);
    expect(between(input, "shop/cart", "shop/box")).toEqual(["shop/cart -> shop/box:1000/TCP", "shop/cart -> shop/box:2000/TCP"]);
  });

  it("egress to kube-dns on 53 UDP and TCP only", () => {
    const kubeDns = workload("kube-system/kube-dns", ["53/UDP/dns", "53/TCP/dns-tcp", "9153/TCP/metrics"], { "k8s-app": "kube-dns" });
    const input = cluster(
      [frontend(), cart(), kubeDns, internet()],
      [
        netpol("shop/default-deny", { podSelector: allPods, policyTypes: ["Ingress", "Egress"] }),
        netpol("shop/allow-dns", {
          podSelector: allPods,
          policyTypes: ["Egress"],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.from === "shop/frontend"))).toEqual([
      "shop/frontend -> kube-system/kube-dns:53/TCP",
      "shop/frontend -> kube-system/kube-dns:53/UDP",
    ]);
  });
});

describe("external endpoints", () => {
  it("ipBlock except excludes an external address", () => {
    const partner = external("partner", "198.51.100.7");
    const blocked = external("blocked", "198.51.100.200");
    const input = cluster(
      [redis(), partner, blocked, internet()],
      [
        netpol("shop/redis", {
          podSelector: { matchLabels: { app: "redis" } },
          ingress: [{ from: [{ ipBlock: { cidr: "198.51.100.0/24", except: ["198.51.100.128/25"] } }] }],
        }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.to === "shop/redis"))).toEqual(["partner -> shop/redis:6379/TCP"]);
  });

  it("ipBlock never matches in-cluster pods, and pod selectors never match external clients", () => {
    const input = cluster(
      [frontend(), redis(), internet()],
      [
        netpol("shop/redis", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }),
        netpol("shop/frontend", { podSelector: { matchLabels: { app: "frontend" } }, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.to !== "external"))).toEqual([
      "external -> shop/redis:6379/TCP", // 0.0.0.0/0 admits the internet...
      "shop/frontend -> shop/frontend:8080/TCP", // ...the "all namespaces" selector admits pods (frontend's own too), but not the internet
      "shop/redis -> shop/frontend:8080/TCP",
    ]);
  });

  it("egress to an external endpoint lists the rule's ports, both bounds of a range, and 0 for any port", () => {
    const api = external("payments-api", "192.0.2.44");
    const input = cluster(
      [cart(), api, internet()],
      [
        netpol("shop/cart-out", {
          podSelector: { matchLabels: { app: "cart" } },
          policyTypes: ["Egress"],
          egress: [
            { to: [{ ipBlock: { cidr: "192.0.2.0/24" } }], ports: [{ port: 443 }, { port: 30000, endPort: 30010 }, { port: "https" }, { protocol: "UDP" }] },
            { to: [{ ipBlock: { cidr: "203.0.113.0/24" } }] },
          ],
        }),
      ],
    );
    expect(lines(computeReachability(input).filter((f) => f.from === "shop/cart"))).toEqual([
      "shop/cart -> external:0/SCTP",
      "shop/cart -> external:0/TCP",
      "shop/cart -> external:0/UDP",
      "shop/cart -> payments-api:0/UDP",
      "shop/cart -> payments-api:443/TCP",
      "shop/cart -> payments-api:30000/TCP",
      "shop/cart -> payments-api:30010/TCP",
    ]);
    expect(ANY_PORT).toBe(0);
  });

  it("a specific port to an external endpoint is dropped when the same protocol is already open on any port", () => {
    const input = cluster(
      [cart(), internet()],
      [
        netpol("shop/cart-out", {
          podSelector: { matchLabels: { app: "cart" } },
          policyTypes: ["Egress"],
          egress: [{ ports: [{ port: 443 }] }, { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP" }] }],
        }),
      ],
    );
    expect(between(input, "shop/cart", "external")).toEqual(["shop/cart -> external:0/TCP"]);
  });

  it("external to external is not computed, and flows are sorted", () => {
    const input = cluster([cart(), frontend(), internet(), external("another", "198.51.100.1")], []);
    const flows = computeReachability(input);
    expect(flows.some((f) => f.from === f.to && (f.from === "external" || f.from === "another"))).toBe(false);
    expect(flows.some((f) => (f.from === "external" && f.to === "another") || (f.from === "another" && f.to === "external"))).toBe(false);
    const sorted = [...flows].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : a.port - b.port || (a.protocol < b.protocol ? -1 : 1)));
    expect(flows).toEqual(sorted);
  });
});

describe("a workload's pods talking to each other", () => {
  it("is a flow from the workload to itself, allowed only when its policies admit it both ways, per protocol", () => {
    const gossip = workload("mon/alertmanager", ["9094/TCP", "9094/UDP"]);
    const self = { podSelector: { matchLabels: { app: "alertmanager" } } };
    const both = cluster([gossip], [netpol("mon/alertmanager", { ...self, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [self], ports: [{ port: 9094, protocol: "TCP" }, { port: 9094, protocol: "UDP" }] }], egress: [{ to: [self], ports: [{ port: 9094, protocol: "TCP" }, { port: 9094, protocol: "UDP" }] }] })]);
    expect(lines(computeReachability(both))).toEqual(["mon/alertmanager -> mon/alertmanager:9094/TCP", "mon/alertmanager -> mon/alertmanager:9094/UDP"]);
    const tcpOnly = cluster([gossip], [netpol("mon/alertmanager", { ...self, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [self], ports: [{ port: 9094, protocol: "TCP" }] }], egress: [{ to: [self], ports: [{ port: 9094 }, { port: 9094, protocol: "UDP" }] }] })]);
    expect(lines(computeReachability(tcpOnly))).toEqual(["mon/alertmanager -> mon/alertmanager:9094/TCP"]);
    const ingressOnly = cluster([gossip], [netpol("mon/alertmanager", { ...self, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [self] }] })]);
    expect(lines(computeReachability(ingressOnly))).toEqual([]);
  });
});

describe("listening ports", () => {
  it("a port nobody listens on is not in the matrix, even where a policy allows it", () => {
    const input = cluster([cart(), redis()], [netpol("shop/redis-in", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ ports: [{ port: 6379 }, { port: 6380 }] }] })]);
    expect(between(input, "shop/cart", "shop/redis")).toEqual(["shop/cart -> shop/redis:6379/TCP"]);
  });
});

describe("input validation", () => {
  it("a policy without metadata.namespace is rejected with its name", () => {
    const policy = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "allow-web" }, spec: { podSelector: {} } };
    expect(() => computeReachability(cluster([cart()], [policy]))).toThrow(/NetworkPolicy allow-web: metadata.namespace is missing/);
  });

  it("malformed policies and endpoints are rejected with the offending path", () => {
    const bad = (spec: Record<string, any>) => () => computeReachability(cluster([cart()], [netpol("shop/bad", spec)]));
    expect(bad({ podSelector: { matchExpressions: [{ key: "a", operator: "Equals", values: ["b"] }] } })).toThrow(
      /NetworkPolicy shop\/bad: spec.podSelector.matchExpressions\[0\].operator/,
    );
    expect(bad({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] })).toThrow(/spec.ingress\[0\].from\[0\].ipBlock.cidr/);
    expect(bad({ ingress: [{ ports: [{ port: "http", endPort: 90 }] }] })).toThrow(/endPort requires a numeric port/);
    expect(bad({ ingress: [{ ports: [{ port: 80, protocol: "ICMP" }] }] })).toThrow(/protocol is "ICMP"/);
    expect(bad({ ingress: [{ from: [{}] }] })).toThrow(/specifies no podSelector, namespaceSelector or ipBlock/);
    expect(() => computeReachability({ endpoints: [cart()], namespaces: [], policies: [] })).toThrow(/namespace shop, which is missing/);
  });
});
