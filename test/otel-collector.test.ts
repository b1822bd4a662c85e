// The OpenTelemetry collector as rendered. There is no collector binary on these machines, so its
// configuration is checked here by its shape, read from the rendered ConfigMap with the YAML
// parser: the ports agree with the contract, the Services and the probes; spans flow into the
// spanmetrics connector and its series out of the Prometheus exporter; and the series names that
// follow from the connector's namespace and unit (by the exporter's naming: dots to underscores,
// _total on counters, the unit on the histogram) are exactly those the RED recording rules read.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envEntries, find, repoRoot, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const config = parse((parse(readFileSync(join(repoRoot, "rendered/prod/monitoring/otel-collector/configmap-otel-collector-config.yaml"), "utf8")) as Json).data["config.yaml"]) as Json;
const rulesText = (parse(readFileSync(join(repoRoot, "rendered/prod/monitoring/prometheus/configmap-prometheus-rules.yaml"), "utf8")) as Json).data["environment.yml"] as string;
const objects = objectsOf("prod");
const collector = find(objects, "Deployment", "otel-collector")!;
const container = collector.spec.template.spec.containers[0];
const port = (endpoint: string) => Number(endpoint.split(":").pop());

describe("the services that trace", () => {
  const traced = ["frontend", "checkoutservice", "productcatalogservice", "currencyservice", "paymentservice", "emailservice", "recommendationservice"];

  it("the seven that support it send spans to the collector in the monitoring namespace; cart, shipping and ads have no tracing", () => {
    for (const service of ["cartservice", "shippingservice", "adservice", ...traced]) {
      const env = envEntries(find(objects, "Deployment", service)!.spec.template.spec.containers[0]);
      if (traced.includes(service)) {
        expect(env.ENABLE_TRACING, service).toEqual({ name: "ENABLE_TRACING", value: "1" });
        expect(env.COLLECTOR_SERVICE_ADDR, service).toEqual({ name: "COLLECTOR_SERVICE_ADDR", value: "otel-collector.monitoring.svc.cluster.local:4317" });
      } else {
        expect(env.ENABLE_TRACING, service).toBeUndefined();
      }
    }
  });
});

describe("the collector's configuration (shape, read with the YAML parser)", () => {
  it("receives OTLP gRPC on every interface at the port its Service and container expose", () => {
    const otlp = port(config.receivers.otlp.protocols.grpc.endpoint);
    expect(config.receivers.otlp.protocols.grpc.endpoint.startsWith("0.0.0.0:")).toBe(true);
    expect(find(objects, "Service", "otel-collector")!.spec.ports).toEqual([{ name: "otlp", port: otlp, targetPort: otlp, protocol: "TCP" }]);
    expect(container.ports.map((p: Json) => p.containerPort)).toContain(otlp);
  });

  it("exports on the port Prometheus is told to scrape, and answers its probes on the health extension's port", () => {
    expect(port(config.exporters.prometheus.endpoint)).toBe(Number(collector.spec.template.metadata.annotations["prometheus.io/port"]));
    const health = port(config.extensions.health_check.endpoint);
    expect([container.readinessProbe.httpGet.port, container.livenessProbe.httpGet.port]).toEqual([health, health]);
    expect(config.service.extensions).toEqual(["health_check"]);
  });

  it("spans go to the spanmetrics connector, its series (and the collector's own) to the Prometheus exporter", () => {
    expect(config.service.pipelines.traces).toMatchObject({ receivers: ["otlp"], exporters: ["spanmetrics"] });
    expect(config.service.pipelines.metrics).toMatchObject({ receivers: ["spanmetrics", "prometheus/self"], exporters: ["prometheus"] });
    const telemetry = config.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    expect(config.receivers["prometheus/self"].config.scrape_configs[0].static_configs[0].targets).toEqual([`${telemetry.host}:${telemetry.port}`]);
    for (const pipeline of Object.values(config.service.pipelines) as Json[]) for (const processor of pipeline.processors) expect(Object.keys(config.processors)).toContain(processor);
  });

  it("the series it produces are the ones the RED recording rules read", () => {
    const { namespace, histogram } = config.connectors.spanmetrics;
    const prefix = namespace.replaceAll(".", "_");
    const unit = { ms: "milliseconds", s: "seconds" }[histogram.unit as "ms" | "s"];
    expect(rulesText).toContain(`${prefix}_calls_total{`);
    expect(rulesText).toContain(`${prefix}_duration_${unit}_bucket{`);
    expect([...rulesText.matchAll(/traces_span_metrics_\w+/g)].map((m) => m[0]).every((name) => [`${prefix}_calls_total`, `${prefix}_duration_${unit}_bucket`].includes(name))).toBe(true);
  });

  it("a restarted collector keeps its series: the per-process instance id is switched off", () => {
    expect(container.args).toContain("--feature-gates=-connector.spanmetrics.includeCollectorInstanceID");
    expect(container.args).toContain("--config=/etc/otelcol-contrib/config.yaml");
    expect(container.volumeMounts).toEqual([{ name: "config", mountPath: "/etc/otelcol-contrib", readOnly: true }]);
  });

  it("prod runs two behind a PodDisruptionBudget; dev one", () => {
    expect(collector.spec.replicas).toBe(2);
    expect(find(objects, "PodDisruptionBudget", "otel-collector")).toBeDefined();
    expect(find(objectsOf("dev"), "Deployment", "otel-collector")!.spec.replicas).toBe(1);
  });
});
