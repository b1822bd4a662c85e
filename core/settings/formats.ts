// Values the schema lets through but the API server (or Argo CD) would refuse at sync time:
// cron schedules, CIDRs, reserved or shared namespaces. Refused here, at their line.
import { parseCidr } from "../cidr";
import { cronProblem, parseCron, shortestIntervalSeconds } from "../cron";
import { k6DurationSeconds } from "../quantity";
import { exposures, type Settings } from "./schema";
import type { SettingsProblem } from "./consistency";
import { trafficRunDeadlineSeconds } from "./topology";

/** What is wrong with a CIDR ("address/prefix", IPv4 or IPv6), or undefined. */
export function cidrProblem(cidr: string): string | undefined {
  return parseCidr(cidr) ? undefined : `expected a CIDR (address/prefix, e.g. 203.0.113.0/24), got "${cidr}"`;
}

/** The traffic schedule parses, a run fits between two runs, and k6 aims at the shop's own frontend Service. */
function trafficProblems(settings: Settings): SettingsProblem[] {
  const { schedule, frontendUrl } = settings.traffic;
  const parsed = parseCron(schedule);
  if ("problem" in parsed) return [{ path: ["traffic", "schedule"], message: parsed.problem }];
  const problems: SettingsProblem[] = [];
  const interval = shortestIntervalSeconds(parsed);
  const deadline = trafficRunDeadlineSeconds(settings);
  if (settings.traffic.enabled && interval !== undefined && deadline >= interval) {
    problems.push({ path: ["traffic", "duration"], message: `expected a run to fit between two runs: ${settings.traffic.duration} of traffic plus ${deadline - k6DurationSeconds(settings.traffic.duration)} s to start, wait for the frontend and stop is ${deadline} s, and "${schedule}" runs every ${interval} s at the shortest` });
  }
  if (frontendUrl !== undefined) {
    const host = new URL(frontendUrl).hostname;
    const app = settings.namespaces.app;
    if (host !== "frontend" && host !== `frontend.${app}` && host !== `frontend.${app}.svc` && !host.startsWith(`frontend.${app}.svc.`)) {
      problems.push({ path: ["traffic", "frontendUrl"], message: `expected the frontend Service of the app namespace (frontend, frontend.${app} or frontend.${app}.svc.<cluster domain>), got host "${host}"` });
    }
  }
  return problems;
}

const reservedNamespaces = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export function formatProblems(settings: Settings): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const schedule = settings.dataTier.postgresBackupSchedule;
  const cron = schedule === null ? undefined : cronProblem(schedule);
  if (cron) problems.push({ path: ["dataTier", "postgresBackupSchedule"], message: cron });
  problems.push(...trafficProblems(settings));
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
