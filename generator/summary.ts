// What an environment asks of the cluster: CPU and memory requests of every pod it runs at
// its rendered replica count (an HPA target counts at its minimum; a DaemonSet counts one pod,
// which it runs per node). Jobs run now and then and are not counted.
import { parseBytes, parseCpu } from "../core/quantity";

interface Quantities {
  cpuMillicores: number;
  memoryBytes: number;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function podSpecOf(object: Json): Json | undefined {
  switch (object.kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
      return object.spec?.template?.spec;
    default:
      return undefined;
  }
}

export function requestedResources(objects: Json[]): Quantities {
  const hpaMinimum = new Map<string, number>();
  for (const object of objects) {
    if (object.kind === "HorizontalPodAutoscaler") {
      const target = object.spec.scaleTargetRef;
      hpaMinimum.set(`${object.metadata.namespace}/${target.kind}/${target.name}`, object.spec.minReplicas ?? 1);
    }
  }
  const total: Quantities = { cpuMillicores: 0, memoryBytes: 0 };
  for (const object of objects) {
    const podSpec = podSpecOf(object);
    if (!podSpec) continue;
    const replicas = object.spec.replicas ?? hpaMinimum.get(`${object.metadata.namespace}/${object.kind}/${object.metadata.name}`) ?? 1;
    for (const container of podSpec.containers ?? []) {
      const requests = container.resources?.requests ?? {};
      if (requests.cpu !== undefined) total.cpuMillicores += replicas * parseCpu(requests.cpu);
      if (requests.memory !== undefined) total.memoryBytes += replicas * parseBytes(requests.memory);
    }
  }
  return total;
}

export function formatQuantities({ cpuMillicores, memoryBytes }: Quantities): string {
  return `requests ${(cpuMillicores / 1000).toFixed(2)} CPU, ${(memoryBytes / 2 ** 30).toFixed(2)} GiB memory`;
}
