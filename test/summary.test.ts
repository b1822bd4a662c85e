// generator/summary.ts: what an environment asks of the cluster, as the render's summary line says.
import { describe, expect, it } from "vitest";
import { formatQuantities, requestedResources } from "../generator/summary";

const pod = (...requests: { cpu?: string; memory?: string }[]) => ({ template: { spec: { containers: requests.map((r, i) => ({ name: `c${i}`, resources: { requests: r } })) } } });
const workload = (kind: string, name: string, spec: object) => ({ kind, metadata: { name, namespace: "app" }, spec });

describe("requested resources", () => {
  it("adds every container's requests, times the replicas", () => {
    const total = requestedResources([workload("Deployment", "a", { replicas: 3, ...pod({ cpu: "100m", memory: "64Mi" }, { cpu: "0.5", memory: "1Gi" }) })]);
    expect(total).toEqual({ cpuMillicores: 3 * 600, memoryBytes: 3 * (64 * 2 ** 20 + 2 ** 30) });
  });

  it("counts StatefulSets and DaemonSets (one pod each, unless replicas say otherwise), not Services, Jobs or bare pods", () => {
    const total = requestedResources([
      workload("StatefulSet", "db", { replicas: 2, ...pod({ cpu: "250m" }) }),
      workload("DaemonSet", "agent", pod({ cpu: "10m" })),
      workload("Job", "once", pod({ cpu: "5" })),
      { kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ resources: { requests: { cpu: "7" } } }] } },
      { kind: "Service", metadata: { name: "s" }, spec: {} },
    ]);
    expect(total).toEqual({ cpuMillicores: 510, memoryBytes: 0 });
  });

  it("a workload without replicas counts at its autoscaler's minimum (1 when the autoscaler names none), else 1", () => {
    const hpa = (target: string, minReplicas?: number, kind = "Deployment") => ({ kind: "HorizontalPodAutoscaler", metadata: { name: target, namespace: "app" }, spec: { scaleTargetRef: { kind, name: target }, ...(minReplicas ? { minReplicas } : {}) } });
    const total = requestedResources([
      hpa("scaled", 4),
      workload("Deployment", "scaled", pod({ cpu: "100m" })),
      hpa("default-min"),
      workload("Deployment", "default-min", pod({ cpu: "20m" })),
      workload("Deployment", "plain", pod({ cpu: "3m" })),
      hpa("other-kind", 9, "StatefulSet"),
      workload("Deployment", "other-kind", pod({ cpu: "1m" })),
      workload("Deployment", "fixed", { replicas: 2, ...pod({ cpu: "1000m" }) }),
      hpa("fixed", 5),
    ]);
    expect(total.cpuMillicores).toBe(400 + 20 + 3 + 1 + 2000);
  });

  it("a container without requests, or with only one of them, adds only what it states", () => {
    const total = requestedResources([workload("Deployment", "a", { replicas: 2, template: { spec: { containers: [{ name: "x" }, { name: "y", resources: { requests: { memory: "1Ki" } } }, { name: "z", resources: {} }] } } })]);
    expect(total).toEqual({ cpuMillicores: 0, memoryBytes: 2048 });
  });

  it("is formatted as CPU cores and GiB, two decimals", () => {
    expect(formatQuantities({ cpuMillicores: 1494, memoryBytes: 1.5 * 2 ** 30 })).toBe("requests 1.49 CPU, 1.50 GiB memory");
    expect(formatQuantities({ cpuMillicores: 0, memoryBytes: 0 })).toBe("requests 0.00 CPU, 0.00 GiB memory");
  });
});
