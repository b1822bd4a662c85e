// The order persistence service's alerting rules (group "orders" of apps/prometheus-rules.ts, read
// from the rendered prod ConfigMap), checked and unit-tested by the real promtool (Debian package
// prometheus; .ci/run installs it): each alert fires on the series the service exposes, at the
// time it should, and stays quiet otherwise.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { repoRoot } from "./support/repo";

const dir = mkdtempSync(join(tmpdir(), "order-alerts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configMap = parse(readFileSync(join(repoRoot, "rendered/prod/monitoring/prometheus/configmap-prometheus-rules.yaml"), "utf8")) as { data: Record<string, string> };
const rules = configMap.data["environment.yml"]!;
writeFileSync(join(dir, "alerts.yml"), rules);
/** Each alert's fixed description and runbook (promtool compares annotations too; the summaries are spelled out below). */
const fixedAnnotations = new Map<string, { description: string; runbook_url: string }>(
  (parse(rules) as { groups: { rules: { alert?: string; annotations?: { description: string; runbook_url: string } }[] }[] }).groups.flatMap((group) =>
    group.rules.filter((rule) => rule.alert).map((rule) => [rule.alert!, { description: rule.annotations!.description, runbook_url: rule.annotations!.runbook_url }] as const),
  ),
);

function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  if (result.error) throw new Error(`promtool could not run (Debian package prometheus; .ci/run installs it): ${result.error.message}`);
  return { status: result.status, output: result.stdout + result.stderr };
}

const pod = { namespace: "microservices-demo", pod: "order-persistence-0" };
const series = (name: string, values: string) => ({ series: `${name}{namespace="${pod.namespace}",pod="${pod.pod}"}`, values });

/** Runs one promtool unit test: input series every 30 s, and the alerts expected at each time. */
interface Firing {
  labels: Record<string, string>;
  summary: string;
}

function unitTest(input: { series: string; values: string }[], expected: { at: string; alert: string; firing: Firing[] }[]) {
  const file = `test-${expected[0]!.alert}-${expected.length}-${input.length}.yml`;
  writeFileSync(
    join(dir, file),
    stringify({
      rule_files: ["alerts.yml"],
      evaluation_interval: "30s",
      tests: [
        {
          interval: "30s",
          input_series: input,
          alert_rule_test: expected.map(({ at, alert, firing }) => ({ eval_time: at, alertname: alert, exp_alerts: firing.map(({ labels, summary }) => ({ exp_labels: labels, exp_annotations: { summary, ...fixedAnnotations.get(alert) } })) })),
        },
      ],
    }),
  );
  return promtool(["test", "rules", file]);
}

/** promtool's verdict on a unit test: every expectation held. */
function passes(result: { status: number | null; output: string }): void {
  expect(result.output).toContain("SUCCESS");
  expect(result.status).toBe(0);
}

describe("order persistence alerts (promtool)", () => {
  it("the rendered rule file holding them is valid, and prod has the three", () => {
    const result = promtool(["check", "rules", "alerts.yml"]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
    for (const alert of ["OrderSpoolQuarantined", "OrderSpoolBacklog", "OrderIdConflicts"]) expect(fixedAnnotations.has(alert), alert).toBe(true);
  });

  it("a quarantined spool file pages at once, and only while files are there", () => {
    passes(unitTest(
      [series("order_spool_quarantined", "0 0 1 1 0")],
      [
        { at: "30s", alert: "OrderSpoolQuarantined", firing: [] },
        { at: "60s", alert: "OrderSpoolQuarantined", firing: [{ labels: { severity: "critical", ...pod }, summary: "order-persistence-0: 1 spooled order(s) can never be stored and were set aside" }] },
        { at: "120s", alert: "OrderSpoolQuarantined", firing: [] },
      ],
    ));
  });

  it("a spool that has not drained for 15 minutes warns; a shorter outage does not", () => {
    passes(unitTest(
      // 5 minutes of 3 orders, drained, then 20 minutes of a stuck backlog.
      [series("order_spool_depth", "0 3x9 0x5 2x40")],
      [
        { at: "5m", alert: "OrderSpoolBacklog", firing: [] },
        { at: "20m", alert: "OrderSpoolBacklog", firing: [] },
        { at: "25m", alert: "OrderSpoolBacklog", firing: [{ labels: { severity: "warning", ...pod }, summary: "order-persistence-0: 2 order(s) waiting in the spool for 15 minutes" }] },
      ],
    ));
  });

  it("an order_id reused with other content warns for an hour", () => {
    passes(unitTest(
      [series("orders_conflicting_total", "0x10 1x200")],
      [
        { at: "4m", alert: "OrderIdConflicts", firing: [] },
        { at: "10m", alert: "OrderIdConflicts", firing: [{ labels: { severity: "warning", namespace: pod.namespace }, summary: "1 order confirmation(s) in the last hour reused an order_id with other content" }] },
        { at: "90m", alert: "OrderIdConflicts", firing: [] },
      ],
    ));
  });

  it("a promtool unit test can fail: the quarantine alert is not silent on a quarantined file", () => {
    const result = unitTest([series("order_spool_quarantined", "1 1 1")], [{ at: "60s", alert: "OrderSpoolQuarantined", firing: [] }]);
    expect(result.output).toContain("FAILED");
    expect(result.status).not.toBe(0);
  });
});
