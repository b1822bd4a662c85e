// Kubernetes CronJob schedules (robfig/cron's standard parser, which the CronJob controller
// uses): five fields or a descriptor. The settings check refuses a schedule the API server would
// refuse, and the policy run needs the shortest time between two runs (a run's deadline must be
// shorter, or runs of a Forbid CronJob are skipped).

/** The descriptors Kubernetes accepts, as the five fields they stand for. */
const descriptors: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const fields = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

type Field = (typeof fields)[number];

/** One field's allowed values; `unrestricted` is robfig's "star" (a bare * or ?), which matters for days. */
interface FieldValues {
  values: ReadonlySet<number>;
  unrestricted: boolean;
}

export interface CronSchedule {
  minute: FieldValues;
  hour: FieldValues;
  dayOfMonth: FieldValues;
  month: FieldValues;
  dayOfWeek: FieldValues;
}

class CronError extends Error {}

function value(text: string, field: Field, item: string): number {
  const named = "names" in field ? (field.names as readonly string[]).indexOf(text.toLowerCase()) : -1;
  const number = named !== -1 ? named + field.min : /^[0-9]+$/.test(text) ? Number(text) : undefined;
  if (number === undefined || number < field.min || number > field.max) {
    throw new CronError(`${field.name} "${item}": expected values ${field.min}-${field.max}${"names" in field ? " or names" : ""}, *, ranges a-b, steps /N`);
  }
  return number;
}

function parseField(text: string, field: Field, index: number): FieldValues {
  const values = new Set<number>();
  let unrestricted = false;
  for (const item of text.split(",")) {
    const [range, stepText, extra] = item.split("/");
    if (extra !== undefined || (stepText !== undefined && !/^[1-9][0-9]*$/.test(stepText))) throw new CronError(`${field.name} "${item}": a step is /N with N ≥ 1`);
    const step = stepText === undefined ? 1 : Number(stepText);
    let low: number;
    let high: number;
    if (range === "*" || (range === "?" && (index === 2 || index === 4))) {
      [low, high] = [field.min, field.max];
      // robfig: only a bare * or ? (or a step of 1) leaves the field unrestricted.
      if (step === 1) unrestricted = true;
    } else {
      const bounds = range!.split("-");
      if (bounds.length > 2) throw new CronError(`${field.name} "${item}": expected values ${field.min}-${field.max}, *, ranges a-b, steps /N`);
      low = value(bounds[0]!, field, item);
      // "N/step" runs from N to the field's end.
      high = bounds.length === 2 ? value(bounds[1]!, field, item) : stepText !== undefined ? field.max : low;
      if (low > high) throw new CronError(`${field.name} "${item}": a range runs from low to high`);
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return { values, unrestricted };
}

/** The schedule as sets of values, or the reason Kubernetes would refuse it. */
export function parseCron(schedule: string): CronSchedule | { problem: string } {
  const expanded = descriptors[schedule] ?? schedule;
  const parts = expanded.trim().split(/\s+/);
  if (parts.length !== 5) return { problem: `expected 5 fields (minute hour day-of-month month day-of-week) or ${Object.keys(descriptors).join(", ")}, got ${parts.length} field(s)` };
  try {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = parts.map((part, index) => parseField(part, fields[index]!, index)) as [FieldValues, FieldValues, FieldValues, FieldValues, FieldValues];
    return { minute, hour, dayOfMonth, month, dayOfWeek };
  } catch (error) {
    if (error instanceof CronError) return { problem: error.message };
    throw error;
  }
}

/** What is wrong with a cron schedule, or undefined. */
export function cronProblem(schedule: string): string | undefined {
  const parsed = parseCron(schedule);
  return "problem" in parsed ? parsed.problem : undefined;
}

/** robfig's day rule: when both day fields are restricted, either may match; otherwise both must. */
function runsOn(schedule: CronSchedule, day: Date): boolean {
  if (!schedule.month.values.has(day.getUTCMonth() + 1)) return false;
  const dayOfMonth = schedule.dayOfMonth.values.has(day.getUTCDate());
  const dayOfWeek = schedule.dayOfWeek.values.has(day.getUTCDay());
  return schedule.dayOfMonth.unrestricted || schedule.dayOfWeek.unrestricted ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
}

const minutesPerDay = 24 * 60;
// Weekdays and leap years repeat every 28 years (within 1901-2099): every pattern of run days shows in them.
const daysScanned = 28 * 366;

/**
 * The shortest time between two consecutive runs, in seconds (the schedule in UTC, as the
 * controller runs it without spec.timeZone); undefined when it runs at most once in 28 years.
 */
export function shortestIntervalSeconds(schedule: CronSchedule): number | undefined {
  const times = [...schedule.hour.values].flatMap((hour) => [...schedule.minute.values].map((minute) => hour * 60 + minute)).sort((a, b) => a - b);
  let shortest = Infinity;
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, times[i]! - times[i - 1]!);
  const first = times[0]!;
  const last = times.at(-1)!;
  let previousDay: number | undefined;
  const start = Date.UTC(2000, 0, 1);
  for (let day = 0; day < daysScanned; day++) {
    if (!runsOn(schedule, new Date(start + day * 86_400_000))) continue;
    if (previousDay !== undefined) shortest = Math.min(shortest, (day - previousDay) * minutesPerDay + first - last);
    // Two run days in a row are the closest run days can be: no later pair can make it shorter.
    if (previousDay === day - 1) break;
    previousDay = day;
  }
  return Number.isFinite(shortest) ? shortest * 60 : undefined;
}
