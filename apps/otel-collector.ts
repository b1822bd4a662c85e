// The OpenTelemetry collector: the services that trace send their spans here (OTLP gRPC), and the
// spanmetrics connector turns server spans into request, error and latency series per service and
// operation, exposed for Prometheus on the metrics port. The collector's own health metrics
// (accepted and refused spans, queue sizes) are read back into the same pipeline, so one metrics
// port carries both. Spans themselves are not stored: no trace backend in the architecture.
//
// The series names follow from three settings here: the connector's namespace
// (traces.span.metrics), its histogram unit (milliseconds, pinned: the default is to change to
// seconds), and the Prometheus exporter's suffixes (_total, _milliseconds): the RED recording
// rules (apps/prometheus-rules.ts) read exactly those, and test/otel-collector.test.ts holds the two
// together. There is no collector binary on the machines that run the tests.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { portOf } from "../core/contract/index";
import { toYaml } from "../core/yaml/write";
import { namespaceOf, workloadApp } from "./lib/app";
import { clusterService } from "./lib/service";
import { configChecksum, deployment, httpProbe } from "./lib/workload";

const otlpPort = portOf("otel-collector", "otlp").port;
const metricsPort = portOf("otel-collector", "metrics").port;
const healthPort = portOf("otel-collector", "health").port;
/** The collector's own telemetry, on loopback only: read back by the pipeline, never scraped directly. */
const telemetryPort = 8888;
const configDir = "/etc/otelcol-contrib";

/** Latency buckets of the spanmetrics histogram (Online Boutique's calls take milliseconds to seconds). */
const latencyBucketsMs = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

function collectorConfig(): Record<string, unknown> {
  return {
    extensions: { health_check: { endpoint: `0.0.0.0:${healthPort}` } },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${otlpPort}` } } },
      "prometheus/self": { config: { scrape_configs: [{ job_name: "otel-collector", scrape_interval: "30s", static_configs: [{ targets: [`127.0.0.1:${telemetryPort}`] }] }] } },
    },
    processors: { batch: {}, memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 } },
    connectors: {
      spanmetrics: {
        namespace: "traces.span.metrics",
        histogram: { unit: "ms", explicit: { buckets: latencyBucketsMs.map((ms) => `${ms}ms`) } },
        aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
        metrics_flush_interval: "15s",
        // Series of an operation no longer called disappear after 10 minutes instead of never.
        metrics_expiration: "10m",
      },
    },
    exporters: { prometheus: { endpoint: `0.0.0.0:${metricsPort}` } },
    service: {
      extensions: ["health_check"],
      telemetry: { metrics: { level: "normal", readers: [{ pull: { exporter: { prometheus: { host: "127.0.0.1", port: telemetryPort } } } }] } },
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["spanmetrics"] },
        metrics: { receivers: ["spanmetrics", "prometheus/self"], processors: ["memory_limiter", "batch"], exporters: ["prometheus"] },
      },
    },
  };
}

export const otelCollector = workloadApp({
  name: "otel-collector",
  component: "telemetry",
  workloads: ["otel-collector"],
  render: (context) => {
    const namespace = namespaceOf(context, "otel-collector");
    const config = toYaml(collectorConfig(), "# Rendered from apps/otel-collector.ts.");
    return [
      new ConfigMap({ metadata: { name: "otel-collector-config", namespace }, data: { "config.yaml": config } }),
      ...deployment(context, {
        name: "otel-collector",
        podAnnotations: configChecksum(config),
        containers: [
          {
            name: "collector",
            args: [
              `--config=${configDir}/config.yaml`,
              // On by default since 0.152: a random id per collector process as a label, so every
              // restart would start new series.
              "--feature-gates=-connector.spanmetrics.includeCollectorInstanceID",
            ],
            readinessProbe: httpProbe("/", healthPort, { periodSeconds: 10 }),
            livenessProbe: httpProbe("/", healthPort, { periodSeconds: 20 }),
            volumeMounts: [{ name: "config", mountPath: configDir, readOnly: true }],
          },
        ],
        volumes: [{ name: "config", configMap: { name: "otel-collector-config" } }],
      }),
      clusterService(context, "otel-collector", "otlp"),
    ];
  },
});
