// kube-state-metrics: the state of the cluster's objects as metrics, for the alerts (replicas
// missing, crash loops) and the cluster dashboard. It reads exactly the kinds it reports on: its
// record's apiAccess is both its ClusterRole and its --resources flag (a kind in one but not the
// other is either forbidden noise in its log or a grant nobody uses).
import { portOf, records } from "../core/contract/index";
import { workloadApp } from "./lib/app";
import { recordedAccess } from "./lib/rbac";
import { deployment, httpProbe } from "./lib/workload";

const httpPort = portOf("kube-state-metrics", "http").port;
const telemetryPort = portOf("kube-state-metrics", "telemetry").port;
const observedKinds = (records["kube-state-metrics"].apiAccess?.cluster ?? []).flatMap((grant) => ("resources" in grant ? grant.resources : []));

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
          args: [`--port=${httpPort}`, `--telemetry-port=${telemetryPort}`, `--resources=${[...observedKinds].sort().join(",")}`],
          readinessProbe: httpProbe("/readyz", telemetryPort, { periodSeconds: 10 }),
          livenessProbe: httpProbe("/healthz", httpPort, { periodSeconds: 20, initialDelaySeconds: 5 }),
        },
      ],
    }),
    ...recordedAccess(context, "kube-state-metrics"),
  ],
});
