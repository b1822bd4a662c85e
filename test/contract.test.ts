// The architecture contract is consistent with itself and with the apps that build it: every
// name a record uses exists, and every record is built by exactly one app.
import { describe, expect, it } from "vitest";
import { apps } from "../apps/index";
import { onlineBoutiqueServices } from "../apps/lib/boutique";
import { allowedFlows, appGroups, records, thirdPartyRegistries, volumeClaimSizes, workloadNames } from "../core/contract/index";

const entries = workloadNames.map((name) => [name, records[name]] as const);

describe("the contract's records", () => {
  it("every call names a workload and one of its ports", () => {
    for (const [name, record] of entries) {
      for (const [target, port] of Object.entries(record.calls ?? {})) {
        expect(workloadNames, `${name} calls ${target}`).toContain(target);
        expect(Object.keys(records[target as keyof typeof records].ports ?? {}), `${name} calls ${target} on ${port}`).toContain(port);
      }
    }
  });

  it("every port belongs to exactly one container, and containers name only ports of their record", () => {
    for (const [name, record] of entries) {
      const listed = Object.values(record.containers).flatMap((container) => container.ports ?? []);
      expect([...listed].sort(), name).toEqual(Object.keys(record.ports ?? {}).sort());
      expect(new Set(listed).size, name).toBe(listed.length);
    }
  });

  it("a workload has at most one metrics port (prometheus.io/port names one)", () => {
    for (const [name, record] of entries) expect(Object.values(record.ports ?? {}).filter((port) => port.metrics).length, name).toBeLessThanOrEqual(1);
  });

  it("a workload that uses the API says what it may do there, and only such a workload does; nothing writes, nothing reads Secrets", () => {
    for (const [name, record] of Object.entries(records)) {
      expect(record.apiAccess !== undefined, name).toBe(record.usesKubernetesApi === true);
      for (const grant of [...(record.apiAccess?.namespaces ?? []), ...(record.apiAccess?.cluster ?? [])]) {
        expect(grant.verbs.filter((verb) => !["get", "list", "watch"].includes(verb)), name).toEqual([]);
        expect("resources" in grant ? grant.resources : [], name).not.toContain("secrets");
      }
    }
  });

  it("host access is for node agents only: DaemonSets that call nothing (a host-network pod's connections are the node's, which no NetworkPolicy confines)", () => {
    const agents = Object.entries(records).filter(([, record]) => record.hostAccess !== undefined);
    expect(agents.map(([name]) => name)).toEqual(["node-exporter"]);
    for (const [name, record] of agents) expect({ name, kind: record.kind, calls: record.calls ?? {} }).toEqual({ name, kind: "DaemonSet", calls: {} });
  });

  it("volume claim names are unique across workloads (a claim's size is looked up by its name)", () => {
    const claims = entries.flatMap(([, record]) => Object.keys(record.volumeClaims ?? {}));
    expect(new Set(claims).size).toBe(claims.length);
    expect(Object.keys(volumeClaimSizes).sort()).toEqual([...claims].sort());
  });

  it("the ten Online Boutique services are the records of the online-boutique group", () => {
    expect(entries.filter(([, record]) => record.group === "online-boutique").map(([name]) => name).sort()).toEqual([...onlineBoutiqueServices].sort());
  });

  it("every record is built by exactly one app, whose group and namespace are the record's", () => {
    for (const [name, record] of entries) {
      const builders = apps.filter((app) => app.workloads.includes(name));
      expect(builders.map((app) => app.name), name).toHaveLength(1);
      expect({ group: builders[0]!.group, namespace: builders[0]!.namespace }, name).toEqual({ group: record.group, namespace: record.namespace });
    }
    for (const app of apps) expect(Object.keys(appGroups)).toContain(app.group);
  });

  it("the overview's data flows are allowed: user traffic, checkout's calls, cart → Redis, orders → PostgreSQL", () => {
    const flows = allowedFlows().map((flow) => `${flow.from} → ${flow.to}${"port" in flow ? `:${flow.port}` : ""}`);
    for (const flow of [
      "external → frontend:http",
      "frontend → checkoutservice:grpc",
      "frontend → productcatalogservice:grpc",
      "checkoutservice → paymentservice:grpc",
      "checkoutservice → order-persistence:grpc",
      "order-persistence → emailservice:grpc",
      "order-persistence → postgres:postgres",
      "cartservice → redis-cart:redis",
    ]) {
      expect(flows).toContain(flow);
    }
  });

  it("allowed flows follow the workloads an environment runs", () => {
    const dev = allowedFlows(workloadNames.filter((name) => name !== "redis" && name !== "redis-sentinel"));
    expect(dev.some((flow) => flow.to === "redis-sentinel" || flow.from === "redis")).toBe(false);
    expect(dev).toContainEqual({ from: "cartservice", to: "redis-cart", port: "redis" });
  });

  it("third-party registries are those of the pinned images", () => {
    expect(thirdPartyRegistries).toEqual(["docker.io/grafana", "docker.io/library", "docker.io/oliver006", "docker.io/otel", "quay.io/prometheus", "quay.io/prometheuscommunity", "registry.k8s.io/kube-state-metrics"]);
  });
});
