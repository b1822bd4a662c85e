// Prometheus rules for an environment: RED recording rules per service (from the OpenTelemetry
// collector's spanmetrics), and the alerts an on-call engineer acts on. Each alert carries
// severity, summary, description and a runbook_url pointing at its README section
// ("Alert runbooks"). Thresholds come from the contract (alertThresholds). Alerts about a
// workload the environment does not run (Sentinels in dev, a PostgreSQL replica) are left out.
//
// Metric names are those of the images we deploy and of the Debian engines the tests run:
// kube-state-metrics, kubelet volume stats, postgres-exporter (replication lag in bytes: 0.11 has
// no seconds), redis_exporter, Prometheus and Alertmanager themselves, and the collector's
// spanmetrics connector with its histogram unit pinned to milliseconds.
import { alertThresholds as limits, redisSentinel, type WorkloadName } from "../core/contract/index";
import { replicaCount } from "../core/settings/topology";
import type { RenderContext } from "./lib/app";

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: "critical" | "warning" | "none" };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

/** spanmetrics series of server spans: one per call a service answers. */
const calls = 'traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}';
const errorCalls = 'traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER",status_code="STATUS_CODE_ERROR"}';
const durationBuckets = 'traces_span_metrics_duration_milliseconds_bucket{span_kind="SPAN_KIND_SERVER"}';

/** Recorded series the alerts and the application dashboard read. */
export const redSeries = {
  requests: "service:requests:rate5m",
  errors: "service:errors:rate5m",
  errorRatio: "service:error_ratio:rate5m",
  latencyMs: (quantile: "p50" | "p95" | "p99") => `service:latency_ms:${quantile}_5m`,
} as const;

function redRecordingRules(): RecordingRule[] {
  const quantiles = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;
  return [
    { record: redSeries.requests, expr: `sum by (service_name) (rate(${calls}[5m]))` },
    { record: redSeries.errors, expr: `sum by (service_name) (rate(${errorCalls}[5m]))` },
    // A service without a single error has no error series: its ratio is 0, not missing.
    { record: redSeries.errorRatio, expr: `(${redSeries.errors} or 0 * ${redSeries.requests}) / ${redSeries.requests}` },
    ...Object.entries(quantiles).map(([name, quantile]) => ({
      record: redSeries.latencyMs(name as keyof typeof quantiles),
      expr: `histogram_quantile(${quantile}, sum by (service_name, le) (rate(${durationBuckets}[5m])))`,
    })),
  ];
}

/** Builds alerts whose runbook_url is `<runbookBase>#<alert in lower case>` (a README heading per alert). */
function alertMaker(runbookBase: string) {
  return (alert: string, severity: AlertingRule["labels"]["severity"], expr: string, forDuration: string | undefined, summary: string, description: string): AlertingRule => ({
    alert,
    expr,
    ...(forDuration ? { for: forDuration } : {}),
    labels: { severity },
    annotations: { summary, description, runbook_url: `${runbookBase}#${alert.toLowerCase()}` },
  });
}

const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;

/** The rule groups of one environment. `runbookBase` is the README's URL. */
export function prometheusRuleGroups(context: RenderContext, runbookBase: string): RuleGroup[] {
  const alert = alertMaker(runbookBase);
  const runs = (workload: WorkloadName) => context.deployed.has(workload);
  const replicas = (workload: WorkloadName) => (runs(workload) ? replicaCount(context.settings, workload) : 0);
  const busy = `${redSeries.requests} > ${limits.minimumRequestRate}`;

  const services: AlertingRule[] = [
    alert("ServiceErrorRatioHigh", "critical", `${redSeries.errorRatio} > ${limits.errorRatio} and on (service_name) ${busy}`, "10m",
      `{{ $labels.service_name }}: {{ $value | humanizePercentage }} of calls fail`,
      `More than ${percent(limits.errorRatio)} of the calls {{ $labels.service_name }} answered in the last 5 minutes ended in an error, for 10 minutes.`),
    alert("ServiceLatencyHigh", "warning", `${redSeries.latencyMs("p99")} > ${limits.latencyP99Ms} and on (service_name) ${busy}`, "10m",
      `{{ $labels.service_name }}: p99 latency {{ $value | printf "%.0f" }} ms`,
      `The slowest 1 % of {{ $labels.service_name }}'s calls took over ${limits.latencyP99Ms} ms, for 10 minutes.`),
    alert("TargetDown", "warning", "up == 0", "5m",
      "{{ $labels.job }}: {{ $labels.instance }} cannot be scraped",
      "Prometheus has not reached this target for 5 minutes: the pod is down, not ready, or a NetworkPolicy blocks the metrics port."),
  ];

  const workloads: AlertingRule[] = [
    alert("DeploymentUnavailable", "critical", "kube_deployment_spec_replicas > 0 and kube_deployment_status_replicas_available == 0", "5m",
      "{{ $labels.namespace }}/{{ $labels.deployment }}: no replica available",
      "Every replica of the Deployment is down or not ready: what it serves is down."),
    alert("DeploymentReplicasMissing", "warning", "kube_deployment_status_replicas_available < kube_deployment_spec_replicas", "15m",
      "{{ $labels.namespace }}/{{ $labels.deployment }}: {{ $value }} replica(s) available, fewer than desired",
      "The Deployment has had fewer available replicas than desired for 15 minutes (pending pods, failing probes, a rollout stuck)."),
    alert("StatefulSetReplicasMissing", "warning", "kube_statefulset_status_replicas_ready < kube_statefulset_replicas", "15m",
      "{{ $labels.namespace }}/{{ $labels.statefulset }}: {{ $value }} replica(s) ready, fewer than desired",
      "The StatefulSet has had fewer ready replicas than desired for 15 minutes."),
    alert("PodCrashLooping", "warning", `increase(kube_pod_container_status_restarts_total[15m]) > ${limits.restartsIn15m}`, undefined,
      "{{ $labels.namespace }}/{{ $labels.pod }}: container {{ $labels.container }} restarted {{ $value | humanize }} times in 15 minutes",
      `The container restarted more than ${limits.restartsIn15m} times in 15 minutes.`),
  ];

  const volumeUsed = "kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes";
  const storage: AlertingRule[] = [
    alert("PersistentVolumeFillingUp", "warning", `${volumeUsed} > ${limits.volumeUsedRatio}`, "5m",
      "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}: {{ $value | humanizePercentage }} used",
      `The volume is more than ${percent(limits.volumeUsedRatio)} full.`),
    alert("PersistentVolumeFullIn24h", "critical", `predict_linear(kubelet_volume_stats_available_bytes[6h], 24 * 3600) < 0 and ${volumeUsed} > 0.5`, "1h",
      "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}: full within 24 hours at the rate of the last 6",
      "The volume is more than half full and has been filling at a rate that fills it within a day."),
  ];

  const data: AlertingRule[] = [
    alert("PostgresDown", "critical", "pg_up == 0", "2m",
      "{{ $labels.pod }}: PostgreSQL does not answer its exporter",
      "The exporter beside PostgreSQL cannot connect to it. Orders are spooled by order persistence meanwhile."),
  ];
  if (replicas("postgres") > 1) {
    data.push(
      alert("PostgresReplicaLagging", "warning", `max by (namespace, application_name) (pg_stat_replication_pg_wal_lsn_diff) > ${limits.postgresReplicaLagBytes}`, "10m",
        "replica {{ $labels.application_name }} is {{ $value | humanize1024 }}B of WAL behind",
        `The streaming replica has been more than ${limits.postgresReplicaLagBytes / 2 ** 20} MiB of WAL behind the primary for 10 minutes.`),
      alert("PostgresReplicaNotStreaming", "critical", `count by (namespace) (pg_up == 1) unless on (namespace) count by (namespace) (pg_stat_replication_pg_wal_lsn_diff{state="streaming"})`, "5m",
        "{{ $labels.namespace }}: no PostgreSQL replica is streaming from the primary",
        "The primary reports no streaming replica: the replica is down, cannot authenticate, or lost its slot. Orders have no second copy."),
    );
  }
  data.push(
    alert("RedisDown", "critical", "redis_up == 0", "2m",
      "{{ $labels.pod }}: Redis does not answer its exporter",
      "Carts on this Redis are unavailable."),
  );
  if (runs("redis-sentinel")) {
    data.push(
      alert("RedisNoMaster", "critical", `count by (namespace) (redis_up == 1) unless on (namespace) count by (namespace) (redis_instance_info{role="master"})`, "1m",
        "{{ $labels.namespace }}: no Redis is master",
        "Redis pods answer, but none is master: carts cannot be written. The Sentinels have not promoted a replica."),
      alert("RedisSentinelQuorumLost", "critical", `max by (namespace, master_name) (redis_sentinel_master_ok_sentinels) < ${redisSentinel.quorum}`, "2m",
        `{{ $labels.master_name }}: {{ $value }} Sentinel(s) see the master, a failover needs ${redisSentinel.quorum}`,
        "Too few Sentinels see the master: if it fails now, no replica is promoted."),
    );
  }

  // The order tee's own series (services/order-persistence/src/metrics.ts).
  const orders: AlertingRule[] = [
    // Every quarantined file is an order the caller was told is safe: never wait.
    alert("OrderSpoolQuarantined", "critical", "max by (namespace, pod) (order_spool_quarantined) > 0", undefined,
      "{{ $labels.pod }}: {{ $value }} spooled order(s) can never be stored and were set aside",
      "Acknowledged orders sit in the spool volume as *.bad files (unparseable, or a record PostgreSQL would refuse). Inspect them, store what can be stored by hand, then delete the files."),
    // Orders spool while PostgreSQL is down or read-only; a spool that does not drain for 15
    // minutes means the outage, or a file the replay keeps failing on, needs a person.
    alert("OrderSpoolBacklog", "warning", "max by (namespace, pod) (order_spool_depth) > 0", "15m",
      "{{ $labels.pod }}: {{ $value }} order(s) waiting in the spool for 15 minutes",
      "PostgreSQL has been unavailable or read-only, or replay keeps failing (see the pod's log: 'spool files could not be read' or 'spooled order could not be replayed')."),
    // The same order_id with other content: a checkout bug or a forged call; the first version stands.
    alert("OrderIdConflicts", "warning", "sum by (namespace) (increase(orders_conflicting_total[1h])) > 0", undefined,
      "{{ $value }} order confirmation(s) in the last hour reused an order_id with other content",
      "The first version of each order_id is kept; later versions were refused (ALREADY_EXISTS) or set aside as *.conflict files in the spool."),
  ];

  // k6 exits non-zero when a threshold is crossed (settings traffic.thresholds), which fails its
  // Job (backoffLimit 0). One failed run can be a blip; the two latest runs failing is a shop
  // that real users would find slow or broken.
  const latestTrafficRuns = `topk by (namespace) (2, kube_job_status_start_time * on (namespace, job_name) kube_job_owner{owner_kind="CronJob", owner_name="traffic"})`;
  const traffic: AlertingRule[] = [
    alert("TrafficRunsFailing", "warning", `count by (namespace) (${latestTrafficRuns} and on (namespace, job_name) kube_job_failed{condition="true"} == 1) >= 2`, undefined,
      "{{ $labels.namespace }}: the last two traffic runs failed their thresholds",
      "The two latest k6 runs of CronJob traffic failed: more failed requests or a slower p95 than settings traffic.thresholds allow (or k6 could not run). The application dashboard's k6 panels and `kubectl logs job/<run>` show which."),
  ];

  const monitoring: AlertingRule[] = [
    alert("PrometheusConfigReloadFailed", "critical", "prometheus_config_last_reload_successful == 0", "10m",
      "{{ $labels.pod }}: Prometheus runs an older configuration",
      "The last configuration reload failed; the previous configuration stays in force."),
    alert("PrometheusRuleEvaluationFailing", "warning", "increase(prometheus_rule_evaluation_failures_total[10m]) > 0", undefined,
      "{{ $labels.pod }}: rules of {{ $labels.rule_group }} fail to evaluate",
      "Some recording or alerting rules could not be evaluated in the last 10 minutes: their alerts cannot fire."),
    alert("PrometheusNotConnectedToAlertmanagers", "critical", "prometheus_notifications_alertmanagers_discovered < 1", "10m",
      "{{ $labels.pod }}: Prometheus knows no Alertmanager",
      "Alerts fire but reach nobody: Prometheus has discovered no Alertmanager."),
    alert("PrometheusNotificationsFailing", "critical",
      `rate(prometheus_notifications_errors_total[5m]) / rate(prometheus_notifications_sent_total[5m]) > ${limits.notificationErrorRatio}`, "15m",
      "{{ $labels.pod }}: {{ $value | humanizePercentage }} of notifications to {{ $labels.alertmanager }} fail",
      "Prometheus cannot deliver alerts to an Alertmanager."),
    alert("AlertmanagerConfigReloadFailed", "critical", "alertmanager_config_last_reload_successful == 0", "10m",
      "{{ $labels.pod }}: Alertmanager runs an older configuration",
      "The last configuration reload failed; the previous configuration stays in force."),
    alert("AlertmanagerNotificationsFailing", "critical", "rate(alertmanager_notifications_failed_total[5m]) > 0", "15m",
      "{{ $labels.pod }}: notifications through {{ $labels.integration }} fail",
      "Alertmanager cannot deliver to a receiver (a wrong URL or credential, the receiver down)."),
  ];
  const peers = replicas("alertmanager");
  if (peers > 1) {
    monitoring.push(
      alert("AlertmanagerClusterDegraded", "warning", `alertmanager_cluster_members < ${peers}`, "10m",
        "{{ $labels.pod }} sees {{ $value }} of " + `${peers} cluster members`,
        "The Alertmanager peers do not all see each other (gossip on 9094 TCP and UDP): a notification may go out twice, or a silence not hold everywhere."),
    );
  }
  monitoring.push(
    alert("Watchdog", "none", "vector(1)", undefined,
      "Always firing: the alerting pipeline works",
      "This alert always fires. A dead man's switch outside the cluster pages when it stops arriving."),
  );

  return [
    { name: "red", rules: redRecordingRules() },
    { name: "services", rules: services },
    { name: "workloads", rules: workloads },
    { name: "storage", rules: storage },
    { name: "data", rules: data },
    ...(runs("order-persistence") ? [{ name: "orders", rules: orders }] : []),
    ...(runs("traffic") ? [{ name: "traffic", rules: traffic }] : []),
    { name: "monitoring", rules: monitoring },
  ];
}
