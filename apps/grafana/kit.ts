// The pieces every dashboard is built from, on top of the Grafana foundation SDK's typed builders:
// datasource references, one query builder per query language (the SDK has none for Grafana's
// PostgreSQL datasource, so a typed one is defined here the way its README describes custom
// queries), panels with their ids and sizes, variables, links between the dashboards, and the
// serialisation that makes a dashboard file byte-identical on every run.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** Grafana's plugin ids of the three datasources the dashboards read. */
export const datasourceTypes = {
  prometheus: "prometheus",
  loki: "loki",
  // The core PostgreSQL plugin's id since Grafana 10.2 ("postgres" is its old alias).
  orders: "grafana-postgresql-datasource",
} as const;

export type DatasourceKind = keyof typeof datasourceTypes;

/** The uid of each provisioned datasource. */
export type DatasourceUids = Record<DatasourceKind, string>;

export type DatasourceRef = { type: string; uid: string };

export const datasourceRef = (uids: DatasourceUids, kind: DatasourceKind): DatasourceRef => ({ type: datasourceTypes[kind], uid: uids[kind] });

/** A query of Grafana's SQL datasources (PostgreSQL here): raw SQL in code mode. */
export interface SqlQuery extends cog.Dataquery {
  refId: string;
  datasource?: DatasourceRef;
  rawSql: string;
  /** time_series: a `time` column, an optional `metric` column naming the series, numeric value columns. */
  format: "time_series" | "table";
  rawQuery: true;
  editorMode: "code";
}

export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: SqlQuery;

  constructor() {
    this.internal = { _implementsDataqueryVariant() {}, refId: "", rawSql: "", format: "table", rawQuery: true, editorMode: "code" };
  }

  build(): SqlQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: DatasourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  rawSql(sql: string): this {
    this.internal.rawSql = sql;
    return this;
  }

  format(format: SqlQuery["format"]): this {
    this.internal.format = format;
    return this;
  }
}

/** A query as a panel holds it: its language's builder with refId and datasource set. */
export type Query = cog.Builder<cog.Dataquery>;

const refIds = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Options of promQuery for a table panel: one row per series, the value now (merged by mergeTables). */
export const instantTable = { instant: true, table: true } as const;

/** PromQL for a panel: `legend` names each series from its labels ({{label}}). */
export function promQuery(uids: DatasourceUids, expr: string, legend: string, options: { instant?: boolean; table?: boolean } = {}): (index: number) => Query {
  return (index) => {
    const query = new prometheus.DataqueryBuilder().refId(refIds[index]!).datasource(datasourceRef(uids, "prometheus")).expr(expr).legendFormat(legend);
    if (options.table) query.format(prometheus.PromQueryFormat.Table);
    return options.instant ? query.instant() : query.range();
  };
}

/** LogQL for a panel: a log stream query (lines) or a metric query over lines (`legend` set). */
export function logQuery(uids: DatasourceUids, expr: string, legend?: string): (index: number) => Query {
  return (index) => {
    const query = new loki.DataqueryBuilder().refId(refIds[index]!).datasource(datasourceRef(uids, "loki")).expr(expr).queryType("range");
    return legend === undefined ? query : query.legendFormat(legend);
  };
}

/** SQL on the orders database. */
export function sqlQuery(uids: DatasourceUids, sql: string, format: SqlQuery["format"]): (index: number) => Query {
  return (index) => new SqlQueryBuilder().refId(refIds[index]!).datasource(datasourceRef(uids, "orders")).rawSql(sql).format(format);
}

/** What every panel builder of the SDK has in common (the parts used here). */
interface AnyPanelBuilder extends cog.Builder<dashboard.Panel> {
  id(id: number): this;
  title(title: string): this;
  description(description: string): this;
  datasource(datasource: DatasourceRef): this;
  withTarget(target: cog.Builder<cog.Dataquery>): this;
  span(width: number): this;
  height(height: number): this;
}

/** Numbers panels in the order they are added (stable ids: links to a panel keep working). */
export class PanelIds {
  private next = 1;

  take(): number {
    return this.next++;
  }
}

export interface PanelSpec<P extends AnyPanelBuilder> {
  panel: P;
  title: string;
  description: string;
  datasource: DatasourceRef;
  queries: ((index: number) => Query)[];
  /** Grid width (of 24) and height. */
  size: [number, number];
}

/** A panel with its id, texts, datasource, queries (refIds A, B, … in order) and size. */
export function panel<P extends AnyPanelBuilder>(ids: PanelIds, spec: PanelSpec<P>): P {
  const built = spec.panel.id(ids.take()).title(spec.title).description(spec.description).datasource(spec.datasource).span(spec.size[0]).height(spec.size[1]);
  spec.queries.forEach((query, index) => built.withTarget(query(index)));
  return built;
}

export const legendList = () => new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).calcs([]);

export const legendTable = (calcs: string[]) => new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).calcs(calcs);

/** Green below `value`, red from it (a threshold line on time series: the alert's threshold). */
export const redFrom = (value: number) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: "green" },
    { value, color: "red" },
  ]);

/** The time series look the application, cluster and orders dashboards share: thin lines, light fill, from 0. */
export const timeSeries = (unit: string) => new timeseries.PanelBuilder().unit(unit).legend(legendList()).fillOpacity(10).lineWidth(1).min(0);

/** A share (0–1) of a request or limit over time, with each series' peak and last value beside it. */
export const shareSeries = () => timeSeries("percentunit").legend(legendTable(["max", "lastNotNull"]));

/** A count that should be 0: shown as 0 when nothing matches, its background `color` from 1 on. */
export const problemCount = (color: "orange" | "red") =>
  new stat.PanelBuilder()
    .noValue("0")
    .colorMode(common.BigValueColorMode.Background)
    .thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: "green" },
        { value: 1, color },
      ]),
    );

/**
 * Table transformations for several instant queries: one row per label set with a column per query
 * ("Value #A", "Value #B", … renamed by `columns`), without the time column.
 */
export const mergeTables = (columns: Record<string, string>): dashboard.DataTransformerConfig[] => [
  { id: "merge", options: {} },
  { id: "organize", options: { excludeByName: { Time: true }, renameByName: columns } },
];

export const stacked = () => new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group("A");

/** A multi-select variable of a Prometheus label's values, refreshed with the time range; "All" matches any value. */
export const labelValuesVariable = (name: string, label: string, datasource: DatasourceRef, query: string) =>
  new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".+");

/** A variable option as Grafana stores the current selection. */
export const option = (value: string, text = value): dashboard.VariableOption => ({ text, value, selected: true });

export const allOption = (): dashboard.VariableOption => ({ text: "All", value: "$__all", selected: true });

/** The four dashboards' identities: links between them are made from this list. */
export interface DashboardIdentity {
  uid: string;
  title: string;
}

/** Links in the dashboard's header to the other dashboards, keeping the time range. */
export function linksToOthers(self: DashboardIdentity, all: readonly DashboardIdentity[]): dashboard.DashboardLinkBuilder[] {
  return all
    .filter((other) => other.uid !== self.uid)
    .map((other) => new dashboard.DashboardLinkBuilder(other.title).type(dashboard.DashboardLinkType.Link).url(dashboardUrl(other.uid)).icon("dashboard").tooltip(`Open ${other.title}`).keepTime(true).includeVars(false).targetBlank(false));
}

/** A dashboard's address inside Grafana (by uid: it survives renames). */
export const dashboardUrl = (uid: string) => `/d/${uid}`;

/** A data link from a panel's series to another dashboard, carrying the time range and a variable from a series label. */
export function dataLinkTo(target: DashboardIdentity, variable: string, label: string): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(`${target.title}: \${__field.labels.${label}}`)
    .type(dashboard.DashboardLinkType.Link)
    .url(`${dashboardUrl(target.uid)}?var-${variable}=\${__field.labels.${label}}&\${__url_time_range}`)
    .targetBlank(false);
}

/** JSON with object keys sorted at every level, two-space indented, ending in a newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== "function");
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/** What a dashboard is built from: the datasources' uids and the environment's namespaces. */
export interface DashboardContext {
  uids: DatasourceUids;
  namespaces: { app: string; monitoring: string };
}

/** A dashboard with the settings all four share: uid, tags, time range, refresh, links to the others. */
export function baseDashboard(self: DashboardIdentity, all: readonly DashboardIdentity[], tags: string[], description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(self.title)
    .uid(self.uid)
    .description(description)
    .tags(tags)
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    .refresh("1m")
    .links(linksToOthers(self, all));
}
