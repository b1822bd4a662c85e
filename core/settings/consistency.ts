// Settings that pass the schema but contradict the architecture contract. Each would render and
// then fail the policy run (or the cluster); refusing them here means one error, at the line
// that causes it, before anything is written.
import { allowedFlows, droppedWatchdogReceiver, minimumReplicas, reachesNodes, records, volumeClaimSizes, workloadNames, type WorkloadName } from "../contract/index";
import { parseBytes, prometheusSizeBytes } from "../quantity";
import { exposures, type Settings } from "./schema";
import { contractMinimum, decidingSetting, multiReplicaWorkloads, replicaCount } from "./topology";

export interface SettingsProblem {
  /** JSON path of the setting to change. */
  path: string[];
  message: string;
}

const list = (names: string[]) => names.join(", ");

/** replicas/autoscaling entries must name running workloads, and never both for one workload. */
function replicaSettings(settings: Settings, deployed: ReadonlySet<WorkloadName>): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  for (const [section, entries] of [["replicas", settings.replicas], ["autoscaling", settings.autoscaling]] as const) {
    for (const workload of Object.keys(entries) as WorkloadName[]) {
      const setting = decidingSetting(workload);
      const kind = records[workload].kind;
      if (!deployed.has(workload)) problems.push({ path: [section, workload], message: `${workload} does not run in this environment (${setting ? `/${setting.join("/")}` : "settings"} leaves it out)` });
      else if (section === "autoscaling" && kind !== "Deployment") problems.push({ path: [section, workload], message: `expected a Deployment: ${workload} is a ${kind}, which is not autoscaled` });
      else if (section === "replicas" && !["Deployment", "StatefulSet"].includes(kind)) problems.push({ path: [section, workload], message: `expected a Deployment or StatefulSet: ${workload} is a ${kind}, which has no replica count` });
    }
  }
  for (const [workload, scaling] of Object.entries(settings.autoscaling) as [WorkloadName, NonNullable<Settings["autoscaling"][string]>][]) {
    if (settings.replicas[workload] !== undefined) {
      problems.push({ path: ["replicas", workload], message: `expected no replica count: autoscaling.${workload} owns it (an HPA target must not set replicas)` });
    }
    const minimum = scaling.minReplicas ?? contractMinimum(settings, workload);
    if (minimum > scaling.maxReplicas) {
      problems.push({ path: ["autoscaling", workload, "maxReplicas"], message: `expected maxReplicas ≥ minReplicas (${minimum}${scaling.minReplicas === undefined ? `, the contract's ${settings.availability.level} minimum` : ""}), got ${scaling.maxReplicas}` });
    }
  }
  return problems;
}

/** The contract's minimum replicas for the level: every such workload runs, with at least that many. */
function availabilityMinimums(settings: Settings, deployed: ReadonlySet<WorkloadName>): SettingsProblem[] {
  const level = settings.availability.level;
  const problems: SettingsProblem[] = [];
  const missingBySetting = new Map<string, WorkloadName[]>();
  for (const workload of workloadNames) {
    const minimum = minimumReplicas(level, workload);
    if (minimum === undefined) continue;
    if (!deployed.has(workload)) {
      const setting = (decidingSetting(workload) ?? []).join("/");
      missingBySetting.set(setting, [...(missingBySetting.get(setting) ?? []), workload]);
      continue;
    }
    const replicas = replicaCount(settings, workload);
    if (replicas >= minimum) continue;
    const path = settings.autoscaling[workload] ? ["autoscaling", workload, "minReplicas"] : ["replicas", workload];
    problems.push({ path, message: `expected at least ${minimum} (the contract's ${level} minimum for ${workload}), got ${replicas}` });
  }
  for (const [setting, workloads] of missingBySetting) {
    const needs = list(workloads.map((w) => `${w} (${minimumReplicas(level, w)} replicas)`));
    problems.push({ path: setting.split("/"), message: `availability level ${level} requires ${needs}, which this setting leaves out` });
  }
  return problems;
}

/** PDBs and spreading are what keep multi-replica workloads available; the policy run demands both. */
function disruptionSettings(settings: Settings, deployed: readonly WorkloadName[]): SettingsProblem[] {
  const multi = multiReplicaWorkloads(settings, deployed);
  if (multi.length === 0) return [];
  const runs = `${list(multi)} run${multi.length === 1 ? "s" : ""} more than one replica`;
  const problems: SettingsProblem[] = [];
  if (!settings.availability.podDisruptionBudgets) problems.push({ path: ["availability", "podDisruptionBudgets"], message: `expected true: ${runs}, and every multi-replica workload needs a PodDisruptionBudget` });
  if (!settings.availability.topologySpread) problems.push({ path: ["availability", "topologySpread"], message: `expected true: ${runs}, and every multi-replica workload must spread across nodes` });
  return problems;
}

/** The PostgreSQL primary must be a pod that exists. */
function postgresPrimary(settings: Settings, deployed: ReadonlySet<WorkloadName>): SettingsProblem[] {
  if (!deployed.has("postgres")) return [];
  const replicas = replicaCount(settings, "postgres");
  const primary = settings.dataTier.postgresPrimary;
  return primary < replicas ? [] : [{ path: ["dataTier", "postgresPrimary"], message: `expected an ordinal below ${replicas} (postgres runs ${replicas} pod${replicas === 1 ? "" : "s"}), got ${primary}` }];
}

/** Production serves the shop over TLS: an Ingress there names its certificate Secret, an HTTPRoute its (HTTPS) listener. */
function productionTls(settings: Settings): SettingsProblem[] {
  const production = settings.availability.level === "production";
  return exposures(settings).flatMap(({ path, exposure }): SettingsProblem[] => {
    if (exposure.type === "Ingress" && !exposure.tlsSecretName) {
      if (exposure.certManager) return [{ path: [...path, "certManager"], message: `missing key "tlsSecretName" beside it: cert-manager writes the certificate for ${exposure.host} into that Secret` }];
      if (production) return [{ path, message: `missing key "tlsSecretName": availability level production serves ${exposure.host} over TLS only` }];
    }
    if (exposure.type === "HTTPRoute" && production && !exposure.gateway.sectionName) {
      return [{ path: [...path, "gateway"], message: `missing key "sectionName": availability level production attaches ${exposure.host} to the Gateway's HTTPS listener only, by name` }];
    }
    return [];
  });
}

/** A tag can be pushed again; what production runs must not change under the same manifest. */
function productionImagePins(settings: Settings): SettingsProblem[] {
  const image = settings.images.orderPersistence;
  return settings.availability.level === "production" && !image.includes("@sha256:") ? [{ path: ["images", "orderPersistence"], message: `expected an image pinned by digest (…@sha256:<64 hex digits>, printed by the order-persistence image workflow): availability level production never runs a movable tag, got ${image}` }] : [];
}

/** Workloads that use the Kubernetes API need to know where it is. */
function kubernetesApi(settings: Settings, deployed: readonly WorkloadName[]): SettingsProblem[] {
  const users = deployed.filter((name) => records[name].usesKubernetesApi);
  return users.length > 0 && !settings.kubernetesApi ? [{ path: [], message: `missing key "kubernetesApi": ${list(users)} use${users.length === 1 ? "s" : ""} the Kubernetes API, and its egress needs the API server's addresses` }] : [];
}

/** Workloads that reach the nodes (kubelet scrapers, clients of a host-network agent) need their addresses. */
function nodeAddresses(settings: Settings, deployed: readonly WorkloadName[]): SettingsProblem[] {
  const users = [...new Set(allowedFlows(deployed).filter(reachesNodes).map((flow) => flow.from))];
  return users.length > 0 && !settings.nodes ? [{ path: [], message: `missing key "nodes": ${list(users)} reach${users.length === 1 ? "es" : ""} the nodes (kubelets, node-exporter on the host network), and its egress needs the nodes' addresses` }] : [];
}

/** Several Lokis must share object storage: each would otherwise see only the logs it wrote. */
function lokiStorage(settings: Settings, deployed: ReadonlySet<WorkloadName>): SettingsProblem[] {
  const replicas = replicaCount(settings, "loki");
  return deployed.has("loki") && replicas > 1 && settings.monitoring.loki.storage.type === "filesystem"
    ? [{ path: ["monitoring", "loki", "storage", "type"], message: `expected s3: ${replicas} Loki replicas share one store, and a filesystem store serves one replica only` }]
    : [];
}

/** Prometheus deletes by size before its volume fills: the size limit leaves room for the WAL and compactions. */
function prometheusRetention(settings: Settings): SettingsProblem[] {
  const size = settings.monitoring.prometheus.retentionSize;
  const volume = parseBytes(volumeClaimSizes["prometheus-storage"]!);
  const limit = Math.floor((0.8 * volume) / 2 ** 30);
  return prometheusSizeBytes(size) > 0.8 * volume ? [{ path: ["monitoring", "prometheus", "retentionSize"], message: `expected at most ${limit}GB (80 % of the ${volumeClaimSizes["prometheus-storage"]} prometheus-storage volume: the WAL and compactions need the rest), got ${size}` }] : [];
}

/** Every receiver a route names exists; none takes the name reserved for the dropped Watchdog. */
function alertRouting(settings: Settings): SettingsProblem[] {
  const routing = settings.monitoring.alertmanager;
  const base = ["monitoring", "alertmanager"];
  const known = Object.keys(routing.receivers);
  const problems: SettingsProblem[] = [];
  const check = (name: string | null, path: string[]) => {
    if (name !== null && !known.includes(name)) problems.push({ path: [...base, ...path], message: `expected one of the receivers (${list(known)}), got "${name}"` });
  };
  check(routing.defaultReceiver, ["defaultReceiver"]);
  routing.routes.forEach((route, index) => check(route.receiver, ["routes", String(index), "receiver"]));
  check(routing.watchdogReceiver, ["watchdogReceiver"]);
  if (known.includes(droppedWatchdogReceiver)) problems.push({ path: [...base, "receivers", droppedWatchdogReceiver], message: `expected another name: "${droppedWatchdogReceiver}" is the receiver that drops the Watchdog when watchdogReceiver is null` });
  return problems;
}

export function contractProblems(settings: Settings, deployedList: readonly WorkloadName[]): SettingsProblem[] {
  const deployed = new Set(deployedList);
  return [
    ...replicaSettings(settings, deployed),
    ...availabilityMinimums(settings, deployed),
    ...disruptionSettings(settings, deployedList),
    ...postgresPrimary(settings, deployed),
    ...kubernetesApi(settings, deployedList),
    ...nodeAddresses(settings, deployedList),
    ...productionTls(settings),
    ...productionImagePins(settings),
    ...prometheusRetention(settings),
    ...lokiStorage(settings, deployed),
    ...alertRouting(settings),
  ];
}
