// The log agent, Grafana Alloy (Promtail, which the overview names, is end of life since
// 2026-03-02; Alloy is its successor). Two workloads with one configuration language:
// - alloy, a DaemonSet: each pod finds the pods of its own node in both namespaces and tails their
//   containers' stdout/stderr through the Kubernetes API (pods/log), labelled namespace, pod,
//   container and app; the frontend's JSON access log gets its level as a label.
// - alloy-events, one replica: Kubernetes events of both namespaces as the stream
//   job="kubernetes-events" (every reader of the events API sees every event, so one reads them).
//
// Why the API and not the node's log files: the files under /var/log/pods belong to root, so
// tailing them needs a root container and hostPath mounts (two exemptions from the restricted
// profile); through the API the agent runs restricted like everything else, and Loki's push is
// the same. The cost is the log traffic passing through the API server, modest at this size.
//
// The configuration is built from typed blocks (below) into Alloy's syntax. There is no Alloy
// binary on these machines: test/alloy.test.ts checks the rendered text; README "Monitoring"
// gives the check with Alloy's own binary (`alloy fmt`).
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { portOf, type WorkloadName } from "../core/contract/index";
import { namespaceOf, workloadApp, type RenderContext } from "./lib/app";
import { recordedAccess } from "./lib/rbac";
import { address, serviceHost } from "./lib/service";
import { configChecksum, daemonSet, deployment, httpProbe, type PodSpec } from "./lib/workload";
import { kubernetesEventsStream, logLabels } from "./grafana/names";

/** An expression written as is (a reference to another component's export, a function call). */
interface Expression {
  expression: string;
}
type AlloyValue = string | number | boolean | Expression | readonly AlloyValue[] | { readonly [key: string]: AlloyValue };

/** One block of Alloy's syntax: `name "label" { attribute = value … nested blocks … }`. */
interface AlloyBlock {
  name: string;
  label?: string;
  attributes?: Readonly<Record<string, AlloyValue>>;
  blocks?: readonly AlloyBlock[];
}

const expression = (text: string): Expression => ({ expression: text });
const isExpression = (value: AlloyValue): value is Expression => typeof value === "object" && !Array.isArray(value) && "expression" in value;

/** A value in Alloy's syntax: strings double-quoted with Go's escapes (JSON's are a subset). */
function valueText(value: AlloyValue): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (isExpression(value)) return value.expression;
  if (Array.isArray(value)) return `[${value.map(valueText).join(", ")}]`;
  const entries = Object.entries(value as Record<string, AlloyValue>);
  return `{ ${entries.map(([key, item]) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key)} = ${valueText(item)}`).join(", ")} }`;
}

function blockText(block: AlloyBlock, indent = ""): string {
  const inner = `${indent}  `;
  const lines = [
    ...Object.entries(block.attributes ?? {}).map(([name, value]) => `${inner}${name} = ${valueText(value)}`),
    ...(block.blocks ?? []).map((nested) => blockText(nested, inner)),
  ];
  return `${indent}${block.name}${block.label ? ` ${JSON.stringify(block.label)}` : ""} {\n${lines.join("\n")}\n${indent}}`;
}

/** A configuration file: its blocks, a blank line between them. */
export function alloyText(blocks: readonly AlloyBlock[], header: string): string {
  return `${header}\n${blocks.map((block) => blockText(block)).join("\n\n")}\n`;
}

const httpPort = portOf("alloy", "http").port;
const configDir = "/etc/alloy";

function lokiWrite(context: RenderContext, client: WorkloadName): AlloyBlock {
  const url = `http://${address(client, "loki", serviceHost(context, "loki"))}/loki/api/v1/push`;
  return { name: "loki.write", label: "loki", blocks: [{ name: "endpoint", attributes: { url } }] };
}

const watchedNamespaces = (context: RenderContext) => [context.settings.namespaces.app, context.settings.namespaces.monitoring];

/** The node agent's configuration: its node's pods, their logs labelled, the frontend's level, to Loki. */
export function containerLogsConfig(context: RenderContext): AlloyBlock[] {
  const label = (source: string, target: string): AlloyBlock => ({ name: "rule", attributes: { source_labels: [source], target_label: target } });
  return [
    {
      name: "discovery.kubernetes",
      label: "pods",
      attributes: { role: "pod" },
      blocks: [
        { name: "namespaces", attributes: { names: watchedNamespaces(context) } },
        // Only the pods of this pod's node: each agent tails its own node's share.
        { name: "selectors", attributes: { role: "pod", field: expression('"spec.nodeName=" + sys.env("NODE_NAME")') } },
      ],
    },
    {
      name: "discovery.relabel",
      label: "pods",
      attributes: { targets: expression("discovery.kubernetes.pods.targets") },
      blocks: [
        label("__meta_kubernetes_namespace", logLabels.namespace),
        label("__meta_kubernetes_pod_name", logLabels.pod),
        label("__meta_kubernetes_pod_container_name", logLabels.container),
        label("__meta_kubernetes_pod_label_app", logLabels.app),
      ],
    },
    { name: "loki.source.kubernetes", label: "pods", attributes: { targets: expression("discovery.relabel.pods.output"), forward_to: [expression("loki.process.pods.receiver")] } },
    {
      name: "loki.process",
      label: "pods",
      attributes: { forward_to: [expression("loki.write.loki.receiver")] },
      blocks: [
        {
          // The frontend logs one JSON object per line; its severity becomes the stream's level.
          name: "stage.match",
          attributes: { selector: `{${logLabels.app}="frontend"}` },
          blocks: [
            { name: "stage.json", attributes: { expressions: { level: "severity" } } },
            { name: "stage.labels", attributes: { values: { level: "" } } },
          ],
        },
      ],
    },
    lokiWrite(context, "alloy"),
  ];
}

/** The events reader's configuration: both namespaces' events, as logfmt lines, to Loki. */
export function eventsConfig(context: RenderContext): AlloyBlock[] {
  return [
    {
      name: "loki.source.kubernetes_events",
      label: "events",
      attributes: { namespaces: watchedNamespaces(context), job_name: kubernetesEventsStream.job, log_format: "logfmt", forward_to: [expression("loki.write.loki.receiver")] },
    },
    lokiWrite(context, "alloy-events"),
  ];
}

/** The container both workloads run: Alloy on its configuration file, restricted, state in an emptyDir. */
function agentPod(name: "alloy" | "alloy-events", configMap: string, extraEnv: PodSpec["containers"][number]["env"] = []): Omit<PodSpec, "podAnnotations"> {
  return {
    name,
    containers: [
      {
        name: "alloy",
        args: ["run", `${configDir}/config.alloy`, `--server.http.listen-addr=0.0.0.0:${httpPort}`, "--storage.path=/var/lib/alloy", "--stability.level=generally-available"],
        ...(extraEnv && extraEnv.length > 0 ? { env: extraEnv } : {}),
        readinessProbe: httpProbe("/-/ready", httpPort, { periodSeconds: 10 }),
        livenessProbe: httpProbe("/-/healthy", httpPort, { periodSeconds: 30, initialDelaySeconds: 10 }),
        volumeMounts: [
          { name: "config", mountPath: configDir, readOnly: true },
          { name: "state", mountPath: "/var/lib/alloy" },
        ],
      },
    ],
    volumes: [
      { name: "config", configMap: { name: configMap } },
      { name: "state", emptyDir: {} },
    ],
  };
}

const header = "// Rendered from apps/alloy.ts. Check it with Alloy's own binary: alloy fmt config.alloy";

export const alloy = workloadApp({
  name: "alloy",
  component: "logs",
  workloads: ["alloy", "alloy-events"],
  render: (context) => {
    const namespace = namespaceOf(context, "alloy");
    const logs = alloyText(containerLogsConfig(context), header);
    const events = alloyText(eventsConfig(context), header);
    const nodeName = [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }];
    return [
      new ConfigMap({ metadata: { name: "alloy-config", namespace }, data: { "config.alloy": logs } }),
      new ConfigMap({ metadata: { name: "alloy-events-config", namespace }, data: { "config.alloy": events } }),
      ...daemonSet(context, { ...agentPod("alloy", "alloy-config", nodeName), podAnnotations: configChecksum(logs) }),
      ...recordedAccess(context, "alloy"),
      ...deployment(context, { ...agentPod("alloy-events", "alloy-events-config"), podAnnotations: configChecksum(events) }),
      ...recordedAccess(context, "alloy-events"),
    ];
  },
});
