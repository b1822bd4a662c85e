// The queries of Grafana dashboard files, as Grafana would send them: every panel target and
// every query variable, by language (PromQL, LogQL, SQL), with Grafana's template variables and
// built-in intervals replaced by realistic values and the SQL macros of its PostgreSQL datasource
// expanded the way Grafana expands them.
import { parser as logqlParser } from "@grafana/lezer-logql";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import type { Json } from "./repo";

export type Language = "promql" | "logql" | "sql";

export interface DashboardQuery {
  dashboard: string;
  /** Panel title and refId, or `variable <name>`. */
  where: string;
  language: Language;
  datasourceUid: string;
  /** As the dashboard holds it (variables not substituted). */
  text: string;
  /** Labels the legend names series by ({{label}}): each result series must carry them. */
  legendLabels: string[];
}

const languageOf: Record<string, Language> = { prometheus: "promql", loki: "logql", "grafana-postgresql-datasource": "sql" };

function language(datasource: Json | undefined, where: string): Language {
  const found = languageOf[datasource?.type as string];
  if (!found) throw new Error(`${where}: datasource type ${JSON.stringify(datasource?.type)} is none of ${Object.keys(languageOf).join(", ")}`);
  return found;
}

const legendLabels = (legend: unknown) => [...String(legend ?? "").matchAll(/\{\{\s*([a-zA-Z_]\w*)\s*\}\}/g)].map((match) => match[1]!);

/** Panels of a dashboard, rows' nested panels included (rows themselves have no targets). */
export function panelsOf(dashboard: Json): Json[] {
  return (dashboard.panels as Json[]).flatMap((panel) => [panel, ...((panel.panels as Json[] | undefined) ?? [])]);
}

/**
 * Every query of the dashboards (file name → JSON text). A query variable's
 * `label_values(<selector>, <label>)` becomes `group by (<label>) (<selector>)` in PromQL (the
 * series whose label values Grafana lists) and the bare stream selector in LogQL.
 */
export function dashboardQueries(files: Record<string, string>): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const [file, text] of Object.entries(files)) {
    const dashboard = JSON.parse(text) as Json;
    for (const panel of panelsOf(dashboard)) {
      for (const target of (panel.targets as Json[] | undefined) ?? []) {
        const where = `${panel.title} ${target.refId}`;
        const lang = language(target.datasource ?? panel.datasource, `${file}: ${where}`);
        const body = lang === "sql" ? target.rawSql : target.expr;
        queries.push({ dashboard: file, where, language: lang, datasourceUid: (target.datasource ?? panel.datasource).uid, text: body, legendLabels: legendLabels(target.legendFormat) });
      }
    }
    for (const variable of (dashboard.templating?.list as Json[] | undefined) ?? []) {
      if (variable.type !== "query") continue;
      const where = `variable ${variable.name}`;
      const lang = language(variable.datasource, `${file}: ${where}`);
      const query = String(variable.query);
      if (lang === "sql") {
        queries.push({ dashboard: file, where, language: lang, datasourceUid: variable.datasource.uid, text: query, legendLabels: [] });
        continue;
      }
      const labelValues = /^label_values\((.*),\s*([a-zA-Z_]\w*)\s*\)$/s.exec(query);
      if (!labelValues) throw new Error(`${file}: ${where}: not label_values(<selector>, <label>): ${query}`);
      const [, selector, label] = labelValues;
      queries.push({ dashboard: file, where, language: lang, datasourceUid: variable.datasource.uid, text: lang === "promql" ? `group by (${label}) (${selector})` : selector!, legendLabels: lang === "promql" ? [label!] : [] });
    }
  }
  return queries;
}

/**
 * Replaces `$name` and `${name}` (whole names: $node is not the start of $nodes); throws on a
 * variable without a value, except the names in `keep` (the SQL macros, expanded afterwards).
 * PromQL's own `$1` (label_replace) is not a name and stays.
 */
export function substitute(text: string, values: Record<string, string>, keep: readonly string[] = []): string {
  return text.replace(/\$\{([a-zA-Z_]\w*)\}|\$([a-zA-Z_]\w*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name in values) return values[name]!;
    if (keep.includes(name)) return whole;
    throw new Error(`variable $${name} has no value in: ${text}`);
  });
}

/** Nodes the parser marked as errors, with where they are. */
export function parseErrors(language: "promql" | "logql", text: string): string[] {
  const tree = (language === "promql" ? promqlParser : logqlParser).parse(text);
  const errors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`error at ${node.from}: …${text.slice(Math.max(0, node.from - 20), node.from)}⟨here⟩${text.slice(node.from, node.from + 20)}…`);
    },
  });
  return errors;
}

/** Metric names and label names a PromQL expression refers to (from the parse tree). */
export function promqlNames(text: string): { metrics: string[]; labels: string[]; createdLabels: string[] } {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  const createdLabels = new Set<string>();
  promqlParser.parse(text).iterate({
    enter: (node) => {
      const slice = text.slice(node.from, node.to);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") metrics.add(slice);
      if (node.name === "LabelName") labels.add(slice);
      // label_replace(v, "dst", "replacement", "src", "regex"): dst is a label the query creates.
      if (node.name === "FunctionCall" && node.node.firstChild?.firstChild?.name === "LabelReplace") {
        const args = [...slice.matchAll(/,\s*"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
        if (args[0]) createdLabels.add(args[0]);
      }
    },
  });
  return { metrics: [...metrics], labels: [...labels], createdLabels: [...createdLabels] };
}

/** Grafana's PostgreSQL macros used by the dashboards, expanded as its SQL datasource does. */
export function expandSqlMacros(sql: string, range: { from: Date; to: Date }): string {
  const interval = (text: string) => {
    const match = /^'?(\d+)([smhd])'?$/.exec(text.trim());
    if (!match) throw new Error(`not an interval: ${text}`);
    return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
  };
  const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
  const expanded = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, column: string) => `${column.trim()} BETWEEN '${rfc3339(range.from)}' AND '${rfc3339(range.to)}'`)
    .replace(/\$__timeGroupAlias\(([^,]+),([^)]+)\)/g, (_, column: string, step: string) => `floor(extract(epoch from ${column.trim()})/${interval(step)})*${interval(step)} AS "time"`);
  const left = /\$__\w+/.exec(expanded);
  if (left) throw new Error(`macro ${left[0]} is not expanded by this test: ${sql}`);
  return expanded;
}
