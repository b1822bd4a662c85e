// Loki as rendered. There is no Loki binary on these machines, so the configuration is checked
// for its shape per environment (ring, storage, schema, retention, limits) by parsing the rendered
// ConfigMap; README "Monitoring" gives the one-line check with Loki's own binary
// (`loki -verify-config`) for a machine that has it.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envEntries as envOf, find, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const configOf = (environment: string) => parse(find(objectsOf(environment), "ConfigMap", "loki-config")!.data["loki.yaml"]) as Json;
const lokiOf = (environment: string) => find(objectsOf(environment), "StatefulSet", "loki")!;

describe("Loki", () => {
  it("prod runs three in a memberlist ring, each stream kept three times, in a shared S3 bucket", () => {
    const config = configOf("prod");
    expect(lokiOf("prod").spec.replicas).toBe(3);
    expect(config.common.replication_factor).toBe(3);
    expect(config.common.ring).toEqual({ kvstore: { store: "memberlist" } });
    expect(config.memberlist).toEqual({ bind_port: 7946, join_members: ["loki-headless.monitoring.svc.cluster.local:7946"] });
    expect(config.common.storage).toEqual({ s3: { bucketnames: "boutique-logs-example-org", endpoint: "s3.eu-west-1.example.com", region: "eu-west-1", insecure: false } });
    expect(find(objectsOf("prod"), "PodDisruptionBudget", "loki")).toBeDefined();
  });

  it("dev runs one on its loki-storage volume of 10Gi at /data/loki, with no ring to join", () => {
    const config = configOf("dev");
    expect(lokiOf("dev").spec.replicas).toBe(1);
    expect(config.common).toMatchObject({ path_prefix: "/data/loki", replication_factor: 1, ring: { kvstore: { store: "inmemory" } }, storage: { filesystem: { chunks_directory: "/data/loki/chunks", rules_directory: "/data/loki/rules" } } });
    expect(config.memberlist).toBeUndefined();
    const [claim] = lokiOf("dev").spec.volumeClaimTemplates;
    expect([claim.metadata.name, claim.spec.resources.requests.storage]).toEqual(["loki-storage", "10Gi"]);
    expect(lokiOf("dev").spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: "loki-storage", mountPath: "/data/loki" });
  });

  it.each([
    ["dev", "filesystem", "168h"],
    ["prod", "s3", "720h"],
  ])("%s: schema v13 on the TSDB index in %s, one table a day; the compactor deletes after %s", (environment, store, retention) => {
    const config = configOf(environment);
    expect(config.schema_config.configs).toEqual([{ from: "2026-01-01", store: "tsdb", object_store: store, schema: "v13", index: { prefix: "index_", period: "24h" } }]);
    expect(config.compactor).toEqual({ working_directory: "/data/loki/compactor", retention_enabled: true, delete_request_store: store });
    expect(config.limits_config.retention_period).toBe(retention);
  });

  it("limits from the settings refuse floods and queries over too many series", () => {
    expect(configOf("prod").limits_config).toMatchObject({ ingestion_rate_mb: 8, ingestion_burst_size_mb: 16, max_query_series: 1000, reject_old_samples: true });
    expect(configOf("dev").limits_config).toMatchObject({ ingestion_rate_mb: 4, ingestion_burst_size_mb: 8, max_query_series: 500 });
  });

  it("no tenant header is needed (one tenant), and nothing is reported to Grafana Labs", () => {
    expect([configOf("prod").auth_enabled, configOf("prod").analytics]).toEqual([false, { reporting_enabled: false }]);
  });

  it("prod reads the bucket's credentials from Secret loki-object-storage; dev needs none", () => {
    const env = envOf(lokiOf("prod").spec.template.spec.containers[0]);
    expect(Object.entries(env).map(([name, entry]) => `${name} ${entry.valueFrom?.secretKeyRef?.name}/${entry.valueFrom?.secretKeyRef?.key}`)).toEqual([
      "AWS_ACCESS_KEY_ID loki-object-storage/access-key-id",
      "AWS_SECRET_ACCESS_KEY loki-object-storage/secret-access-key",
    ]);
    expect(lokiOf("dev").spec.template.spec.containers[0].env).toBeUndefined();
  });

  it("prod may leave the cluster only for the bucket's addresses on its port; dev not at all", () => {
    const egress = (environment: string) => find(objectsOf(environment), "NetworkPolicy", "loki")!.spec.egress.filter((rule: Json) => rule.to.some((peer: Json) => peer.ipBlock));
    expect(egress("prod")).toEqual([{ to: [{ ipBlock: { cidr: "192.0.2.128/25" } }], ports: [{ protocol: "TCP", port: 443 }] }]);
    expect(egress("dev")).toEqual([]);
  });

  it("Grafana reads it as the datasource of the logs dashboard, on its ClusterIP Service 3100", () => {
    const datasources = parse(find(objectsOf("prod"), "ConfigMap", "grafana-datasources")!.data["datasources.yaml"]).datasources as Json[];
    expect(datasources.find((source) => source.type === "loki")).toMatchObject({ uid: "loki", url: "http://loki.monitoring.svc.cluster.local:3100" });
    expect(find(objectsOf("prod"), "Service", "loki")!.spec.ports).toEqual([{ name: "http", port: 3100, targetPort: 3100, protocol: "TCP" }]);
  });
});
