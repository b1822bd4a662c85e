// Kubernetes cluster dashboard: the nodes (node-exporter, scraped by the `pods` job, which labels
// each series with its `node`), the objects (kube-state-metrics: pods by phase, restarts,
// Deployments and StatefulSets against their desired replicas) and the containers (cAdvisor
// through the kubelet's `cadvisor` job, against the requests and limits kube-state-metrics reports
// from the pods, which are the contract's).
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { allOption, baseDashboard, datasourceRef, legendList, legendTable, option, panel, PanelIds, promQuery, stacked, type DashboardContext } from "./kit";
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
  const series = (unit: string) => new timeseries.PanelBuilder().unit(unit).legend(legendList()).fillOpacity(10).lineWidth(1).min(0);

  const builder = baseDashboard(dashboards.cluster, allDashboards, [...dashboardTags, "kubernetes"], "Nodes, Kubernetes objects and containers: is the cluster healthy, and which workload uses what it asked for?")
    .withVariable(
      new dashboard.QueryVariableBuilder("node")
        .label("Node")
        .datasource(prometheus)
        .query("label_values(node_uname_info, node)")
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".+")
        .current(allOption()),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder("namespace")
        .label("Namespace")
        .datasource(prometheus)
        .query("label_values(kube_namespace_status_phase, namespace)")
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".+")
        .current(option(context.namespaces.app)),
    )
    .withRow(new dashboard.RowBuilder("Nodes").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: series("percentunit").max(1),
        title: "CPU busy",
        description: "Share of each node's CPU time not idle (node-exporter).",
        datasource: prometheus,
        queries: [prom(`1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle", ${node}}[$__rate_interval]))`, "{{node}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("percentunit").max(1),
        title: "Memory used",
        description: "Share of each node's memory not available to new processes (MemAvailable against MemTotal).",
        datasource: prometheus,
        queries: [prom(`1 - sum by (node) (node_memory_MemAvailable_bytes{${node}}) / sum by (node) (node_memory_MemTotal_bytes{${node}})`, "{{node}}")],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("percentunit").max(1),
        title: "Disk space used",
        description: "Used share of each node filesystem (container layers and memory filesystems left out).",
        datasource: prometheus,
        queries: [
          prom(
            `1 - max by (node, mountpoint) (node_filesystem_avail_bytes{${node}, ${diskFs}}) / max by (node, mountpoint) (node_filesystem_size_bytes{${node}, ${diskFs}})`,
            "{{node}} {{mountpoint}}",
          ),
        ],
        size: [8, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("Bps"),
        title: "Disk I/O",
        description: "Bytes read and written per second by each node's block devices.",
        datasource: prometheus,
        queries: [
          prom(`sum by (node) (rate(node_disk_read_bytes_total{${node}}[$__rate_interval]))`, "{{node}} read"),
          prom(`sum by (node) (rate(node_disk_written_bytes_total{${node}}[$__rate_interval]))`, "{{node}} written"),
        ],
        size: [12, 8],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("Bps"),
        title: "Network",
        description: "Bytes received and sent per second on each node's own interfaces (loopback and pod veths are not collected).",
        datasource: prometheus,
        queries: [
          prom(`sum by (node) (rate(node_network_receive_bytes_total{${node}}[$__rate_interval]))`, "{{node}} received"),
          prom(`sum by (node) (rate(node_network_transmit_bytes_total{${node}}[$__rate_interval]))`, "{{node}} sent"),
        ],
        size: [12, 8],
      }),
    )
    .withRow(new dashboard.RowBuilder("Workloads").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: series("short").stacking(stacked()).fillOpacity(60).decimals(0),
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
        queries: [prom(`sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${namespace}}[$__range])) > 0`, "", { instant: true, table: true })],
        size: [16, 8],
      }).withTransformation({ id: "organize", options: { excludeByName: { Time: true }, renameByName: { Value: "restarts" } } }),
    )
    .withPanel(
      panel(ids, {
        panel: new table.PanelBuilder(),
        title: "Deployments: available vs desired",
        description: "Replicas each Deployment wants and how many are available now (kube-state-metrics).",
        datasource: prometheus,
        queries: [
          prom(`sum by (namespace, deployment) (kube_deployment_spec_replicas{${namespace}})`, "", { instant: true, table: true }),
          prom(`sum by (namespace, deployment) (kube_deployment_status_replicas_available{${namespace}})`, "", { instant: true, table: true }),
        ],
        size: [12, 9],
      })
        .withTransformation({ id: "merge", options: {} })
        .withTransformation({ id: "organize", options: { excludeByName: { Time: true }, renameByName: { "Value #A": "desired", "Value #B": "available" } } }),
    )
    .withPanel(
      panel(ids, {
        panel: new table.PanelBuilder(),
        title: "StatefulSets: ready vs desired",
        description: "Replicas each StatefulSet wants and how many are ready now (kube-state-metrics).",
        datasource: prometheus,
        queries: [
          prom(`sum by (namespace, statefulset) (kube_statefulset_replicas{${namespace}})`, "", { instant: true, table: true }),
          prom(`sum by (namespace, statefulset) (kube_statefulset_status_replicas_ready{${namespace}})`, "", { instant: true, table: true }),
        ],
        size: [12, 9],
      })
        .withTransformation({ id: "merge", options: {} })
        .withTransformation({ id: "organize", options: { excludeByName: { Time: true }, renameByName: { "Value #A": "desired", "Value #B": "ready" } } }),
    )
    .withPanel(
      panel(ids, {
        panel: new stat.PanelBuilder().noValue("0").colorMode(common.BigValueColorMode.Background).thresholds(
          new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
            { value: null, color: "green" },
            { value: 1, color: "orange" },
          ]),
        ),
        title: "Deployments short of replicas",
        description: "Deployments with fewer available replicas than desired right now.",
        datasource: prometheus,
        queries: [prom(`count(kube_deployment_status_replicas_available{${namespace}} < kube_deployment_spec_replicas{${namespace}})`, "short", { instant: true })],
        size: [6, 4],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: new stat.PanelBuilder().noValue("0").colorMode(common.BigValueColorMode.Background).thresholds(
          new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
            { value: null, color: "green" },
            { value: 1, color: "red" },
          ]),
        ),
        title: "Pods not running",
        description: "Pods Pending, Failed or Unknown right now.",
        datasource: prometheus,
        queries: [prom(`sum(kube_pod_status_phase{${namespace}, phase=~"Pending|Failed|Unknown"})`, "not running", { instant: true })],
        size: [6, 4],
      }),
    )
    .withRow(new dashboard.RowBuilder("Containers against their requests and limits").id(ids.take()))
    .withPanel(
      panel(ids, {
        panel: series("percentunit").legend(legendTable(["max", "lastNotNull"])),
        title: "CPU used / limit",
        description: "Each container's CPU use as a share of its limit: near 100 % the kernel throttles it.",
        datasource: prometheus,
        queries: [prom(containerRatio(cpuUsed, "cpu", "limits"), "{{pod}} {{container}}")],
        size: [12, 9],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("percentunit").legend(legendTable(["max", "lastNotNull"])),
        title: "CPU used / request",
        description: "Each container's CPU use as a share of its request: far above 100 % the request is too small for scheduling, far below it reserves CPU nobody uses.",
        datasource: prometheus,
        queries: [prom(containerRatio(cpuUsed, "cpu", "requests"), "{{pod}} {{container}}")],
        size: [12, 9],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("percentunit").legend(legendTable(["max", "lastNotNull"])),
        title: "Memory working set / limit",
        description: "Each container's working set as a share of its memory limit: at 100 % it is OOM-killed.",
        datasource: prometheus,
        queries: [prom(containerRatio(memoryUsed, "memory", "limits"), "{{pod}} {{container}}")],
        size: [12, 9],
      }),
    )
    .withPanel(
      panel(ids, {
        panel: series("percentunit").legend(legendTable(["max", "lastNotNull"])),
        title: "Memory working set / request",
        description: "Each container's working set as a share of its memory request.",
        datasource: prometheus,
        queries: [prom(containerRatio(memoryUsed, "memory", "requests"), "{{pod}} {{container}}")],
        size: [12, 9],
      }),
    );
  return builder.build();
}
