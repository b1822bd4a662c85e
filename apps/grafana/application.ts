// Application dashboard: rate, errors and duration per service from the RED recording rules
// (apps/prometheus-rules.ts, computed from the collector's spanmetrics), the frontend's calls by
// span status, the k6 load test's own view when a run has sent its results (k6's Prometheus
// remote-write output), and how close each service is to its CPU and memory limits (cAdvisor and
// kube-state-metrics).
//
// The spanmetrics connector keeps the default dimensions only (service, span name, kind, status
// code), so the frontend's mix is by span status (UNSET/OK vs ERROR; server spans mark 5xx as
// ERROR, 4xx stays UNSET); its HTTP status codes are on the Application logs dashboard, from the
// access log.
//
// k6 series come by remote write: no job, namespace or pod labels, only k6's tags (status, method,
// name, scenario, expected_response, …). Trend statistics are gauges in seconds named
// k6_<metric>_<stat>; k6 sends p99 only unless K6_PROMETHEUS_RW_TREND_STATS asks for more
// ("p(95),p(99)" for this dashboard).
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as piechart from "@grafana/grafana-foundation-sdk/piechart";
import * as table from "@grafana/grafana-foundation-sdk/table";
import { alertThresholds } from "../../core/contract/index";
import { redSeries } from "../prometheus-rules";
import { allOption, baseDashboard, dataLinkTo, datasourceRef, instantTable, labelValuesVariable, legendTable, mergeTables, panel, PanelIds, promQuery, type PanelSpec, redFrom, shareSeries, stacked, timeSeries, type DashboardContext } from "./kit";
import { allDashboards, dashboards, dashboardTags } from "./names";

const service = 'service_name=~"$service"';
const frontendServerSpans = 'traces_span_metrics_calls_total{service_name="frontend", span_kind="SPAN_KIND_SERVER"}';

/**
 * The workload a pod belongs to: its name without the ReplicaSet hash and pod suffix
 * (Deployments: `frontend-5d8f7c9b6-x2x4z`) or the ordinal (StatefulSets: `redis-cart-0`). The
 * services' workloads are named like their service, so `$service` selects both.
 */
const byWorkload = (expr: string) => `label_replace(${expr}, "workload", "$1", "pod", "(.+?)(?:-[a-z0-9]{6,10}-[a-z0-9]{5}|-[0-9]+)")`;


export function applicationDashboard(context: DashboardContext): dashboard.Dashboard {
  const ids = new PanelIds();
  const prometheus = datasourceRef(context.uids, "prometheus");
  // The k6 row: results come by remote write into Prometheus, only while a run sends them.
  type K6Builder = ReturnType<typeof timeSeries>;
  const k6Panel = (builder: K6Builder, spec: Omit<PanelSpec<K6Builder>, "panel" | "datasource">) => panel(ids, { panel: builder.noValue("No k6 run in the time range"), datasource: prometheus, ...spec });
  const prom = (expr: string, legend: string, options?: { instant?: boolean; table?: boolean }) => promQuery(context.uids, expr, legend, options);
  const toLogs = dataLinkTo(dashboards.logs, "app", "service_name");
  const pods = `namespace="${context.namespaces.app}", pod=~"($service)-.+", container!=""`;
  const perWorkload = (expr: string) => `sum by (workload) (${byWorkload(expr)})`;
  const limit = (resource: "cpu" | "memory") => perWorkload(`kube_pod_container_resource_limits{${pods}, resource="${resource}"}`);

  const builder = baseDashboard(dashboards.application, allDashboards, [...dashboardTags, "red"], "Requests, errors and latency per service, the frontend's call mix, the k6 load test, and each service's headroom.")
    .withVariable(labelValuesVariable("service", "Service", prometheus, `label_values(${redSeries.requests}, service_name)`).current(allOption()))
    .withRow(new dashboard.RowBuilder("Rate, errors, duration (server spans, 5-minute windows)").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: timeSeries("reqps").dataLinks([toLogs]),
        title: "Requests per second",
        description: "Calls each service answered per second (recording rule service:requests:rate5m).",
        datasource: prometheus,
        queries: [prom(`${redSeries.requests}{${service}}`, "{{service_name}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: timeSeries("percentunit")
          .thresholds(redFrom(alertThresholds.errorRatio))
          .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line))
          .dataLinks([toLogs]),
        title: "Error ratio",
        description: `Share of calls ending in an error; the line is ServiceErrorRatioHigh's threshold (${alertThresholds.errorRatio * 100} %).`,
        datasource: prometheus,
        queries: [prom(`${redSeries.errorRatio}{${service}}`, "{{service_name}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: timeSeries("reqps").dataLinks([toLogs]),
        title: "Errors per second",
        description: "Calls ending in an error per second (service:errors:rate5m). A service without errors has no series.",
        datasource: prometheus,
        queries: [prom(`${redSeries.errors}{${service}}`, "{{service_name}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: timeSeries("ms")
          .thresholds(redFrom(alertThresholds.latencyP99Ms))
          .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line))
          .legend(legendTable(["mean", "max"])),
        title: "Latency p50 / p95 / p99",
        description: `Server span durations per service; the line is ServiceLatencyHigh's p99 threshold (${alertThresholds.latencyP99Ms} ms).`,
        datasource: prometheus,
        queries: [
          prom(`${redSeries.latencyMs("p50")}{${service}}`, "{{service_name}} p50"),
          prom(`${redSeries.latencyMs("p95")}{${service}}`, "{{service_name}} p95"),
          prom(`${redSeries.latencyMs("p99")}{${service}}`, "{{service_name}} p99"),
        ],
        size: [14, 9],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: new table.PanelBuilder().dataLinks([toLogs]),
        title: "Services now",
        description: "The last 5 minutes per service: requests per second, error ratio and p99 in milliseconds.",
        datasource: prometheus,
        queries: [
          prom(`${redSeries.requests}{${service}}`, "", instantTable),
          prom(`${redSeries.errorRatio}{${service}}`, "", instantTable),
          prom(`${redSeries.latencyMs("p99")}{${service}}`, "", instantTable),
        ],
        size: [10, 9],
      }).transformations(mergeTables({ service_name: "service", "Value #A": "req/s", "Value #B": "error ratio", "Value #C": "p99 ms" })),
    )
    .withRow(new dashboard.RowBuilder("Frontend").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: timeSeries("reqps").stacking(stacked()).fillOpacity(50),
        title: "Frontend requests by span status",
        description: "HTTP requests the frontend answered per second, by span status: ERROR is a 5xx answer, UNSET or OK everything else.",
        datasource: prometheus,
        queries: [prom(`sum by (status_code) (rate(${frontendServerSpans}[$__rate_interval]))`, "{{status_code}}")],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: new piechart.PanelBuilder().pieType(piechart.PieChartType.Donut).reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false)),
        title: "Frontend status mix in the time range",
        description: "Frontend requests in the time range by operation and span status.",
        datasource: prometheus,
        queries: [prom(`sum by (span_name, status_code) (increase(${frontendServerSpans}[$__range]))`, "{{span_name}} {{status_code}}", { instant: true })],
        size: [12, 8],
      }),
    )
    .withRow(new dashboard.RowBuilder("Load test (k6, while a run sends its results)").id(ids.take()))
    .withPanel(
      k6Panel(timeSeries("reqps").stacking(stacked()).fillOpacity(50), {
        title: "k6 requests per second by status",
        description: "HTTP requests k6 made per second, by the status it received (k6_http_reqs_total).",
        queries: [prom("sum by (status) (rate(k6_http_reqs_total[$__rate_interval]))", "{{status}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      k6Panel(timeSeries("s"), {
        title: "k6 request duration p95 / p99",
        description: "Request durations k6 measured, as k6 aggregates them (needs K6_PROMETHEUS_RW_TREND_STATS with p(95) and p(99)).",
        queries: [prom("max(k6_http_req_duration_p95)", "p95"), prom("max(k6_http_req_duration_p99)", "p99")],
        size: [8, 8],
      }),
    )
    .withPanel(
      k6Panel(timeSeries("percentunit").max(1), {
        title: "k6 failed requests and checks",
        description: "Share of k6's requests that failed (http_req_failed) and of its checks that passed.",
        queries: [prom("avg(k6_http_req_failed_rate)", "failed requests"), prom("avg(k6_checks_rate)", "checks passed")],
        size: [8, 8],
      }),
    )
    .withPanel(
      k6Panel(timeSeries("short").decimals(0), {
        title: "k6 virtual users",
        description: "Virtual users k6 runs.",
        queries: [prom("sum(k6_vus)", "VUs"), prom("sum(k6_vus_max)", "VUs allocated")],
        size: [8, 6],
      }),
    )
    .withPanel(
      k6Panel(timeSeries("short"), {
        title: "k6 iterations per second",
        description: "Script iterations k6 completed per second, and iterations it dropped for lack of VUs.",
        queries: [prom("sum(rate(k6_iterations_total[$__rate_interval]))", "iterations"), prom("sum(rate(k6_dropped_iterations_total[$__rate_interval]))", "dropped")],
        size: [16, 6],
      }),
    )
    .withRow(new dashboard.RowBuilder(`Saturation (namespace ${context.namespaces.app})`).id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: shareSeries(),
        title: "CPU used / limit",
        description: "Each service's CPU use as a share of its pods' CPU limits.",
        datasource: prometheus,
        queries: [prom(`${perWorkload(`rate(container_cpu_usage_seconds_total{${pods}}[$__rate_interval])`)} / ${limit("cpu")}`, "{{workload}}")],
        size: [8, 9],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: shareSeries().max(1),
        title: "CPU throttled",
        description: "Share of CFS periods in which each service's containers were throttled at their CPU limit: latency grows with it.",
        datasource: prometheus,
        queries: [
          prom(`${perWorkload(`rate(container_cpu_cfs_throttled_periods_total{${pods}}[$__rate_interval])`)} / ${perWorkload(`rate(container_cpu_cfs_periods_total{${pods}}[$__rate_interval])`)}`, "{{workload}}"),
        ],
        size: [8, 9],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: shareSeries(),
        title: "Memory working set / limit",
        description: "Each service's working set as a share of its pods' memory limits: at 100 % a container is OOM-killed.",
        datasource: prometheus,
        queries: [prom(`${perWorkload(`container_memory_working_set_bytes{${pods}}`)} / ${limit("memory")}`, "{{workload}}")],
        size: [8, 9],
      }),
    );
  return builder.build();
}
