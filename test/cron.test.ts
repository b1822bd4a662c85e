// Cron schedules as the CronJob controller reads them (robfig/cron's standard parser), and the
// shortest time between two runs, which a run's deadline must stay under.
import { describe, expect, it } from "vitest";
import { cronProblem, parseCron, shortestIntervalSeconds } from "../core/cron";

function interval(schedule: string): number | undefined {
  const parsed = parseCron(schedule);
  if ("problem" in parsed) throw new Error(`${schedule}: ${parsed.problem}`);
  return shortestIntervalSeconds(parsed);
}

describe("cron schedules", () => {
  it("the overview's traffic runs every 15 minutes; steps, ranges, lists and names count like the controller counts them", () => {
    expect(interval("*/15 * * * *")).toBe(900);
    expect(interval("5/20 * * * *")).toBe(1200); // 5, 25, 45: "N/step" runs from N to the end
    expect(interval("0,50 * * * *")).toBe(600);
    expect(interval("0 9-17 * * MON-FRI")).toBe(3600);
    expect(interval("0 3 * * *")).toBe(86_400);
    expect(interval("@hourly")).toBe(3600);
    expect(interval("@weekly")).toBe(7 * 86_400);
  });

  it("the gap between days counts: late evening to early morning, the shortest month, alternate days", () => {
    expect(interval("0 1,23 * * *")).toBe(2 * 3600); // 23:00 to 01:00 the next day
    expect(interval("0 0 1 * *")).toBe(28 * 86_400); // February
    expect(interval("0 0 */2 * *")).toBe(86_400); // the 31st, then the 1st
    expect(interval("0 0 29 2 *")).toBe(1461 * 86_400); // leap days, four years apart
  });

  it("with both day fields restricted either one matches (the 13th or a Friday); with one a bare *, both must", () => {
    expect(interval("0 0 13 * FRI")).toBe(86_400); // Thursday the 13th, then Friday the 14th
    expect(interval("0 0 13 * *")).toBe(28 * 86_400);
    expect(interval("0 0 */1 * FRI")).toBe(7 * 86_400); // "*/1" is still every day: Fridays only
  });

  it("a schedule that never runs twice has no interval", () => {
    expect(interval("0 0 30 2 *")).toBeUndefined();
  });

  it("what the API server refuses is named", () => {
    expect(cronProblem("*/15 * * *")).toMatch(/^expected 5 fields \(minute hour day-of-month month day-of-week\) or @yearly, .*got 4 field\(s\)$/);
    expect(cronProblem("61 * * * *")).toBe('minute "61": expected values 0-59, *, ranges a-b, steps /N');
    expect(cronProblem("*/0 * * * *")).toBe('minute "*/0": a step is /N with N ≥ 1');
    expect(cronProblem("0 5-1 * * *")).toBe('hour "5-1": a range runs from low to high');
    expect(cronProblem("0 0 ? * *")).toBeUndefined();
    expect(cronProblem("? 0 * * *")).toMatch(/^minute "\?"/);
    expect(cronProblem("0 0 * JAN-MAR mon-fri")).toBeUndefined();
  });
});
