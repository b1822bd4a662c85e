// rendered/<env>/SUMMARY.md: what an environment runs, for reviewers and operators. The render
// writes it beside the manifests (so `--check` finds it stale like any file); Argo CD's directory
// sources read only .yaml, .yml, .json (and .jsonnet), and the policy run only .yaml/.yml/.json,
// so neither sees it. Built from the rendered objects and the contract, in a fixed order: the
// same tree gives the same bytes.
import { appGroups, allowedFlows, kubeletPort, kubernetesApi, kubelet, objectStorage, portOf, protocolsOf, records, type AllowedFlow, type AppGroupName, type WorkloadName } from "../core/contract/index";
import { exposures, type Exposure, type Settings } from "../core/settings/schema";
import { objectStorageOf } from "../core/settings/topology";
import { podSpecOf } from "../core/objects";
import { byCodeUnits } from "../core/sort";
import { formatQuantities, requestedResources } from "./summary";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SummaryInput {
  environment: string;
  settingsFile: string;
  settings: Settings;
  deployed: readonly WorkloadName[];
  /** Each rendered object with the app group whose folder holds it ("argocd" for Argo CD's own). */
  objects: { group: string; object: Json }[];
}

const workloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"]);

const cell = (text: string) => text.replace(/\|/g, "\\|");

function inventory(objects: SummaryInput["objects"]): string[] {
  const groups = [...Object.keys(appGroups), "argocd"];
  const rows = groups.flatMap((group) => {
    const inGroup = objects.filter((entry) => entry.group === group);
    if (inGroup.length === 0) return [];
    const counts = new Map<string, number>();
    for (const { object } of inGroup) counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
    const kinds = [...counts].sort(([a], [b]) => byCodeUnits(a, b)).map(([kind, count]) => `${kind} ${count}`).join(", ");
    const wave = group in appGroups ? ` (wave ${appGroups[group as AppGroupName].wave})` : " (Argo CD's own objects)";
    return [`| ${group}${wave} | ${inGroup.length} | ${kinds} |`];
  });
  return ["| group | objects | kinds |", "|---|---|---|", ...rows];
}

/** "100m/64Mi · 200m/128Mi" (requests · limits) per container. */
function containerResources(podSpec: Json): string {
  return [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]
    .map((container: Json) => {
      const { requests = {}, limits = {} } = container.resources ?? {};
      return `${container.name} ${requests.cpu ?? "–"}/${requests.memory ?? "–"} · ${limits.cpu ?? "–"}/${limits.memory ?? "–"}`;
    })
    .join("<br>");
}

function replicasText(object: Json, objects: Json[]): string {
  if (object.kind === "DaemonSet") return "one per node";
  if (object.kind === "CronJob") return `runs \`${object.spec.schedule}\``;
  if (object.kind === "Job") return "runs once";
  const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.namespace === object.metadata.namespace && o.spec.scaleTargetRef?.name === object.metadata.name);
  return hpa ? `${hpa.spec.minReplicas ?? 1}–${hpa.spec.maxReplicas} (autoscaled)` : String(object.spec.replicas ?? 1);
}

function volumesText(object: Json, podSpec: Json): string {
  const templates = (object.spec.volumeClaimTemplates ?? []).map((claim: Json) => `${claim.metadata.name} ${claim.spec.resources.requests.storage} per replica`);
  const claims = (podSpec.volumes ?? []).filter((volume: Json) => volume.persistentVolumeClaim).map((volume: Json) => `claim ${volume.persistentVolumeClaim.claimName}`);
  return [...templates, ...claims].join("<br>") || "–";
}

/** Where the rendered workload departs from its record: resources, claim sizes. Empty when it matches. */
function contractDifferences(name: WorkloadName, object: Json, podSpec: Json): string[] {
  const record = records[name];
  const differences: string[] = [];
  if (object.kind !== record.kind) differences.push(`kind ${object.kind}, contract ${record.kind}`);
  for (const container of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
    const expected = record.containers[container.name]?.resources;
    if (!expected) {
      differences.push(`container ${container.name} not in the contract`);
      continue;
    }
    for (const side of ["requests", "limits"] as const) {
      for (const resource of ["cpu", "memory"] as const) {
        const rendered = container.resources?.[side]?.[resource];
        if (rendered !== expected[side][resource]) differences.push(`${container.name} ${side}.${resource} ${rendered ?? "unset"}, contract ${expected[side][resource]}`);
      }
    }
  }
  for (const claim of object.spec.volumeClaimTemplates ?? []) {
    const size = record.volumeClaims?.[claim.metadata.name];
    if (claim.spec.resources.requests.storage !== size) differences.push(`${claim.metadata.name} ${claim.spec.resources.requests.storage}, contract ${size ?? "none"}`);
  }
  return differences;
}

function workloadTable(input: SummaryInput): string[] {
  const objects = input.objects.map((entry) => entry.object);
  const rows = input.deployed.flatMap((name) => {
    const object = objects.find((o) => workloadKinds.has(o.kind) && o.metadata.name === name);
    if (!object) return [`| ${name} | ${records[name].kind} | – | not rendered | – | – | ✗ missing |`];
    const podSpec = podSpecOf(object) ?? {};
    const differences = contractDifferences(name, object, podSpec);
    const contract = differences.length === 0 ? "✓" : `✗ ${differences.join("; ")}`;
    return [`| ${name} | ${object.kind} | ${object.metadata.namespace} | ${cell(replicasText(object, objects))} | ${containerResources(podSpec)} | ${volumesText(object, podSpec)} | ${cell(contract)} |`];
  });
  return ["| workload | kind | namespace | replicas | containers: requests · limits (CPU/memory) | volumes | against the contract |", "|---|---|---|---|---|---|---|", ...rows];
}

function exposureText(exposure: Exposure): string {
  switch (exposure.type) {
    case "NodePort":
      return `NodePort ${exposure.nodePort ?? "(assigned by the cluster)"} on every node`;
    case "LoadBalancer":
      return `LoadBalancer${exposure.loadBalancerSourceRanges?.length ? `, from ${exposure.loadBalancerSourceRanges.join(", ")}` : ", from anywhere"}`;
    case "Ingress":
      return `Ingress ${exposure.tlsSecretName ? "https" : "http"}://${exposure.host}${exposure.className ? ` (class ${exposure.className})` : ""}${exposure.tlsSecretName ? `, certificate in Secret ${exposure.tlsSecretName}` : ", no TLS"}`;
    case "HTTPRoute":
      return `HTTPRoute ${exposure.host} on Gateway ${exposure.gateway.namespace}/${exposure.gateway.name}${exposure.gateway.sectionName ? ` (listener ${exposure.gateway.sectionName})` : ""}`;
  }
}

function exposureTable(settings: Settings): string[] {
  const rows = exposures(settings).map(({ path, exposure }) => `| ${path[0] === "frontendExposure" ? "the shop (frontend)" : "Grafana"} | \`${path.join(".")}\` | ${cell(exposureText(exposure))} |`);
  return ["| what | setting | how users reach it |", "|---|---|---|", ...rows];
}

// --- The flow graph ---------------------------------------------------------------------------

const nodeId = (name: string) => `n_${name.replace(/[^A-Za-z0-9]/g, "_")}`;

function edgeLabel(flow: AllowedFlow, settings: Settings): string {
  if (flow.to === kubernetesApi) return String(settings.kubernetesApi?.port ?? "");
  if (flow.to === kubelet) return String(kubeletPort);
  if (flow.to === objectStorage) return String(objectStorageOf(settings)?.port ?? "");
  const port = portOf(flow.to, flow.port);
  const protocols = protocolsOf(port);
  return `${port.servicePort ?? port.port}${protocols.length > 1 || protocols[0] !== "TCP" ? ` ${protocols.join("+")}` : ""}`;
}

/** The contract's allowed flows as a Mermaid flowchart, workloads grouped by namespace. Scrapes are dotted. */
function flowGraph(input: SummaryInput): string[] {
  const { settings, deployed } = input;
  const flows = allowedFlows(deployed).filter((flow) => flow.to !== objectStorage || objectStorageOf(settings) !== undefined);
  const lines = ["```mermaid", "flowchart LR"];
  lines.push(`  ${nodeId("external")}(["users, outside the cluster"])`);
  for (const role of ["app", "monitoring"] as const) {
    const members = deployed.filter((name) => records[name].namespace === role);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${nodeId(`namespace ${role}`)}["namespace ${settings.namespaces[role]}"]`);
    for (const name of members) lines.push(`    ${nodeId(name)}["${name}"]`);
    lines.push("  end");
  }
  const outside = new Map<string, string>([
    [kubernetesApi, "Kubernetes API server"],
    [kubelet, "kubelets, on the nodes"],
    [objectStorage, "object storage"],
  ]);
  for (const [target, label] of outside) if (flows.some((flow) => flow.to === target)) lines.push(`  ${nodeId(target)}[("${label}")]`);
  for (const flow of flows) {
    const scrape = "port" in flow && records[flow.from as WorkloadName]?.scrapesMetrics === true && portOf(flow.to, flow.port).metrics === true && records[flow.from as WorkloadName].calls?.[flow.to] === undefined;
    lines.push(`  ${nodeId(flow.from)} ${scrape ? "-.->" : "-->"}|"${edgeLabel(flow, settings)}"| ${nodeId(flow.to)}`);
  }
  lines.push("```");
  return lines;
}

export function environmentSummary(input: SummaryInput): string {
  const objects = input.objects.map((entry) => entry.object);
  return [
    `# ${input.environment}: what this environment runs`,
    "",
    `Written by \`npm run render\` from \`${input.settingsFile}\` (do not edit; \`npm run render -- --check\` finds it stale like any rendered file). Argo CD's directory sources read only .yaml, .yml and .json files (and .jsonnet), and so does the policy run: this file is for people.`,
    "",
    `${objects.length} objects; ${formatQuantities(requestedResources(objects))} (long-running pods at their replica counts; runs of CronJobs and Jobs are not counted).`,
    "",
    "## Objects by app group",
    "",
    ...inventory(input.objects),
    "",
    "## Workloads",
    "",
    "Replicas, resources and volumes as rendered, checked against the workload's record in the architecture contract (`core/contract/workloads.ts`).",
    "",
    ...workloadTable(input),
    "",
    "## Exposure",
    "",
    ...exposureTable(input.settings),
    "",
    "## Allowed network flows",
    "",
    "Every connection the NetworkPolicies allow, from the contract (the policy run proves the rendered policies allow exactly these). Labels are Service ports; dotted arrows are metrics scrapes. Every workload also reaches the cluster DNS (kube-system/kube-dns, 53 TCP and UDP), not drawn.",
    "",
    ...flowGraph(input),
    "",
  ].join("\n");
}
