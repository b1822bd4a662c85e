// Kubernetes cluster dashboard: the nodes (node-exporter, scraped by the `pods` job, which labels
// each series with its `node`), the objects (kube-state-metrics: pods by phase, restarts,
// Deployments and StatefulSets against their desired replicas) and the containers (cAdvisor
// through the kubelet's `cadvisor` job, against the requests and limits kube-state-metrics reports
// from the pods, which are the contract's).
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as table from "@grafana/grafana-foundation-sdk/table";
import { allOption, baseDashboard, datasourceRef, instantTable, labelValuesVariable, mergeTables, option, panel, PanelIds, problemCount, promQuery, shareSeries, stacked, timeSeries, type DashboardContext } from "./kit";
import { allDashboards, dashboards, dashboardTags } from "./names";

const node = 'node=~"$node"';
const namespace = 'namespace=~"$namespace"';
/** Filesystems that are the node's disks, not memory or container layers. */
const diskFs = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.lxcfs"';

/** used / reference per container, from cAdvisor (container!="": not the pod's own cgroup) and kube-state-metrics. */
function containerRatio(used: string, resource: "cpu" | "memory", against: "requests" | "limits"): string {
  return `sum by (namespace, pod, container) (${used}) / sum by (namespace, pod, container) (kube_pod_container_resource_${against}{${namespace}, resource="${resource}"})`;
}
const cpuUsed = `rate(container_cpu_usage_seconds_total{${namespace}, container!=""}[$__rate_interval])`;
const memoryUsed = `container_memory_working_set_bytes{${namespace}, container!=""}`;

export function clusterDashboard(context: DashboardContext): dashboard.Dashboard {
  const ids = new PanelIds();
  const prometheus = datasourceRef(context.uids, "prometheus");
  const prom = (expr: string, legend: string, options?: { instant?: boolean; table?: boolean }) => promQuery(context.uids, expr, legend, options);

  /** A share (0–1) of each node's CPU, memory or disk: the first three node panels, side by side. */
  const nodeShare = (title: string, description: string, share: string, legend: string) =>
    panel(ids, { panel: timeSeries("percentunit").max(1), title, description, datasource: prometheus, queries: [prom(share, legend)], size: [8, 8] });

  /** Bytes per second each node moves one way and the other (`counters`: [counter, direction]): disks and network, side by side. */
  const nodeBytes = (title: string, description: string, counters: [string, string][]) =>
    panel(ids, {
      panel: timeSeries("Bps"),
      title,
      description,
      datasource: prometheus,
      queries: counters.map(([counter, direction]) => prom(`sum by (node) (rate(${counter}{${node}}[$__rate_interval]))`, `{{node}} ${direction}`)),
      size: [12, 8],
    });

  /** One container's use against its request or limit: four panels alike, side by side. */
  const containerPanel = (title: string, description: string, ratio: string) =>
    panel(ids, { panel: shareSeries(), title, description, datasource: prometheus, queries: [prom(ratio, "{{pod}} {{container}}")], size: [12, 9] });

  /** Replicas each Deployment or StatefulSet wants against those `state` now: the two tables differ only in their series. */
  const replicasTable = (kind: "Deployment" | "StatefulSet", state: "available" | "ready", desiredSeries: string, currentSeries: string) => {
    const perObject = (series: string) => prom(`sum by (namespace, ${kind.toLowerCase()}) (${series}{${namespace}})`, "", instantTable);
    return panel(ids, {
      panel: new table.PanelBuilder(),
      title: `${kind}s: ${state} vs desired`,
      description: `Replicas each ${kind} wants and how many are ${state} now (kube-state-metrics).`,
      datasource: prometheus,
      queries: [perObject(desiredSeries), perObject(currentSeries)],
      size: [12, 9],
    }).transformations(mergeTables({ "Value #A": "desired", "Value #B": state }));
  };

  const builder = baseDashboard(dashboards.cluster, allDashboards, [...dashboardTags, "kubernetes"], "Nodes, Kubernetes objects and containers: is the cluster healthy, and which workload uses what it asked for?")
    .withVariable(labelValuesVariable("node", "Node", prometheus, "label_values(node_uname_info, node)").current(allOption()))
    .withVariable(labelValuesVariable("namespace", "Namespace", prometheus, "label_values(kube_namespace_status_phase, namespace)").current(option(context.namespaces.app)))
    .withRow(new dashboard.RowBuilder("Nodes").id(ids.take()))
    .withPanel(nodeShare("CPU busy", "Share of each node's CPU time not idle (node-exporter).", `1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle", ${node}}[$__rate_interval]))`, "{{node}}"))
    .withPanel(nodeShare("Memory used", "Share of each node's memory not available to new processes (MemAvailable against MemTotal).", `1 - sum by (node) (node_memory_MemAvailable_bytes{${node}}) / sum by (node) (node_memory_MemTotal_bytes{${node}})`, "{{node}}"))
    .withPanel(nodeShare("Disk space used", "Used share of each node filesystem (container layers and memory filesystems left out).", `1 - max by (node, mountpoint) (node_filesystem_avail_bytes{${node}, ${diskFs}}) / max by (node, mountpoint) (node_filesystem_size_bytes{${node}, ${diskFs}})`, "{{node}} {{mountpoint}}"))
    .withPanel(nodeBytes("Disk I/O", "Bytes read and written per second by each node's block devices.", [["node_disk_read_bytes_total", "read"], ["node_disk_written_bytes_total", "written"]]))
    .withPanel(nodeBytes("Network", "Bytes received and sent per second on each node's own interfaces (loopback and pod veths are not collected).", [["node_network_receive_bytes_total", "received"], ["node_network_transmit_bytes_total", "sent"]]))
    .withRow(new dashboard.RowBuilder("Workloads").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: timeSeries("short").stacking(stacked()).fillOpacity(60).decimals(0),
        title: "Pods by phase",
        description: "Pods in the selected namespaces by phase (kube-state-metrics). Pending or Failed pods that stay are worth a look.",
        datasource: prometheus,
        queries: [prom(`sum by (phase) (kube_pod_status_phase{${namespace}})`, "{{phase}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: new table.PanelBuilder().noValue("No restarts in the time range").sortBy([new common.TableSortByFieldStateBuilder().displayName("restarts").desc(true)]),
        title: "Container restarts in the time range",
        description: "Containers that restarted within the dashboard's time range, most restarts first.",
        datasource: prometheus,
        queries: [prom(`sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${namespace}}[$__range])) > 0`, "", instantTable)],
        size: [16, 8],
      }).withTransformation({ id: "organize", options: { excludeByName: { Time: true }, renameByName: { Value: "restarts" } } }),
    )
    .withPanel(replicasTable("Deployment", "available", "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available"))
    .withPanel(replicasTable("StatefulSet", "ready", "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready"))
    .withPanel(
      panel(ids, {
        panel: problemCount("orange"),
        title: "Deployments short of replicas",
        description: "Deployments with fewer available replicas than desired right now.",
        datasource: prometheus,
        queries: [prom(`count(kube_deployment_status_replicas_available{${namespace}} < kube_deployment_spec_replicas{${namespace}})`, "short", { instant: true })],
        size: [6, 4],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: problemCount("red"),
        title: "Pods not running",
        description: "Pods Pending, Failed or Unknown right now.",
        datasource: prometheus,
        queries: [prom(`sum(kube_pod_status_phase{${namespace}, phase=~"Pending|Failed|Unknown"})`, "not running", { instant: true })],
        size: [6, 4],
      }),
    )
    .withRow(new dashboard.RowBuilder("Containers against their requests and limits").id(ids.take()))
    .withPanel(containerPanel("CPU used / limit", "Each container's CPU use as a share of its limit: near 100 % the kernel throttles it.", containerRatio(cpuUsed, "cpu", "limits")))
    .withPanel(containerPanel("CPU used / request", "Each container's CPU use as a share of its request: far above 100 % the request is too small for scheduling, far below it reserves CPU nobody uses.", containerRatio(cpuUsed, "cpu", "requests")))
    .withPanel(containerPanel("Memory working set / limit", "Each container's working set as a share of its memory limit: at 100 % it is OOM-killed.", containerRatio(memoryUsed, "memory", "limits")))
    .withPanel(containerPanel("Memory working set / request", "Each container's working set as a share of its memory request.", containerRatio(memoryUsed, "memory", "requests")));
  return builder.build();
}
