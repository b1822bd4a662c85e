// The four Grafana dashboards (apps/grafana/dashboards.ts) and proof that every query in them is
// real:
// - every PromQL expression (panels and variables, Grafana's variables replaced by values a user
//   would pick) parses with Prometheus' own grammar (@prometheus-io/lezer-promql) and is answered
//   by a real Prometheus 2.42 (Debian package prometheus) with at least one series carrying the
//   labels its legend names. No cluster runs here: the data are INPUT SERIES STANDING IN FOR A
//   CLUSTER'S EXPORTERS (test/support/cluster-series.ts: node-exporter, kube-state-metrics,
//   cAdvisor, spanmetrics, the order service, k6, each with the labels its exporter and scrape job
//   give it; pods and resources from the contract), backfilled with promtool, plus the RED
//   recording rules computed from them by promtool from the real rule group. A misspelt metric or
//   label finds no series and fails (shown below on broken queries);
// - every LogQL expression parses with Grafana's grammar (@grafana/lezer-logql); no Loki binary
//   exists on these machines;
// - every SQL query runs on a real PostgreSQL 15 (Debian) with the order service's real migrations
//   and seeded orders, as a read-only role that may only SELECT orders and order_items, and returns
//   exactly the expected rows;
// - the files: datasource uids, stable dashboard uids and panels, the SDK's schemaVersion,
//   byte-identical output, links that point at the other dashboards.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultDashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardFolder, dashboards, datasourceUids, grafanaDashboards, logLabels, kubernetesEventsStream } from "../apps/grafana/dashboards";
import { orderQueries } from "../apps/grafana/orders";
import { prometheusRuleGroups } from "../apps/prometheus-rules";
import { loadEnvironment } from "../core/settings/load";
import { migrate } from "../services/order-persistence/src/migrate";
import { defaultMigrationsDir } from "../services/order-persistence/src/paths";
import { insertOrders } from "../services/order-persistence/src/store";
import { clusterNamespaces, clusterSeries, inputNames, serveSeries, type ServedSeries } from "./support/cluster-series";
import { dashboardQueries, expandSqlMacros, panelsOf, parseErrors, promqlNames, substitute, type DashboardQuery } from "./support/dashboard-queries";
import { money, orderRecord } from "./support/orders";
import { removeServerOwnedTempDirs, startPostgres, type PostgresServer } from "./support/postgres";
import { environmentsDir, repoRoot, type Json } from "./support/repo";

const options = { namespaces: clusterNamespaces, datasources: datasourceUids };
const files = grafanaDashboards(options);
const parsed = Object.fromEntries(Object.entries(files).map(([file, text]) => [file, JSON.parse(text) as Json]));
const queries = dashboardQueries(files);
const byLanguage = (language: DashboardQuery["language"]) => queries.filter((query) => query.language === language);
const label = (query: DashboardQuery) => `${query.dashboard}: ${query.where}`;

/** What a user would have picked; Grafana's intervals for a 6-hour dashboard. */
const promValues = { __rate_interval: "2m", __interval: "1m", __range: "1h", node: "node-a", namespace: clusterNamespaces.app, service: "(frontend|checkoutservice)" };
const logValues = { __interval: "1m", __range: "1h", namespace: clusterNamespaces.app, app: "(frontend|cartservice)", search: "timeout" };

describe("dashboard files", () => {
  it("four dashboards with stable uids, in one folder's worth of files", () => {
    expect(Object.fromEntries(Object.entries(parsed).map(([file, dashboard]) => [file, dashboard.uid]))).toEqual({
      "kubernetes-cluster.json": "ob-kubernetes-cluster",
      "application.json": "ob-application",
      "application-logs.json": "ob-application-logs",
      "order-analytics.json": "ob-order-analytics",
    });
    expect(dashboardFolder).toEqual({ uid: "online-boutique", title: "Online Boutique" });
  });

  it("the panels of each dashboard", () => {
    const titles = Object.fromEntries(Object.entries(parsed).map(([file, dashboard]) => [file, panelsOf(dashboard).map((panel) => `${panel.type}: ${panel.title}`)]));
    expect(titles).toEqual({
      "kubernetes-cluster.json": [
        "row: Nodes", "timeseries: CPU busy", "timeseries: Memory used", "timeseries: Disk space used", "timeseries: Disk I/O", "timeseries: Network",
        "row: Workloads", "timeseries: Pods by phase", "table: Container restarts in the time range", "table: Deployments: available vs desired", "table: StatefulSets: ready vs desired", "stat: Deployments short of replicas", "stat: Pods not running",
        "row: Containers against their requests and limits", "timeseries: CPU used / limit", "timeseries: CPU used / request", "timeseries: Memory working set / limit", "timeseries: Memory working set / request",
      ],
      "application.json": [
        "row: Rate, errors, duration (server spans, 5-minute windows)", "timeseries: Requests per second", "timeseries: Error ratio", "timeseries: Errors per second", "timeseries: Latency p50 / p95 / p99", "table: Services now",
        "row: Frontend", "timeseries: Frontend requests by span status", "piechart: Frontend status mix in the time range",
        "row: Load test (k6, while a run sends its results)", "timeseries: k6 requests per second by status", "timeseries: k6 request duration p95 / p99", "timeseries: k6 failed requests and checks", "timeseries: k6 virtual users", "timeseries: k6 iterations per second",
        "row: Saturation (namespace microservices-demo)", "timeseries: CPU used / limit", "timeseries: CPU throttled", "timeseries: Memory working set / limit",
      ],
      "application-logs.json": [
        "row: Volume and errors", "timeseries: Log lines per app", "timeseries: Error lines per app", "logs: Error lines",
        "row: Frontend access log", "timeseries: Frontend responses by HTTP status", "timeseries: Frontend response time p95 (access log)", "logs: Frontend access log",
        "row: Kubernetes events", "timeseries: Warning events by reason", "logs: Kubernetes events",
        "row: All lines", "logs: Logs",
      ],
      "order-analytics.json": [
        "row: Orders (PostgreSQL)", "timeseries: Orders by currency", "timeseries: Revenue by currency", "table: Orders, revenue and average order value", "table: Items per order", "bargauge: Top products",
        "row: Order service (Prometheus)", "timeseries: Order confirmations per second by outcome", "timeseries: Spool", "timeseries: Time to keep an order, p95 by outcome", "timeseries: Confirmation e-mails not forwarded",
      ],
    });
  });

  it("panel ids are unique within each dashboard, every panel has a grid position", () => {
    for (const [file, dashboard] of Object.entries(parsed)) {
      const panels = panelsOf(dashboard);
      expect(new Set(panels.map((panel) => panel.id)).size, file).toBe(panels.length);
      for (const panel of panels) expect(panel.gridPos, `${file}: ${panel.title}`).toMatchObject({ w: expect.any(Number), h: expect.any(Number), x: expect.any(Number), y: expect.any(Number) });
    }
  });

  it("every panel, query and variable reads one of the three provisioned datasources", () => {
    const uids = new Set(Object.values(datasourceUids));
    for (const [file, dashboard] of Object.entries(parsed)) {
      for (const panel of panelsOf(dashboard).filter((panel) => panel.type !== "row")) {
        expect(uids, `${file}: ${panel.title}`).toContain(panel.datasource?.uid);
        expect(panel.targets?.length, `${file}: ${panel.title} has queries`).toBeGreaterThan(0);
        for (const target of panel.targets as Json[]) expect(target.datasource, `${file}: ${panel.title} ${target.refId}`).toEqual(panel.datasource);
      }
      for (const variable of (dashboard.templating.list as Json[]).filter((variable) => variable.type === "query")) expect(uids, `${file}: $${variable.name}`).toContain(variable.datasource.uid);
    }
    expect(new Set(queries.map((query) => query.datasourceUid))).toEqual(uids);
  });

  it("the datasource uids given are the ones used", () => {
    const other = grafanaDashboards({ ...options, datasources: { prometheus: "p1", loki: "l1", orders: "o1" } });
    const used = new Set(dashboardQueries(other).map((query) => query.datasourceUid));
    expect(used).toEqual(new Set(["p1", "l1", "o1"]));
  });

  it("each file has the dashboard schemaVersion of the SDK", () => {
    expect(defaultDashboard().schemaVersion).toBe(42);
    for (const dashboard of Object.values(parsed)) expect(dashboard.schemaVersion).toBe(defaultDashboard().schemaVersion);
  });

  it("the JSON is identical when built twice, and its keys are sorted", () => {
    expect(grafanaDashboards(options)).toEqual(files);
    const sortedEverywhere = (value: unknown): boolean =>
      Array.isArray(value) ? value.every(sortedEverywhere) : value !== null && typeof value === "object" ? Object.keys(value).join("\0") === Object.keys(value).sort().join("\0") && Object.values(value).every(sortedEverywhere) : true;
    for (const dashboard of Object.values(parsed)) expect(sortedEverywhere(dashboard)).toBe(true);
    for (const text of Object.values(files)) expect(text.endsWith("}\n")).toBe(true);
  });

  it("each dashboard links to the three others, and every link (also from panels) points at an existing uid", () => {
    const uids = Object.values(parsed).map((dashboard) => dashboard.uid as string);
    const target = (url: string) => /^\/d\/([^/?]+)/.exec(url)?.[1];
    let panelLinks = 0;
    for (const dashboard of Object.values(parsed)) {
      const linked = (dashboard.links as Json[]).map((link) => target(link.url));
      expect(linked.sort()).toEqual(uids.filter((uid) => uid !== dashboard.uid).sort());
      for (const panel of panelsOf(dashboard)) {
        for (const link of (panel.fieldConfig?.defaults?.links as Json[] | undefined) ?? []) {
          panelLinks++;
          expect(uids, `${dashboard.uid}: ${panel.title}: ${link.url}`).toContain(target(link.url));
        }
      }
    }
    expect(panelLinks).toBeGreaterThan(0);
  });

  it("the log stream labels are the agent's: namespace, pod, container, app; events carry job=kubernetes-events and namespace", () => {
    expect(logLabels).toEqual({ namespace: "namespace", pod: "pod", container: "container", app: "app" });
    expect(kubernetesEventsStream).toEqual({ jobLabel: "job", job: "kubernetes-events", namespaceLabel: "namespace" });
    const events = byLanguage("logql").filter((query) => query.text.includes("kubernetes-events"));
    expect(events.length).toBeGreaterThan(0);
    for (const query of events) expect(query.text).toContain('{job="kubernetes-events", namespace="$namespace"}');
  });

  it("each dashboard has queries in the languages it is about", () => {
    const languages = (file: string) => [...new Set(queries.filter((query) => query.dashboard === file).map((query) => query.language))].sort();
    expect(languages(dashboards.cluster.file)).toEqual(["promql"]);
    expect(languages(dashboards.application.file)).toEqual(["promql"]);
    expect(languages(dashboards.logs.file)).toEqual(["logql"]);
    expect(languages(dashboards.orders.file)).toEqual(["promql", "sql"]);
  });
});

describe("query text", () => {
  it.each(byLanguage("promql").map((query) => [label(query), query] as const))("PromQL parses: %s", (_, query) => {
    expect(parseErrors("promql", substitute(query.text, promValues))).toEqual([]);
  });

  it.each(byLanguage("logql").map((query) => [label(query), query] as const))("LogQL parses: %s", (_, query) => {
    expect(parseErrors("logql", substitute(query.text, logValues))).toEqual([]);
  });

  it("a syntax error is found by either parser", () => {
    expect(parseErrors("promql", 'sum by (node (rate(node_cpu_seconds_total{mode="idle"}[2m]))')).not.toEqual([]);
    expect(parseErrors("logql", '{namespace="x"} |~ "a" | json [1m]')).not.toEqual([]);
    expect(parseErrors("logql", 'sum by (app) (count_over_time({namespace="x"} |~ "a" [1m]))')).toEqual([]);
  });

  it("a variable without a value is refused rather than sent as `$name`", () => {
    expect(() => substitute('up{node=~"$nodes"}', { node: "a" })).toThrow(/\$nodes has no value/);
  });
});

// ---------------------------------------------------------------------------------------------
// PromQL on a real Prometheus

const dir = mkdtempSync(join(tmpdir(), "grafana-dashboards-"));
const input = clusterSeries();
const names = inputNames(input);
let prometheus: ServedSeries;
let postgres: PostgresServer;
let reader: pg.Pool;

function redRuleGroup(): Json[] {
  const loaded = loadEnvironment(environmentsDir, "prod", repoRoot);
  return prometheusRuleGroups({ environment: "prod", settings: loaded.settings, deployed: new Set(loaded.deployed) }, "https://example.org/README.md").filter((group) => group.name === "red") as unknown as Json[];
}
const ruleGroups = redRuleGroup();
const recorded = new Set(ruleGroups.flatMap((group) => (group.rules as Json[]).map((rule) => rule.record as string)));

/** What is wrong with a PromQL query against the input series (empty: nothing). */
async function promProblems(expr: string, legend: string[] = []): Promise<string[]> {
  const problems: string[] = [];
  const { metrics, labels, createdLabels } = promqlNames(expr);
  for (const metric of metrics) if (!names.metrics.has(metric) && !recorded.has(metric)) problems.push(`metric ${metric} is neither an exporter's nor a recording rule's`);
  for (const name of labels) if (!names.labels.has(name) && !createdLabels.includes(name)) problems.push(`label ${name} is on no series`);
  const data = await prometheus.query(expr);
  const result = data.result as Json[];
  if (data.resultType === "scalar" || data.resultType === "string") problems.push(`answers a ${data.resultType}, not series`);
  else if (result.length === 0) problems.push("no series");
  for (const series of result) for (const name of legend) if (!series.metric?.[name]) problems.push(`a series has no ${name} for the legend: ${JSON.stringify(series.metric)}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// SQL on a real PostgreSQL

const readOnlyRole = "grafana_orders_reader";
const sqlRange = { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-02T00:00:00Z") };
const sqlValues = { __interval: "1h", currency: "'USD','EUR'" };
const at = (iso: string) => new Date(iso).getTime() / 1000;

/** The seeded orders: three in the range and the currencies picked, one before it, one in JPY. */
const seeded = [
  { id: "order-usd-1", at: "2026-03-01T10:15:00Z", shipping: money("USD", "8", 990000000), items: [["OLJCESPC7Z", 1, money("USD", "19", 990000000)], ["66VCHSJNUP", 2, money("USD", "3", 500000000)]] },
  { id: "order-usd-2", at: "2026-03-01T10:45:00Z", shipping: money("USD", "5", 0), items: [["66VCHSJNUP", 3, money("USD", "3", 500000000)]] },
  { id: "order-eur-1", at: "2026-03-01T11:30:00Z", shipping: money("EUR", "4", 0), items: [["L9ECAV7KIM", 1, money("EUR", "30", 0)], ["OLJCESPC7Z", 1, money("EUR", "18", 0)]] },
  { id: "order-usd-old", at: "2026-02-28T23:00:00Z", shipping: money("USD", "1", 0), items: [["9SIQT8TOJO", 5, money("USD", "1", 0)]] },
  { id: "order-jpy-1", at: "2026-03-01T12:05:00Z", shipping: money("JPY", "500", 0), items: [["1YMWWN1N4O", 1, money("JPY", "2000", 0)]] },
] as const;

/** Rows each SQL query must return for the seeded orders (numbers as PostgreSQL's text). */
const expectedRows: Record<string, unknown[][]> = {
  [orderQueries.currencies]: [["EUR"], ["JPY"], ["USD"]],
  [orderQueries.ordersOverTime]: [
    [String(at("2026-03-01T10:00:00Z")), "USD", "2"],
    [String(at("2026-03-01T11:00:00Z")), "EUR", "1"],
  ],
  [orderQueries.revenueOverTime]: [
    // 19.99 + 2 × 3.50 + 8.99 and 3 × 3.50 + 5.00; 30 + 18 + 4.
    [String(at("2026-03-01T10:00:00Z")), "USD", "51.480000000"],
    [String(at("2026-03-01T11:00:00Z")), "EUR", "52.000000000"],
  ],
  [orderQueries.perCurrency]: [
    ["EUR", "1", "52.000000000", "52.00"],
    ["USD", "2", "51.480000000", "25.74"],
  ],
  // Products per order 2, 1, 2; units 3, 3, 2.
  [orderQueries.itemsPerOrder]: [["1.67", "2.67"]],
  [orderQueries.topProducts]: [
    ["66VCHSJNUP", "5", "2"],
    ["OLJCESPC7Z", "2", "2"],
    ["L9ECAV7KIM", "1", "1"],
  ],
};

async function setUpOrders(): Promise<void> {
  postgres = await startPostgres();
  postgres.sql("CREATE DATABASE orders");
  const owner = new pg.Pool({ connectionString: postgres.url("orders"), max: 1 });
  try {
    await migrate(owner, defaultMigrationsDir);
    await insertOrders(owner, seeded.map((order) => orderRecord(order.id, { shipping: order.shipping, items: order.items.map(([product, quantity, price]) => [product, quantity, price]) })));
    for (const order of seeded) await owner.query("UPDATE orders SET created_at = $2 WHERE order_id = $1", [order.id, order.at]);
    // The grants the datasource's role needs: connect, see the schema, read the two tables.
    await owner.query(`CREATE ROLE ${readOnlyRole} LOGIN`);
    await owner.query(`GRANT CONNECT ON DATABASE orders TO ${readOnlyRole}`);
    await owner.query(`GRANT USAGE ON SCHEMA public TO ${readOnlyRole}`);
    await owner.query(`GRANT SELECT ON orders, order_items TO ${readOnlyRole}`);
  } finally {
    await owner.end();
  }
  reader = new pg.Pool({ connectionString: `postgres://${readOnlyRole}@127.0.0.1:${postgres.port}/orders`, max: 2 });
}

beforeAll(async () => {
  await Promise.all([serveSeries(dir, input, ruleGroups).then((served) => (prometheus = served)), setUpOrders()]);
});

afterAll(async () => {
  await reader?.end();
  await prometheus?.stop();
  postgres?.destroy();
  removeServerOwnedTempDirs();
  rmSync(dir, { recursive: true, force: true });
});

describe("PromQL on a real Prometheus (input series standing in for the exporters)", () => {
  it.each(byLanguage("promql").map((query) => [label(query), query] as const))("%s", async (_, query) => {
    expect(await promProblems(substitute(query.text, promValues), query.legendLabels)).toEqual([]);
  });

  it("the RED recording rules were computed from the spanmetrics input by the real rules", async () => {
    const requests = await prometheus.query('service:requests:rate5m{service_name="frontend"}');
    expect(Number((requests.result as Json[])[0]?.value[1])).toBeCloseTo(20, 5);
    // A rule that reads other rules' series (backfilled in a second pass).
    const ratio = await prometheus.query('service:error_ratio:rate5m{service_name="frontend"}');
    expect(Number((ratio.result as Json[])[0]?.value[1])).toBeCloseTo(0.02, 5);
  });

  it("a misspelt metric or label finds nothing and fails", async () => {
    expect(await promProblems('sum by (phase) (kube_pod_status_phse{namespace="microservices-demo"})', ["phase"])).toEqual([
      "metric kube_pod_status_phse is neither an exporter's nor a recording rule's",
      "no series",
    ]);
    expect(await promProblems('sum by (phase) (kube_pod_status_phase{namespce="microservices-demo"})', ["phase"])).toEqual(["label namespce is on no series", "no series"]);
    // Grouping by a misspelt label still answers one series: the label check and the legend catch it.
    expect(await promProblems("sum by (phse) (kube_pod_status_phase)", ["phse"])).toEqual(["label phse is on no series", 'a series has no phse for the legend: {}']);
    // The pod's own cgroup (container="") and a namespace without pods answer nothing.
    expect(await promProblems('container_memory_working_set_bytes{namespace="nowhere"}')).toEqual(["no series"]);
  });
});

describe("SQL on a real PostgreSQL with the real migrations, as a read-only role", () => {
  it.each(byLanguage("sql").map((query) => [label(query), query] as const))("%s returns the expected rows", async (_, query) => {
    expect(Object.keys(expectedRows), "every SQL query has expected rows here").toContain(query.text);
    const sql = expandSqlMacros(substitute(query.text, sqlValues, ["__timeFilter", "__timeGroupAlias"]), sqlRange);
    const result = await reader.query({ text: sql, rowMode: "array" });
    expect(result.rows.map((row: unknown[]) => row.map((value) => (value === null ? null : String(value))))).toEqual(expectedRows[query.text]);
  });

  it("the role may read orders and order_items, nothing else, and write nothing", async () => {
    await expect(reader.query("INSERT INTO orders (order_id, user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code) VALUES ('x', 'u', 't', 'USD', 0, 'USD', 0, 's', 'c', 's', 'c', 1)")).rejects.toThrow(/permission denied for table orders/);
    await expect(reader.query("UPDATE order_items SET quantity = 2")).rejects.toThrow(/permission denied for table order_items/);
    await expect(reader.query("DELETE FROM orders")).rejects.toThrow(/permission denied for table orders/);
    await expect(reader.query("SELECT * FROM schema_migrations")).rejects.toThrow(/permission denied for table schema_migrations/);
    await expect(reader.query("CREATE TABLE scratch (x int)")).rejects.toThrow(/permission denied for schema public/);
    expect((await reader.query("SELECT count(*)::int AS n FROM orders")).rows).toEqual([{ n: seeded.length }]);
  });

  it("Grafana's macros expand as its PostgreSQL datasource does", () => {
    expect(expandSqlMacros("SELECT $__timeGroupAlias(o.created_at, 1h) FROM orders o WHERE $__timeFilter(o.created_at)", sqlRange)).toBe(
      `SELECT floor(extract(epoch from o.created_at)/3600)*3600 AS "time" FROM orders o WHERE o.created_at BETWEEN '2026-03-01T00:00:00Z' AND '2026-03-02T00:00:00Z'`,
    );
  });
});
