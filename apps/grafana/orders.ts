// Order analytics dashboard: what the orders table says (SQL on `orders` and `order_items` through
// the read-only PostgreSQL datasource: orders and revenue over time by currency, top products,
// average order value, items per order) and how the order service is doing (its own Prometheus
// series: orders persisted, spooled, rejected, duplicates and conflicts; spool backlog; store
// latency). Money stays per currency: orders are never converted, so sums are only ever taken
// within one currency.
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import * as table from "@grafana/grafana-foundation-sdk/table";
import type * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { allOption, baseDashboard, datasourceRef, panel, PanelIds, promQuery, sqlQuery, stacked, timeSeries, type DashboardContext } from "./kit";
import { allDashboards, dashboards, dashboardTags } from "./names";

/** Orders in the time range and the selected currencies (Grafana's SQL macros and a multi-value variable). */
const selectedOrders = "$__timeFilter(o.created_at) AND o.total_currency IN ($currency)";

export const orderQueries = {
  currencies: "SELECT DISTINCT total_currency FROM orders ORDER BY 1",
  ordersOverTime: `SELECT $__timeGroupAlias(o.created_at, $__interval), o.total_currency AS metric, count(*) AS orders
FROM orders o
WHERE ${selectedOrders}
GROUP BY 1, 2
ORDER BY 1, 2`,
  revenueOverTime: `SELECT $__timeGroupAlias(o.created_at, $__interval), o.total_currency AS metric, sum(o.total) AS revenue
FROM orders o
WHERE ${selectedOrders}
GROUP BY 1, 2
ORDER BY 1, 2`,
  perCurrency: `SELECT o.total_currency AS currency, count(*) AS orders, sum(o.total) AS revenue, round(avg(o.total), 2) AS average_order_value
FROM orders o
WHERE ${selectedOrders}
GROUP BY o.total_currency
ORDER BY o.total_currency`,
  itemsPerOrder: `SELECT round(avg(per_order.lines), 2) AS products_per_order, round(avg(per_order.units), 2) AS units_per_order
FROM (
  SELECT o.order_id, count(i.line) AS lines, coalesce(sum(i.quantity), 0) AS units
  FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id
  WHERE ${selectedOrders}
  GROUP BY o.order_id
) AS per_order`,
  topProducts: `SELECT i.product_id AS product, sum(i.quantity) AS units, count(DISTINCT i.order_id) AS orders
FROM order_items i JOIN orders o ON o.order_id = i.order_id
WHERE ${selectedOrders}
GROUP BY i.product_id
ORDER BY units DESC, product
LIMIT 10`,
} as const;

export function ordersDashboard(context: DashboardContext): dashboard.Dashboard {
  const ids = new PanelIds();
  const orders = datasourceRef(context.uids, "orders");
  const prometheus = datasourceRef(context.uids, "prometheus");
  const sql = (query: string, format: "time_series" | "table") => sqlQuery(context.uids, query, format);
  const prom = (expr: string, legend: string) => promQuery(context.uids, expr, legend);
  const service = `namespace="${context.namespaces.app}"`;
  const perSecond = (counter: string) => `sum(rate(${counter}{${service}}[$__rate_interval]))`;

  /** Bars per hour of an SQL time series, one per currency: orders and revenue side by side. */
  const hourlyBars = (title: string, description: string, chart: timeseries.PanelBuilder, query: string) =>
    panel(ids, { panel: chart.drawStyle(common.GraphDrawStyle.Bars).fillOpacity(60), title, description, datasource: orders, queries: [sql(query, "time_series")], size: [12, 8] }).interval("1h");

  /** A table of one SQL query's rows, half the width: the two summaries side by side. */
  const orderTable = (title: string, description: string, query: string) =>
    panel(ids, { panel: new table.PanelBuilder(), title, description, datasource: orders, queries: [sql(query, "table")], size: [12, 8] });

  const builder = baseDashboard(dashboards.orders, allDashboards, [...dashboardTags, "orders"], "Orders from the orders database (per currency: money is never converted) and the order service's health.")
    .time({ from: "now-7d", to: "now" })
    .withVariable(
      new dashboard.QueryVariableBuilder("currency")
        .label("Currency")
        .datasource(orders)
        .query(orderQueries.currencies)
        .refresh(dashboard.VariableRefresh.OnDashboardLoad)
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .current(allOption()),
    )
    .withRow(new dashboard.RowBuilder("Orders (PostgreSQL)").id(ids.take()))
    .withPanel(hourlyBars("Orders by currency", "Orders placed per interval, by the currency they were paid in.", timeSeries("short").stacking(stacked()).decimals(0), orderQueries.ordersOverTime))
    .withPanel(hourlyBars("Revenue by currency", "Sum of order totals (items and shipping) per interval, in each currency's units.", timeSeries("none").decimals(2), orderQueries.revenueOverTime))
    .withPanel(orderTable("Orders, revenue and average order value", "Per currency in the time range: orders, revenue and the average order total.", orderQueries.perCurrency))
    .withPanel(orderTable("Items per order", "Average number of distinct products and of units in an order, in the time range.", orderQueries.itemsPerOrder))
    .withPanel(
      panel(ids, {
        panel: new bargauge.PanelBuilder().orientation(common.VizOrientation.Horizontal).displayMode(common.BarGaugeDisplayMode.Basic).reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs([]).fields("/^units$/")),
        title: "Top products",
        description: "The ten products sold in the most units in the time range (all selected currencies).",
        datasource: orders,
        queries: [sql(orderQueries.topProducts, "table")],
        size: [24, 9],
      }),
    )
    .withRow(new dashboard.RowBuilder("Order service (Prometheus)").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: timeSeries("ops"),
        title: "Order confirmations per second by outcome",
        description: "persisted: written to PostgreSQL (also replays); spooled: kept on disk while PostgreSQL was unavailable; rejected: invalid requests; duplicate: repeats; conflicting: an order_id reused with other content.",
        datasource: prometheus,
        queries: [
          prom(perSecond("orders_persisted_total"), "persisted"),
          prom(perSecond("orders_spooled_total"), "spooled"),
          prom(perSecond("orders_rejected_total"), "rejected"),
          prom(perSecond("orders_duplicate_total"), "duplicate"),
          prom(perSecond("orders_conflicting_total"), "conflicting"),
        ],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: timeSeries("short").decimals(0),
        title: "Spool",
        description: "Orders waiting in the spool for PostgreSQL, and spool files set aside that need an operator (OrderSpoolQuarantined).",
        datasource: prometheus,
        queries: [prom(`sum(order_spool_depth{${service}})`, "waiting"), prom(`sum(order_spool_quarantined{${service}})`, "quarantined")],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: timeSeries("s"),
        title: "Time to keep an order, p95 by outcome",
        description: "How long storing (or spooling) one order took, 95th percentile.",
        datasource: prometheus,
        queries: [prom(`histogram_quantile(0.95, sum by (le, outcome) (rate(order_persist_duration_seconds_bucket{${service}}[$__rate_interval])))`, "{{outcome}}")],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: timeSeries("ops"),
        title: "Confirmation e-mails not forwarded",
        description: "SendOrderConfirmation calls the real emailservice did not accept, per second (the order is kept regardless).",
        datasource: prometheus,
        queries: [prom(perSecond("email_forward_failures_total"), "failed")],
        size: [12, 8],
      }),
    );
  return builder.build();
}
