// What an environment runs, decided once from its settings: which of the contract's workloads
// exist, and at how many replicas. Apps build exactly this, the settings check judges exactly
// this, so the two can never disagree.
import { minimumReplicas, records, workloadNames, type WorkloadName } from "../contract/index";
import { k6DurationSeconds } from "../quantity";
import type { Settings } from "./schema";

/** A workload that only some environments run, and the setting that decides it. */
interface OptionalWorkload {
  /** JSON path of the deciding setting, for error messages. */
  setting: string[];
  deployed(settings: Settings): boolean;
}

const optionalWorkloads: Partial<Record<WorkloadName, OptionalWorkload>> = {
  "redis-cart": { setting: ["dataTier", "redisSentinel"], deployed: (s) => !s.dataTier.redisSentinel },
  redis: { setting: ["dataTier", "redisSentinel"], deployed: (s) => s.dataTier.redisSentinel },
  "redis-sentinel": { setting: ["dataTier", "redisSentinel"], deployed: (s) => s.dataTier.redisSentinel },
  "postgres-backup": { setting: ["dataTier", "postgresBackupSchedule"], deployed: (s) => s.dataTier.postgresBackupSchedule !== null },
  traffic: { setting: ["traffic", "enabled"], deployed: (s) => s.traffic.enabled },
  "traffic-initial": { setting: ["traffic", "enabled"], deployed: (s) => s.traffic.enabled },
};

/** The workloads the environment runs, in the contract's order. */
export function deployedWorkloads(settings: Settings): WorkloadName[] {
  return workloadNames.filter((name) => optionalWorkloads[name]?.deployed(settings) ?? true);
}

/** The setting that leaves a workload out (undefined: every environment runs it). */
export function decidingSetting(workload: WorkloadName): string[] | undefined {
  return optionalWorkloads[workload]?.setting;
}

/** The contract's minimum for the environment's availability level, else 1. */
export function contractMinimum(settings: Settings, workload: WorkloadName): number {
  return minimumReplicas(settings.availability.level, workload) ?? 1;
}

/** Replicas a workload runs: settings.replicas, or its HPA's minimum; by default the contract's minimum. */
export function replicaCount(settings: Settings, workload: WorkloadName): number {
  const scaling = settings.autoscaling[workload];
  return (scaling ? scaling.minReplicas : settings.replicas[workload]) ?? contractMinimum(settings, workload);
}

/** Long-running workloads (not Jobs) with more than one replica: they need PDBs and spreading. */
export function multiReplicaWorkloads(settings: Settings, deployed: readonly WorkloadName[]): WorkloadName[] {
  return deployed.filter((name) => !["CronJob", "Job", "DaemonSet"].includes(records[name].kind) && replicaCount(settings, name) > 1);
}

/** The object storage the settings give (Loki's bucket), or undefined when logs stay on a volume. */
export function objectStorageOf(settings: Settings): { cidrs: readonly string[]; port: number } | undefined {
  const storage = settings.monitoring.loki.storage;
  return storage.type === "s3" ? storage : undefined;
}

/** How long k6 waits for the frontend to answer before a run starts its traffic (the script's setup()). */
export const trafficSetupSeconds = 120;

/**
 * The longest a traffic run may take (its Job's activeDeadlineSeconds): the traffic; k6's wait
 * for the frontend and the 30 s setup timeout beyond it (the script's setupTimeout); its
 * graceful stop (30 s); and a minute to pull and start the image.
 */
export function trafficRunDeadlineSeconds(settings: Settings): number {
  return k6DurationSeconds(settings.traffic.duration) + trafficSetupSeconds + 30 + 30 + 60;
}
