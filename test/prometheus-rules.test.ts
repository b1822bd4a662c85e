// The environments' Prometheus rules (apps/prometheus-rules.ts), checked and unit-tested by the
// real promtool (Debian package prometheus, 2.42; .ci/run installs it): the files load, every
// alert fires on the failure it names with its summary, description and runbook, and stays quiet
// on a healthy series; the RED recording rules compute what the dashboards read.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { prometheusRuleGroups, redSeries, type AlertingRule, type RuleGroup } from "../apps/prometheus-rules";
import { loadEnvironment } from "../core/settings/load";
import { environmentsDir, repoRoot } from "./support/repo";

const dir = mkdtempSync(join(tmpdir(), "prometheus-rules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const runbook = "https://example.org/README.md";

function groupsOf(environment: string): RuleGroup[] {
  const loaded = loadEnvironment(environmentsDir, environment, repoRoot);
  return prometheusRuleGroups({ environment, settings: loaded.settings, deployed: new Set(loaded.deployed) }, runbook);
}

const alertsOf = (groups: RuleGroup[]) => groups.flatMap((group) => group.rules).filter((rule): rule is AlertingRule => "alert" in rule);

function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  if (result.error) throw new Error(`promtool could not run (Debian package prometheus; .ci/run installs it): ${result.error.message}`);
  return { status: result.status, output: result.stdout + result.stderr };
}

const prod = groupsOf("prod");
const prodAlerts = new Map(alertsOf(prod).map((rule) => [rule.alert, rule]));
writeFileSync(join(dir, "rules.yml"), stringify({ groups: prod }));

describe("rule files", () => {
  it.each(["dev", "prod"])("%s: promtool check rules accepts every group", (environment) => {
    writeFileSync(join(dir, `${environment}.yml`), stringify({ groups: groupsOf(environment) }));
    const result = promtool(["check", "rules", `${environment}.yml`]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });

  it("every alert has a severity, a summary, a description and a runbook link to its README section", () => {
    for (const rule of prodAlerts.values()) {
      expect(["critical", "warning", "none"]).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(20);
      expect(rule.annotations.runbook_url).toBe(`${runbook}#${rule.alert.toLowerCase()}`);
    }
  });

  it("every alert's runbook is a section of the README's Alert runbooks, and every section is an alert's", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Alert runbooks"), readme.indexOf("\n## ", readme.indexOf("## Alert runbooks") + 3));
    const headings = [...section.matchAll(/^### (\w+)$/gm)].map((match) => match[1]);
    expect(headings.sort()).toEqual([...prodAlerts.keys()].sort());
  });

  it("alerts about workloads an environment does not run are left out: dev has no replica, no Sentinels", () => {
    const devAlerts = alertsOf(groupsOf("dev")).map((rule) => rule.alert);
    for (const alert of ["PostgresReplicaLagging", "PostgresReplicaNotStreaming", "RedisNoMaster", "RedisSentinelQuorumLost"]) {
      expect(prodAlerts.has(alert), alert).toBe(true);
      expect(devAlerts, alert).not.toContain(alert);
    }
    expect(devAlerts).toContain("PostgresDown");
    expect(devAlerts).toContain("Watchdog");
  });
});

interface Case {
  /** Input series, one sample a minute. */
  series: Record<string, string>;
  /** Minutes after the start at which the alert is evaluated. */
  at: number;
  /** The firing alert's labels (besides alertname and severity) and summary; undefined: quiet. */
  fires?: { labels: Record<string, string>; summary: string };
}

/** A template's {{ $labels.x }} filled in, as Prometheus expands it. */
const withLabels = (template: string, labels: Record<string, string>) => template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? "");

/** One promtool unit test of an alert over the given cases. */
function alertTest(alert: string, cases: Case[]) {
  const rule = prodAlerts.get(alert);
  if (!rule) throw new Error(`no alert ${alert} in prod's rules`);
  const file = `test-${alert}.yml`;
  const tests = cases.map(({ series, at, fires }) => ({
    interval: "1m",
    input_series: Object.entries(series).map(([name, values]) => ({ series: name, values })),
    alert_rule_test: [
      {
        eval_time: `${at}m`,
        alertname: alert,
        exp_alerts: fires
          ? [{ exp_labels: { severity: rule.labels.severity, ...fires.labels }, exp_annotations: { summary: fires.summary, description: withLabels(rule.annotations.description, fires.labels), runbook_url: rule.annotations.runbook_url } }]
          : [],
      },
    ],
  }));
  writeFileSync(join(dir, file), stringify({ rule_files: ["rules.yml"], evaluation_interval: "1m", tests }));
  const result = promtool(["test", "rules", file]);
  expect(result.output).toContain("SUCCESS");
  expect(result.status).toBe(0);
}

const ns = 'namespace="microservices-demo"';
const server = (service: string, extra = "") => `traces_span_metrics_calls_total{service_name="${service}",span_kind="SPAN_KIND_SERVER"${extra}}`;
const errors = (service: string) => server(service, ',status_code="STATUS_CODE_ERROR"');
const ok = (service: string) => server(service, ',status_code="STATUS_CODE_UNSET"');

describe("each alert fires on its failure and stays quiet when healthy", () => {
  it("ServiceErrorRatioHigh: 10 % of a busy service's calls failing for 10 minutes; not 1 %, not on a trickle", () => {
    alertTest("ServiceErrorRatioHigh", [
      { series: { [ok("checkoutservice")]: "0+54x30", [errors("checkoutservice")]: "0+6x30" }, at: 20, fires: { labels: { service_name: "checkoutservice" }, summary: "checkoutservice: 10% of calls fail" } },
      { series: { [ok("checkoutservice")]: "0+594x30", [errors("checkoutservice")]: "0+6x30" }, at: 20 },
      { series: { [ok("checkoutservice")]: "0+2x30", [errors("checkoutservice")]: "0+1x30" }, at: 20 },
    ]);
  });

  it("ServiceLatencyHigh: the slowest 1 % over a second for 10 minutes; quiet when calls take under half a second", () => {
    const bucket = (le: string) => `traces_span_metrics_duration_milliseconds_bucket{service_name="frontend",span_kind="SPAN_KIND_SERVER",le="${le}"}`;
    const slow = { [bucket("500")]: "0+0x30", [bucket("1000")]: "0+0x30", [bucket("2500")]: "0+60x30", [bucket("+Inf")]: "0+60x30", [ok("frontend")]: "0+60x30" };
    const fast = { [bucket("500")]: "0+60x30", [bucket("1000")]: "0+60x30", [bucket("2500")]: "0+60x30", [bucket("+Inf")]: "0+60x30", [ok("frontend")]: "0+60x30" };
    alertTest("ServiceLatencyHigh", [
      { series: slow, at: 20, fires: { labels: { service_name: "frontend" }, summary: "frontend: p99 latency 2485 ms" } },
      { series: fast, at: 20 },
    ]);
  });

  it("TargetDown: a target unreachable for 5 minutes", () => {
    alertTest("TargetDown", [
      { series: { 'up{job="redis",instance="10.0.0.5:9121"}': "0x10" }, at: 8, fires: { labels: { job: "redis", instance: "10.0.0.5:9121" }, summary: "redis: 10.0.0.5:9121 cannot be scraped" } },
      { series: { 'up{job="redis",instance="10.0.0.5:9121"}': "1x10" }, at: 8 },
    ]);
  });

  it("DeploymentUnavailable: no replica of a Deployment that wants some; quiet with one", () => {
    const spec = `kube_deployment_spec_replicas{${ns},deployment="frontend"}`;
    const available = `kube_deployment_status_replicas_available{${ns},deployment="frontend"}`;
    alertTest("DeploymentUnavailable", [
      { series: { [spec]: "3x10", [available]: "0x10" }, at: 8, fires: { labels: { namespace: "microservices-demo", deployment: "frontend" }, summary: "microservices-demo/frontend: no replica available" } },
      { series: { [spec]: "3x10", [available]: "1x10" }, at: 8 },
    ]);
  });

  it("DeploymentReplicasMissing and StatefulSetReplicasMissing: fewer than desired for 15 minutes", () => {
    const deployment = (name: string) => `{${ns},deployment="cartservice"}`.replace("{", `${name}{`);
    alertTest("DeploymentReplicasMissing", [
      { series: { [deployment("kube_deployment_spec_replicas")]: "3x20", [deployment("kube_deployment_status_replicas_available")]: "2x20" }, at: 18, fires: { labels: { namespace: "microservices-demo", deployment: "cartservice" }, summary: "microservices-demo/cartservice: 2 replica(s) available, fewer than desired" } },
      { series: { [deployment("kube_deployment_spec_replicas")]: "3x20", [deployment("kube_deployment_status_replicas_available")]: "3x20" }, at: 18 },
    ]);
    const statefulSet = (name: string) => `${name}{${ns},statefulset="postgres"}`;
    alertTest("StatefulSetReplicasMissing", [
      { series: { [statefulSet("kube_statefulset_replicas")]: "2x20", [statefulSet("kube_statefulset_status_replicas_ready")]: "1x20" }, at: 18, fires: { labels: { namespace: "microservices-demo", statefulset: "postgres" }, summary: "microservices-demo/postgres: 1 replica(s) ready, fewer than desired" } },
      { series: { [statefulSet("kube_statefulset_replicas")]: "2x20", [statefulSet("kube_statefulset_status_replicas_ready")]: "2x20" }, at: 18 },
    ]);
  });

  it("PodCrashLooping: a restart a minute; quiet after two restarts", () => {
    const restarts = `kube_pod_container_status_restarts_total{${ns},pod="cartservice-1",container="server"}`;
    alertTest("PodCrashLooping", [
      { series: { [restarts]: "0+1x30" }, at: 20, fires: { labels: { namespace: "microservices-demo", pod: "cartservice-1", container: "server" }, summary: "microservices-demo/cartservice-1: container server restarted 15 times in 15 minutes" } },
      { series: { [restarts]: "0 0 0 0 0 0 0 0 0 0 1 2 2 2 2 2 2 2 2 2 2 2" }, at: 20 },
    ]);
  });

  it("PersistentVolumeFillingUp: 90 % used; quiet at half", () => {
    const claim = (name: string) => `${name}{${ns},persistentvolumeclaim="postgres-pvc-postgres-0"}`;
    alertTest("PersistentVolumeFillingUp", [
      { series: { [claim("kubelet_volume_stats_used_bytes")]: "90x10", [claim("kubelet_volume_stats_capacity_bytes")]: "100x10" }, at: 8, fires: { labels: { namespace: "microservices-demo", persistentvolumeclaim: "postgres-pvc-postgres-0" }, summary: "microservices-demo/postgres-pvc-postgres-0: 90% used" } },
      { series: { [claim("kubelet_volume_stats_used_bytes")]: "50x10", [claim("kubelet_volume_stats_capacity_bytes")]: "100x10" }, at: 8 },
    ]);
  });

  it("PersistentVolumeFullIn24h: more than half full and filling within a day; quiet when it stops filling", () => {
    const claim = (name: string) => `${name}{${ns},persistentvolumeclaim="order-spool-order-persistence-0"}`;
    const filling = { [claim("kubelet_volume_stats_available_bytes")]: "800-1x500", [claim("kubelet_volume_stats_used_bytes")]: "200+1x500", [claim("kubelet_volume_stats_capacity_bytes")]: "1000x500" };
    const steady = { [claim("kubelet_volume_stats_available_bytes")]: "320x500", [claim("kubelet_volume_stats_used_bytes")]: "680x500", [claim("kubelet_volume_stats_capacity_bytes")]: "1000x500" };
    alertTest("PersistentVolumeFullIn24h", [
      { series: filling, at: 480, fires: { labels: { namespace: "microservices-demo", persistentvolumeclaim: "order-spool-order-persistence-0" }, summary: "microservices-demo/order-spool-order-persistence-0: full within 24 hours at the rate of the last 6" } },
      { series: steady, at: 480 },
    ]);
  });

  it("PostgresDown and RedisDown: the exporter cannot reach its server for 2 minutes", () => {
    alertTest("PostgresDown", [
      { series: { [`pg_up{${ns},pod="postgres-0"}`]: "0x5" }, at: 4, fires: { labels: { namespace: "microservices-demo", pod: "postgres-0" }, summary: "postgres-0: PostgreSQL does not answer its exporter" } },
      { series: { [`pg_up{${ns},pod="postgres-0"}`]: "1x5" }, at: 4 },
    ]);
    alertTest("RedisDown", [
      { series: { [`redis_up{${ns},pod="redis-2"}`]: "0x5" }, at: 4, fires: { labels: { namespace: "microservices-demo", pod: "redis-2" }, summary: "redis-2: Redis does not answer its exporter" } },
      { series: { [`redis_up{${ns},pod="redis-2"}`]: "1x5" }, at: 4 },
    ]);
  });

  it("PostgresReplicaLagging: 100 MiB of WAL behind for 10 minutes; quiet at 1 MiB", () => {
    const lag = `pg_stat_replication_pg_wal_lsn_diff{${ns},pod="postgres-0",application_name="postgres-1",state="streaming"}`;
    alertTest("PostgresReplicaLagging", [
      { series: { [lag]: `${100 * 2 ** 20}x15` }, at: 12, fires: { labels: { namespace: "microservices-demo", application_name: "postgres-1" }, summary: "replica postgres-1 is 100MiB of WAL behind" } },
      { series: { [lag]: `${2 ** 20}x15` }, at: 12 },
    ]);
  });

  it("PostgresReplicaNotStreaming: PostgreSQL up but no replica streaming; quiet while one streams", () => {
    const up = `pg_up{${ns},pod="postgres-0"}`;
    alertTest("PostgresReplicaNotStreaming", [
      { series: { [up]: "1x10" }, at: 8, fires: { labels: { namespace: "microservices-demo" }, summary: "microservices-demo: no PostgreSQL replica is streaming from the primary" } },
      { series: { [up]: "1x10", [`pg_stat_replication_pg_wal_lsn_diff{${ns},pod="postgres-0",application_name="postgres-1",state="streaming"}`]: "0x10" }, at: 8 },
    ]);
  });

  it("RedisNoMaster: Redis answers but none is master; quiet with a master", () => {
    const info = (pod: string, role: string) => `redis_instance_info{${ns},pod="${pod}",role="${role}"}`;
    const up = (pod: string) => `redis_up{${ns},pod="${pod}"}`;
    alertTest("RedisNoMaster", [
      { series: { [up("redis-0")]: "1x5", [up("redis-1")]: "1x5", [info("redis-0", "slave")]: "1x5", [info("redis-1", "slave")]: "1x5" }, at: 3, fires: { labels: { namespace: "microservices-demo" }, summary: "microservices-demo: no Redis is master" } },
      { series: { [up("redis-0")]: "1x5", [up("redis-1")]: "1x5", [info("redis-0", "master")]: "1x5", [info("redis-1", "slave")]: "1x5" }, at: 3 },
    ]);
  });

  it("RedisSentinelQuorumLost: fewer Sentinels see the master than a failover needs", () => {
    const ok = `redis_sentinel_master_ok_sentinels{${ns},pod="redis-sentinel-0",master_name="mymaster",master_address="10.0.0.7:6379"}`;
    alertTest("RedisSentinelQuorumLost", [
      { series: { [ok]: "1x5" }, at: 4, fires: { labels: { namespace: "microservices-demo", master_name: "mymaster" }, summary: "mymaster: 1 Sentinel(s) see the master, a failover needs 2" } },
      { series: { [ok]: "3x5" }, at: 4 },
    ]);
  });

  it("Prometheus: a failed reload, failing rules, no Alertmanager, failing notifications", () => {
    const pod = 'namespace="monitoring",pod="prometheus-0"';
    alertTest("PrometheusConfigReloadFailed", [
      { series: { [`prometheus_config_last_reload_successful{${pod}}`]: "0x12" }, at: 11, fires: { labels: { namespace: "monitoring", pod: "prometheus-0" }, summary: "prometheus-0: Prometheus runs an older configuration" } },
      { series: { [`prometheus_config_last_reload_successful{${pod}}`]: "1x12" }, at: 11 },
    ]);
    const failures = `prometheus_rule_evaluation_failures_total{${pod},rule_group="rules.yml;red"}`;
    alertTest("PrometheusRuleEvaluationFailing", [
      { series: { [failures]: "0+1x12" }, at: 11, fires: { labels: { namespace: "monitoring", pod: "prometheus-0", rule_group: "rules.yml;red" }, summary: "prometheus-0: rules of rules.yml;red fail to evaluate" } },
      { series: { [failures]: "3x12" }, at: 11 },
    ]);
    alertTest("PrometheusNotConnectedToAlertmanagers", [
      { series: { [`prometheus_notifications_alertmanagers_discovered{${pod}}`]: "0x12" }, at: 11, fires: { labels: { namespace: "monitoring", pod: "prometheus-0" }, summary: "prometheus-0: Prometheus knows no Alertmanager" } },
      { series: { [`prometheus_notifications_alertmanagers_discovered{${pod}}`]: "3x12" }, at: 11 },
    ]);
    const target = ',alertmanager="http://10.0.0.9:9093/api/v2/alerts"';
    alertTest("PrometheusNotificationsFailing", [
      { series: { [`prometheus_notifications_errors_total{${pod}${target}}`]: "0+6x30", [`prometheus_notifications_sent_total{${pod}${target}}`]: "0+60x30" }, at: 25, fires: { labels: { namespace: "monitoring", pod: "prometheus-0", alertmanager: "http://10.0.0.9:9093/api/v2/alerts" }, summary: "prometheus-0: 10% of notifications to http://10.0.0.9:9093/api/v2/alerts fail" } },
      { series: { [`prometheus_notifications_errors_total{${pod}${target}}`]: "0x30", [`prometheus_notifications_sent_total{${pod}${target}}`]: "0+60x30" }, at: 25 },
    ]);
  });

  it("Alertmanager: a failed reload, failing notifications", () => {
    const pod = 'namespace="monitoring",pod="alertmanager-1"';
    alertTest("AlertmanagerConfigReloadFailed", [
      { series: { [`alertmanager_config_last_reload_successful{${pod}}`]: "0x12" }, at: 11, fires: { labels: { namespace: "monitoring", pod: "alertmanager-1" }, summary: "alertmanager-1: Alertmanager runs an older configuration" } },
      { series: { [`alertmanager_config_last_reload_successful{${pod}}`]: "1x12" }, at: 11 },
    ]);
    const failed = `alertmanager_notifications_failed_total{${pod},integration="webhook"}`;
    alertTest("AlertmanagerNotificationsFailing", [
      { series: { [failed]: "0+1x30" }, at: 25, fires: { labels: { namespace: "monitoring", pod: "alertmanager-1", integration: "webhook" }, summary: "alertmanager-1: notifications through webhook fail" } },
      { series: { [failed]: "2x30" }, at: 25 },
    ]);
  });

  it("AlertmanagerClusterDegraded: a peer that sees fewer members than prod runs; quiet with all three", () => {
    const members = 'alertmanager_cluster_members{namespace="monitoring",pod="alertmanager-2"}';
    alertTest("AlertmanagerClusterDegraded", [
      { series: { [members]: "2x15" }, at: 12, fires: { labels: { namespace: "monitoring", pod: "alertmanager-2" }, summary: "alertmanager-2 sees 2 of 3 cluster members" } },
      { series: { [members]: "3x15" }, at: 12 },
    ]);
    expect(alertsOf(groupsOf("dev")).map((rule) => rule.alert)).not.toContain("AlertmanagerClusterDegraded");
  });

  it("TrafficRunsFailing: the two latest runs of the traffic CronJob failed; quiet when the latest passed, or only the initial run and one scheduled run failed", () => {
    const run = (job: string, start: number, failed: boolean, owner = "traffic") => ({
      [`kube_job_status_start_time{${ns},job_name="${job}"}`]: `${start}x20`,
      [`kube_job_owner{${ns},job_name="${job}",owner_kind="${owner === "" ? "<none>" : "CronJob"}",owner_name="${owner === "" ? "<none>" : owner}",owner_is_controller="true"}`]: "1x20",
      [`kube_job_failed{${ns},job_name="${job}",condition="true"}`]: failed ? "1x20" : "0x20",
      [`kube_job_failed{${ns},job_name="${job}",condition="false"}`]: failed ? "0x20" : "1x20",
    });
    const fires = { labels: { namespace: "microservices-demo" }, summary: "microservices-demo: the last two traffic runs failed their thresholds" };
    alertTest("TrafficRunsFailing", [
      { series: { ...run("traffic-1000", 1000, false), ...run("traffic-1015", 1900, true), ...run("traffic-1030", 2800, true) }, at: 5, fires },
      // The latest passed: one failure is a blip.
      { series: { ...run("traffic-1000", 1000, true), ...run("traffic-1015", 1900, true), ...run("traffic-1030", 2800, false) }, at: 5 },
      // The run-once Job is not the CronJob's.
      { series: { ...run("traffic-initial", 900, true, ""), ...run("traffic-1000", 1000, true) }, at: 5 },
    ]);
  });

  it("Watchdog always fires", () => {
    alertTest("Watchdog", [{ series: {}, at: 1, fires: { labels: {}, summary: "Always firing: the alerting pipeline works" } }]);
  });

  it("every alert of prod is specified above", () => {
    const specified: string[] = ["ServiceErrorRatioHigh", "ServiceLatencyHigh", "TargetDown", "DeploymentUnavailable", "DeploymentReplicasMissing", "StatefulSetReplicasMissing", "PodCrashLooping", "PersistentVolumeFillingUp", "PersistentVolumeFullIn24h", "PostgresDown", "RedisDown", "PostgresReplicaLagging", "PostgresReplicaNotStreaming", "RedisNoMaster", "RedisSentinelQuorumLost", "PrometheusConfigReloadFailed", "PrometheusRuleEvaluationFailing", "PrometheusNotConnectedToAlertmanagers", "PrometheusNotificationsFailing", "AlertmanagerConfigReloadFailed", "AlertmanagerNotificationsFailing", "AlertmanagerClusterDegraded", "Watchdog"];
    // The order tee's, in test/order-persistence-alerts.test.ts.
    specified.push("OrderSpoolQuarantined", "OrderSpoolBacklog", "OrderIdConflicts", "TrafficRunsFailing");
    expect([...prodAlerts.keys()].sort()).toEqual(specified.sort());
  });
});

describe("RED recording rules", () => {
  it("request rate, error ratio (0 without errors) and latency quantiles per service", () => {
    const bucket = (le: string) => `traces_span_metrics_duration_milliseconds_bucket{service_name="cartservice",span_kind="SPAN_KIND_SERVER",le="${le}"}`;
    const file = "test-red.yml";
    writeFileSync(
      join(dir, file),
      stringify({
        rule_files: ["rules.yml"],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: [
              { series: ok("cartservice"), values: "0+120x20" },
              { series: ok("frontend"), values: "0+54x20" },
              { series: errors("frontend"), values: "0+6x20" },
              { series: server("cartservice", ',span_name="client call",status_code="STATUS_CODE_ERROR"').replace("SPAN_KIND_SERVER", "SPAN_KIND_CLIENT"), values: "0+60x20" },
              { series: bucket("10"), values: "0+60x20" },
              { series: bucket("100"), values: "0+120x20" },
              { series: bucket("+Inf"), values: "0+120x20" },
            ],
            promql_expr_test: [
              { expr: redSeries.requests, eval_time: "10m", exp_samples: [{ labels: `${redSeries.requests}{service_name="cartservice"}`, value: 2 }, { labels: `${redSeries.requests}{service_name="frontend"}`, value: 1 }] },
              { expr: redSeries.errorRatio, eval_time: "10m", exp_samples: [{ labels: `${redSeries.errorRatio}{service_name="cartservice"}`, value: 0 }, { labels: `${redSeries.errorRatio}{service_name="frontend"}`, value: 0.1 }] },
              { expr: redSeries.latencyMs("p50"), eval_time: "10m", exp_samples: [{ labels: `${redSeries.latencyMs("p50")}{service_name="cartservice"}`, value: 10 }] },
              { expr: redSeries.latencyMs("p99"), eval_time: "10m", exp_samples: [{ labels: `${redSeries.latencyMs("p99")}{service_name="cartservice"}`, value: 98.2 }] },
            ],
          },
        ],
      }),
    );
    const result = promtool(["test", "rules", file]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });
});
