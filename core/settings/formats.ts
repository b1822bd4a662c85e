// Values the schema lets through but the API server (or Argo CD) would refuse at sync time:
// cron schedules, CIDRs, reserved or shared namespaces. Refused here, at their line.
import { parseCidr } from "../cidr";
import { exposures, type Settings } from "./schema";
import type { SettingsProblem } from "./consistency";

/** Kubernetes' cron (robfig/cron's standard parser): five fields, or one of these descriptors. */
const cronDescriptors = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const cronFields = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

function cronValue(text: string, field: (typeof cronFields)[number]): number | undefined {
  const named = "names" in field ? (field.names as readonly string[]).indexOf(text.toLowerCase()) : -1;
  if (named !== -1) return named + field.min;
  return /^[0-9]+$/.test(text) ? Number(text) : undefined;
}

/** What is wrong with a cron schedule, or undefined. */
export function cronProblem(schedule: string): string | undefined {
  if (cronDescriptors.has(schedule)) return undefined;
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week) or ${[...cronDescriptors].join(", ")}, got ${parts.length} field(s)`;
  for (const [index, part] of parts.entries()) {
    const field = cronFields[index]!;
    for (const item of part.split(",")) {
      const [range, step, extra] = item.split("/");
      if (extra !== undefined || (step !== undefined && !/^[1-9][0-9]*$/.test(step))) return `${field.name} "${item}": a step is /N with N ≥ 1`;
      if (range === "*" || (range === "?" && (index === 2 || index === 4))) continue;
      const bounds = range!.split("-");
      const values = bounds.map((bound) => cronValue(bound, field));
      if (bounds.length > 2 || values.some((value) => value === undefined || value < field.min || value > field.max)) return `${field.name} "${item}": expected values ${field.min}-${field.max}${"names" in field ? " or names" : ""}, *, ranges a-b, steps /N`;
      if (values.length === 2 && values[0]! > values[1]!) return `${field.name} "${item}": a range runs from low to high`;
    }
  }
  return undefined;
}

/** What is wrong with a CIDR ("address/prefix", IPv4 or IPv6), or undefined. */
export function cidrProblem(cidr: string): string | undefined {
  return parseCidr(cidr) ? undefined : `expected a CIDR (address/prefix, e.g. 203.0.113.0/24), got "${cidr}"`;
}

const reservedNamespaces = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export function formatProblems(settings: Settings): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const schedule = settings.dataTier.postgresBackupSchedule;
  const cron = schedule === null ? undefined : cronProblem(schedule);
  if (cron) problems.push({ path: ["dataTier", "postgresBackupSchedule"], message: cron });
  for (const { path, exposure } of exposures(settings)) {
    if (exposure.type !== "LoadBalancer") continue;
    (exposure.loadBalancerSourceRanges ?? []).forEach((range, index) => {
      const problem = cidrProblem(range);
      if (problem) problems.push({ path: [...path, "loadBalancerSourceRanges", String(index)], message: problem });
    });
  }
  for (const role of ["app", "monitoring"] as const) {
    const name = settings.namespaces[role];
    if (reservedNamespaces.has(name)) problems.push({ path: ["namespaces", role], message: `"${name}" belongs to Kubernetes; the shop needs namespaces of its own` });
    else if (name === settings.argocd.namespace) problems.push({ path: ["namespaces", role], message: `"${name}" is Argo CD's namespace (argocd.namespace); the shop needs namespaces of its own` });
  }
  if (settings.namespaces.app === settings.namespaces.monitoring) problems.push({ path: ["namespaces", "monitoring"], message: `expected a namespace other than the app's ("${settings.namespaces.app}"): each has its own default-deny policies and Pod Security level` });
  return problems;
}
