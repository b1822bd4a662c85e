// Runs to completion (CronJobs and Jobs): a run never overlaps the next, never runs without end,
// and never retries without bound. A stuck or overlapping load test or backup competes with the
// shop for the same database and nodes.
import { parseCron, shortestIntervalSeconds } from "../../core/cron";
import { ofKind } from "../engine/objects";
import type { Json, Manifest, Rule, Violation } from "../engine/types";

/** Each Job spec of the tree with its path: a Job's own, a CronJob's template. */
function jobSpecs(manifests: Manifest[]): { manifest: Manifest; spec: Json | undefined; path: string }[] {
  return ofKind(manifests, "Job", "CronJob").map((manifest) =>
    manifest.object.kind === "Job" ? { manifest, spec: manifest.object.spec, path: "/spec" } : { manifest, spec: manifest.object.spec?.jobTemplate?.spec, path: "/spec/jobTemplate/spec" },
  );
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

/** Retries the API server's default allows (backoffLimit 6); more is not a bound worth the name. */
const maxBackoffLimit = 6;

/** A CronJob's deadlines against its schedule's shortest interval. */
function deadlineViolations(manifest: Manifest): Violation[] {
  const { schedule, startingDeadlineSeconds } = manifest.object.spec ?? {};
  const parsed = typeof schedule === "string" ? parseCron(schedule) : { problem: "no schedule" };
  if ("problem" in parsed) return [{ manifest, path: "/spec/schedule", message: `schedule ${JSON.stringify(schedule)} is not one Kubernetes accepts: ${parsed.problem}` }];
  const interval = shortestIntervalSeconds(parsed);
  const violations: Violation[] = [];
  const active = manifest.object.spec?.jobTemplate?.spec?.activeDeadlineSeconds;
  if (interval !== undefined && isCount(active) && active >= interval) {
    violations.push({ manifest, path: "/spec/jobTemplate/spec/activeDeadlineSeconds", message: `a run may take ${active} s, but "${schedule}" starts the next one ${interval} s later (with Forbid, that run is skipped)` });
  }
  if (!isCount(startingDeadlineSeconds)) {
    violations.push({ manifest, path: "/spec/startingDeadlineSeconds", message: "no startingDeadlineSeconds: a run the controller could not start on time starts whenever it can, and after 100 missed runs the CronJob stops scheduling" });
  } else if (interval !== undefined && startingDeadlineSeconds >= interval) {
    violations.push({ manifest, path: "/spec/startingDeadlineSeconds", message: `a late run may still start ${startingDeadlineSeconds} s after its time, past the next one ${interval} s later` });
  }
  return violations;
}

export const jobRules: Rule[] = [
  {
    id: "JOB001",
    theme: "jobs",
    severity: "error",
    title: "CronJobs never overlap their own runs",
    fix: "Set spec.concurrencyPolicy: Forbid (apps/lib/workload.ts cronJob does): a run still going when the next is due makes the next one wait for its turn instead of doubling the load.",
    check: ({ manifests }) =>
      ofKind(manifests, "CronJob")
        .filter((manifest) => manifest.object.spec?.concurrencyPolicy !== "Forbid")
        .map((manifest) => ({ manifest, path: "/spec/concurrencyPolicy", message: `concurrencyPolicy is ${manifest.object.spec?.concurrencyPolicy ?? "Allow (the default)"}: two runs can overlap` })),
  },
  {
    id: "JOB002",
    theme: "jobs",
    severity: "error",
    title: "every run has a deadline, shorter than its CronJob's interval",
    fix: "Set activeDeadlineSeconds on the Job spec (a CronJob's jobTemplate) below the schedule's shortest interval, and a CronJob's startingDeadlineSeconds below it too.",
    check: ({ manifests }) => [
      ...jobSpecs(manifests)
        .filter(({ spec }) => !isCount(spec?.activeDeadlineSeconds) || spec?.activeDeadlineSeconds === 0)
        .map(({ manifest, path }) => ({ manifest, path: `${path}/activeDeadlineSeconds`, message: "no activeDeadlineSeconds: a stuck run runs without end" })),
      ...ofKind(manifests, "CronJob").flatMap(deadlineViolations),
    ],
  },
  {
    id: "JOB003",
    theme: "jobs",
    severity: "error",
    title: "runs retry a bounded number of times",
    fix: `Set backoffLimit (at most ${maxBackoffLimit}) on the Job spec, and no podFailurePolicy rule with action Ignore: ignored failures never count against the limit.`,
    check: ({ manifests }) =>
      jobSpecs(manifests).flatMap(({ manifest, spec, path }): Violation[] => {
        const limit = spec?.backoffLimit;
        const violations: Violation[] = [];
        if (!isCount(limit)) violations.push({ manifest, path: `${path}/backoffLimit`, message: "no backoffLimit: the retry count is left to the API server's default" });
        else if (limit > maxBackoffLimit) violations.push({ manifest, path: `${path}/backoffLimit`, message: `backoffLimit ${limit}: more than ${maxBackoffLimit} retries` });
        const rules: unknown = spec?.podFailurePolicy?.rules;
        if (Array.isArray(rules)) {
          rules.forEach((rule: Json | null, index) => {
            if (rule?.action === "Ignore") violations.push({ manifest, path: `${path}/podFailurePolicy/rules/${index}/action`, message: "a podFailurePolicy rule ignores failures: such retries are never counted, so never bounded" });
          });
        }
        return violations;
      }),
  },
];
