// Which of the contract's workloads an environment runs, so objects that span workloads
// (NetworkPolicies) are rendered only for what exists.
import { workloadNamespaceRole, type WorkloadName } from "../../policies/contract";
import type { Settings } from "../../generator/settings/schema";

export function deployedWorkloads(settings: Settings): WorkloadName[] {
  const sentinel = settings.dataTier.redisSentinel;
  const absent = new Set<WorkloadName>(sentinel ? ["redis-cart"] : ["redis", "redis-sentinel"]);
  if (!settings.dataTier.postgresBackupSchedule) absent.add("postgres-backup");
  return (Object.keys(workloadNamespaceRole) as WorkloadName[]).filter((workload) => !absent.has(workload));
}
