// node-exporter: each node's CPU, memory, disks, filesystems and network, one pod per node. Its
// record grants the host access it needs (host network and PIDs, /proc, /sys and / read-only),
// each with its reason, which the DaemonSet carries as its policy exemptions. Prometheus finds the
// pods like any other (prometheus.io annotations); on the host network a pod's address is its
// node's, which Prometheus's NetworkPolicy reaches through settings.nodes.
//
// The flags are accepted by both node-exporter 1.12 (the image) and 1.5 (Debian's package, which
// test/node-exporter.test.ts starts with these very flags).
import { portOf, records } from "../core/contract/index";
import { workloadApp } from "./lib/app";
import { daemonSet, httpProbe } from "./lib/workload";

const metricsPort = portOf("node-exporter", "metrics").port;

/** The record's host paths (volume name → node path). */
const hostPaths = records["node-exporter"].hostAccess!.hostPaths!.volumes;
/** Where a node path appears in the container: under /host (the node's / as /host/root). */
const mountPointOf = (hostPath: string) => `/host${hostPath === "/" ? "/root" : hostPath}`;

/** Pseudo and container filesystems: not the node's disks, and one series per container otherwise. */
const excludedMountPoints = "^/(dev|proc|run|sys|var/lib/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)";
/** Virtual interfaces (one per pod): the node's own traffic is on its physical interfaces. */
const excludedDevices = "^(lo|veth.*|cali.*|cilium.*|lxc.*|flannel.*|cni.*|[a-f0-9]{15})$";

/** The node-exporter command line, for the image and for the test that runs Debian's. */
export function nodeExporterArgs(): string[] {
  return [
    `--web.listen-address=:${metricsPort}`,
    `--path.procfs=${mountPointOf("/proc")}`,
    `--path.sysfs=${mountPointOf("/sys")}`,
    `--path.rootfs=${mountPointOf("/")}`,
    `--collector.filesystem.mount-points-exclude=${excludedMountPoints}`,
    `--collector.netdev.device-exclude=${excludedDevices}`,
    `--collector.netclass.ignored-devices=${excludedDevices}`,
  ];
}

export const nodeExporter = workloadApp({
  name: "node-exporter",
  component: "metrics",
  workloads: ["node-exporter"],
  render: (context) =>
    daemonSet(context, {
      name: "node-exporter",
      containers: [
        {
          name: "node-exporter",
          args: nodeExporterArgs(),
          readinessProbe: httpProbe("/", metricsPort, { periodSeconds: 10 }),
          livenessProbe: httpProbe("/", metricsPort, { periodSeconds: 30, initialDelaySeconds: 5 }),
          // The root filesystem follows the node's mounts (a volume attached later shows up).
          volumeMounts: Object.entries(hostPaths).map(([name, path]) => ({ name, mountPath: mountPointOf(path), readOnly: true, ...(path === "/" ? { mountPropagation: "HostToContainer" as const } : {}) })),
        },
      ],
    }),
});
