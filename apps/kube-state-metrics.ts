// kube-state-metrics: the state of the cluster's objects as metrics, for the alerts (replicas
// missing, crash loops) and the cluster dashboard. It reads exactly the kinds it reports on
// (--resources and the ClusterRole are one list: a kind in one but not the other is either
// forbidden noise in its log or a grant nobody uses), with list and watch only.
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import { portOf } from "../core/contract/index";
import { workloadApp } from "./lib/app";
import { clusterAccess } from "./lib/rbac";
import { deployment, httpProbe } from "./lib/workload";

const httpPort = portOf("kube-state-metrics", "http").port;
const telemetryPort = portOf("kube-state-metrics", "telemetry").port;

/** The kinds it reports on, by API group: its --resources flag and its ClusterRole both come from here. */
export const observedKinds: Readonly<Record<string, readonly string[]>> = {
  "": ["namespaces", "nodes", "persistentvolumeclaims", "pods", "services"],
  apps: ["daemonsets", "deployments", "statefulsets"],
  autoscaling: ["horizontalpodautoscalers"],
  batch: ["cronjobs", "jobs"],
  policy: ["poddisruptionbudgets"],
};

function readOnlyRules(): IPolicyRule[] {
  return Object.entries(observedKinds).map(([group, resources]) => ({ apiGroups: [group], resources: [...resources], verbs: ["list", "watch"] }));
}

export const kubeStateMetrics = workloadApp({
  name: "kube-state-metrics",
  component: "metrics",
  workloads: ["kube-state-metrics"],
  render: (context) => [
    ...deployment(context, {
      name: "kube-state-metrics",
      containers: [
        {
          name: "kube-state-metrics",
          args: [`--port=${httpPort}`, `--telemetry-port=${telemetryPort}`, `--resources=${Object.values(observedKinds).flat().sort().join(",")}`],
          readinessProbe: httpProbe("/readyz", telemetryPort, { periodSeconds: 10 }),
          livenessProbe: httpProbe("/healthz", httpPort, { periodSeconds: 20, initialDelaySeconds: 5 }),
        },
      ],
    }),
    ...clusterAccess(context, "kube-state-metrics", readOnlyRules()),
  ],
});
