// Application logs dashboard (Loki, LogQL): log volume and error lines per app, the frontend's
// access log (its JSON fields parsed at query time: http.req.method, http.req.path,
// http.resp.status, http.resp.took_ms), the Kubernetes events stream, and a free-text filter
// applied to every line query. Stream labels are the log agent's (names.ts: logLabels,
// kubernetesEventsStream).
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { baseDashboard, datasourceRef, legendList, logQuery, option, panel, PanelIds, stacked, type DashboardContext } from "./kit";
import { allDashboards, dashboards, dashboardTags, kubernetesEventsStream as events, logLabels as label } from "./names";

/**
 * Lines that report an error: a JSON or logfmt level/severity of error or worse (the services'
 * loggers), a Go panic, or an exception (Java, C#, Python, Node).
 */
const errorLine = '(?i)("?(level|severity)"?\\s*[:=]\\s*"?(error|err|fatal|critical|crit|alert|emergency)\\b)|\\bpanic\\b|exception';

/** The free-text filter: a case-insensitive regular expression; empty matches every line. */
const search = '|~ "(?i)$search"';

export function logsDashboard(context: DashboardContext): dashboard.Dashboard {
  const ids = new PanelIds();
  const loki = datasourceRef(context.uids, "loki");
  const log = (expr: string, legend?: string) => logQuery(context.uids, expr, legend);
  const apps = `{${label.namespace}="$namespace", ${label.app}=~"$app"}`;
  const frontend = `{${label.namespace}="${context.namespaces.app}", ${label.app}="frontend"} |= "request complete"`;
  const eventStream = `{${events.jobLabel}="${events.job}", ${events.namespaceLabel}="$namespace"}`;
  const series = (unit: string) => new timeseries.PanelBuilder().unit(unit).legend(legendList()).fillOpacity(40).lineWidth(1).min(0);
  const lines = () =>
    new logs.PanelBuilder().showTime(true).wrapLogMessage(true).enableLogDetails(true).prettifyLogMessage(false).sortOrder(common.LogsSortOrder.Descending).dedupStrategy(common.LogsDedupStrategy.None);

  const builder = baseDashboard(dashboards.logs, allDashboards, [...dashboardTags, "logs"], "What the services log: volume and errors per app, the frontend's access log, Kubernetes events; filter every line with the search box.")
    .withVariable(
      new dashboard.CustomVariableBuilder("namespace")
        .label("Namespace")
        .values([context.namespaces.app, context.namespaces.monitoring].join(","))
        .current(option(context.namespaces.app)),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder("app")
        .label("App")
        .datasource(loki)
        .query(`label_values({${label.namespace}="$namespace"}, ${label.app})`)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".+")
        .current({ text: "All", value: "$__all", selected: true }),
    )
    .withVariable(new dashboard.TextBoxVariableBuilder("search").label("Search (regex)").defaultValue("").current(option("")))
    .withRow(new dashboard.RowBuilder("Volume and errors").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: series("short").stacking(stacked()).drawStyle(common.GraphDrawStyle.Bars),
        title: "Log lines per app",
        description: "Lines each app logged per interval (matching the search).",
        datasource: loki,
        queries: [log(`sum by (${label.app}) (count_over_time(${apps} ${search} [$__interval]))`, `{{${label.app}}}`)],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("short").stacking(stacked()).drawStyle(common.GraphDrawStyle.Bars),
        title: "Error lines per app",
        description: "Lines at level error or worse, panics and exceptions, per app and interval.",
        datasource: loki,
        queries: [log(`sum by (${label.app}) (count_over_time(${apps} |~ \`${errorLine}\` ${search} [$__interval]))`, `{{${label.app}}}`)],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: lines(),
        title: "Error lines",
        description: "The error lines themselves, newest first.",
        datasource: loki,
        queries: [log(`${apps} |~ \`${errorLine}\` ${search}`)],
        size: [24, 10],
      }),
    )
    .withRow(new dashboard.RowBuilder("Frontend access log").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: series("short").stacking(stacked()).drawStyle(common.GraphDrawStyle.Bars),
        title: "Frontend responses by HTTP status",
        description: "Requests the frontend logged as complete, by the HTTP status it answered.",
        datasource: loki,
        queries: [log(`sum by (http_resp_status) (count_over_time(${frontend} | json | __error__="" [$__interval]))`, "{{http_resp_status}}")],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("ms"),
        title: "Frontend response time p95 (access log)",
        description: "95th percentile of the frontend's logged response times, per HTTP method.",
        datasource: loki,
        queries: [log(`quantile_over_time(0.95, ${frontend} | json | __error__="" | unwrap http_resp_took_ms [$__interval]) by (http_req_method)`, "{{http_req_method}}")],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: lines(),
        title: "Frontend access log",
        description: "status method path duration, one line per request (matching the search).",
        datasource: loki,
        queries: [log(`${frontend} ${search} | json | __error__="" | line_format "{{.http_resp_status}} {{.http_req_method}} {{.http_req_path}} {{.http_resp_took_ms}}ms"`)],
        size: [24, 10],
      }),
    )
    .withRow(new dashboard.RowBuilder("Kubernetes events").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: series("short").stacking(stacked()).drawStyle(common.GraphDrawStyle.Bars),
        title: "Warning events by reason",
        description: "Kubernetes Warning events in the namespace per interval, by reason (BackOff, FailedScheduling, Unhealthy, …).",
        datasource: loki,
        queries: [log(`sum by (reason) (count_over_time(${eventStream} | logfmt | __error__="" | type="Warning" [$__interval]))`, "{{reason}}")],
        size: [24, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: lines(),
        title: "Kubernetes events",
        description: "Events of the namespace's objects (matching the search), newest first.",
        datasource: loki,
        queries: [log(`${eventStream} ${search}`)],
        size: [24, 10],
      }),
    )
    .withRow(new dashboard.RowBuilder("All lines").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: lines(),
        title: "Logs",
        description: "Every line of the selected apps matching the search, newest first.",
        datasource: loki,
        queries: [log(`${apps} ${search}`)],
        size: [24, 12],
      }),
    );
  return builder.build();
}
