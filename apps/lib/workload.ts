// Builders for the workloads of the contract. A module says what is particular to its program
// (command, env, probes, mounts); the builder takes the rest from the workload's record —
// namespace, image, ports, resources, volume claims, scrape annotations — and hardens the pod:
// Pod Security "restricted", its own ServiceAccount, and the PDB, HPA and spreading the
// environment asks for.
import { createHash } from "node:crypto";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPersistentVolumeClaimSpec } from "kubernetes-models/v1/PersistentVolumeClaimSpec";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { ITopologySpreadConstraint } from "kubernetes-models/v1/TopologySpreadConstraint";
import { bindsOnFirstRunAnnotation, exemptionAnnotation, hostAccessExemptions, protocolPortName, protocolsOf, records, type HostAccess, type WorkloadKind, type WorkloadName } from "../../core/contract/index";
import { imageOf } from "../../core/images";
import { replicaCount } from "../../core/settings/topology";
import { namespaceOf, type KubeObject, type RenderContext } from "./app";

/** Pod-level security context at the Pod Security "restricted" level (uid/gid as upstream). */
function restrictedPodSecurity(): IPodSecurityContext {
  return { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
}

/** Container-level security context at the Pod Security "restricted" level. */
function restrictedContainerSecurity(): ISecurityContext {
  return { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
}

export function selectorLabels(name: string): Record<string, string> {
  return { app: name };
}

/** What a module writes of a container; image, ports, resources and security come from the record. */
export type ContainerSpec = Omit<IContainer, "image" | "ports" | "resources" | "securityContext">;

export interface PodSpec {
  name: WorkloadName;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: IPodSpec["volumes"];
  terminationGracePeriodSeconds?: number;
  /** Pod annotations, e.g. a hash of a mounted configuration so that a change rolls the pods. */
  podAnnotations?: Record<string, string>;
}

function contractError(workload: WorkloadName, message: string): Error {
  return new Error(`core/contract: workload ${workload} ${message}`);
}

/** A container completed from its record: image, named ports, resources, restricted security. */
function container(context: RenderContext, workload: WorkloadName, spec: ContainerSpec, init: boolean): IContainer {
  const record = records[workload].containers[spec.name];
  if (!record) throw contractError(workload, `has no container "${spec.name}"`);
  if ((record.init ?? false) !== init) throw contractError(workload, `says container "${spec.name}" is ${record.init ? "" : "not "}an init container`);
  const ports = (record.ports ?? []).flatMap((name) => {
    const port = records[workload].ports![name]!;
    return protocolsOf(port).map((protocol) => ({ name: protocolPortName(name, protocol), containerPort: port.port, protocol }));
  });
  return {
    ...spec,
    image: imageOf(record.image, context.settings.images),
    imagePullPolicy: "IfNotPresent",
    ...(ports.length > 0 ? { ports } : {}),
    securityContext: restrictedContainerSecurity(),
    resources: { requests: { ...record.resources.requests }, limits: { ...record.resources.limits } },
  };
}

/** prometheus.io annotations for the workload's metrics port, if it has one. */
function scrapeAnnotations(workload: WorkloadName): Record<string, string> | undefined {
  const metrics = Object.values(records[workload].ports ?? {}).filter((port) => port.metrics);
  if (metrics.length > 1) throw contractError(workload, "has more than one metrics port; prometheus.io/port names one");
  return metrics[0] ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(metrics[0].port) } : undefined;
}

/**
 * The pod annotation that rolls a workload when a configuration it reads at start changes (a hash
 * of the mounted texts): no reload endpoint has to be opened.
 */
export function configChecksum(...texts: string[]): Record<string, string> {
  return { "checksum/config": createHash("sha256").update(texts.join("\0")).digest("hex") };
}

/** Workloads that do not call the Kubernetes API get no token: a stolen pod cannot use one. */
function mountsToken(workload: WorkloadName): boolean {
  return records[workload].usesKubernetesApi ?? false;
}

/**
 * Spread replicas: never two on one node while another has none, and across zones where the
 * cluster has them (best effort). Deployments count per ReplicaSet (pod-template-hash) so a
 * rollout is not blocked by the old pods. Tainted nodes (control plane, cordoned during a drain)
 * are not domains the replicas must fill (nodeTaintsPolicy: Honor), or one would stay Pending.
 */
function topologySpread(name: string, perRevisionKey: string | undefined): ITopologySpreadConstraint[] {
  const labelSelector = { matchLabels: selectorLabels(name) };
  const revision = perRevisionKey ? { matchLabelKeys: [perRevisionKey] } : {};
  return [
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", nodeTaintsPolicy: "Honor", labelSelector, ...revision },
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector, ...revision },
  ];
}

interface PodOptions {
  replicas: number;
  /** Label that tells revisions apart (Deployments), so spreading counts per revision. */
  perRevisionKey?: string;
  serviceAccount: boolean;
  /** Pod fields only a few workloads need (restartPolicy for Jobs, host access for node agents). */
  extra?: Partial<IPodSpec>;
}

/** The module builds the record's containers, no fewer and no more, and mounts only the record's claims. */
function checkAgainstRecord(spec: PodSpec): void {
  const record = records[spec.name];
  const built = [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name).sort();
  const recorded = Object.keys(record.containers).sort();
  if (built.join() !== recorded.join()) throw contractError(spec.name, `has containers ${recorded.join(", ")}, but its module builds ${built.join(", ")}`);
  for (const volume of spec.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName;
    if (claim !== undefined && !(claim in (record.volumeClaims ?? {}))) throw contractError(spec.name, `has no volume claim "${claim}"`);
  }
}

/** The builder of one kind builds only workloads whose record has that kind. */
function checkKind(name: WorkloadName, kind: WorkloadKind): void {
  if (records[name].kind !== kind) throw contractError(name, `is a ${records[name].kind}, not a ${kind}`);
}

/** The pod template every workload shares: restricted security, contract containers, spreading. */
function podTemplate(context: RenderContext, spec: PodSpec, options: PodOptions): IPodTemplateSpec {
  const { name } = spec;
  checkAgainstRecord(spec);
  const spread = context.settings.availability.topologySpread && options.replicas > 1;
  const annotations = { ...scrapeAnnotations(name), ...spec.podAnnotations };
  return {
    metadata: { labels: selectorLabels(name), ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: {
      ...options.extra,
      ...(options.serviceAccount ? { serviceAccountName: name } : {}),
      automountServiceAccountToken: mountsToken(name),
      securityContext: restrictedPodSecurity(),
      ...(spec.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds } : {}),
      ...(spread ? { topologySpreadConstraints: topologySpread(name, options.perRevisionKey) } : {}),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => container(context, name, c, true)) } : {}),
      containers: spec.containers.map((c) => container(context, name, c, false)),
      ...(spec.volumes ? { volumes: spec.volumes } : {}),
    },
  };
}

/** The workload's own ServiceAccount; it carries a token only for workloads that use the API. */
export function serviceAccount(context: RenderContext, name: WorkloadName): ServiceAccount {
  return new ServiceAccount({ metadata: { name, namespace: namespaceOf(context, name) }, automountServiceAccountToken: mountsToken(name) });
}

function disruptionBudget(context: RenderContext, name: WorkloadName, replicas: number): KubeObject[] {
  if (!context.settings.availability.podDisruptionBudgets || replicas <= 1) return [];
  return [new PodDisruptionBudget({ metadata: { name, namespace: namespaceOf(context, name) }, spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(name) } } })];
}

/** Annotation on a workload that exempts it from policy rules, one "RULE: reason" line each. */
function exemptions(reasons: Record<string, string> | undefined): { annotations: Record<string, string> } | undefined {
  if (!reasons) return undefined;
  return { annotations: { [exemptionAnnotation]: Object.entries(reasons).map(([rule, reason]) => `${rule}: ${reason}`).join("\n") } };
}

/** ServiceAccount + Deployment (+ HPA, PDB) for one workload. */
export function deployment(context: RenderContext, spec: PodSpec): KubeObject[] {
  const { name } = spec;
  checkKind(name, "Deployment");
  const namespace = namespaceOf(context, name);
  const autoscaling = context.settings.autoscaling[name];
  const replicas = replicaCount(context.settings, name);
  const objects: KubeObject[] = [
    serviceAccount(context, name),
    new Deployment({
      metadata: { name, namespace },
      spec: {
        // An HPA target carries no replica count: Argo CD would fight the autoscaler.
        ...(autoscaling ? {} : { replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        template: podTemplate(context, spec, { replicas, perRevisionKey: "pod-template-hash", serviceAccount: true }),
      },
    }),
  ];
  if (autoscaling) {
    objects.push(
      new HorizontalPodAutoscaler({
        metadata: { name, namespace },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicas: replicas,
          maxReplicas: autoscaling.maxReplicas,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage } } }],
        },
      }),
    );
  }
  return [...objects, ...disruptionBudget(context, name, replicas)];
}

/** A ReadWriteOnce claim of the record's size, on the environment's storage class. */
function claimSpec(context: RenderContext, workload: WorkloadName, claim: string): IPersistentVolumeClaimSpec {
  const size = records[workload].volumeClaims?.[claim];
  if (!size) throw contractError(workload, `has no volume claim "${claim}"`);
  const storageClassName = context.settings.storage.storageClassName;
  return { accessModes: ["ReadWriteOnce"], ...(storageClassName ? { storageClassName } : {}), resources: { requests: { storage: size } } };
}

/**
 * ServiceAccount + StatefulSet (+ PDB): one volume claim template per claim of the record.
 * `podManagementPolicy: "Parallel"` starts and replaces pods without waiting for lower ordinals.
 */
export function statefulSet(context: RenderContext, spec: PodSpec & { serviceName: string; podManagementPolicy?: "Parallel" }): KubeObject[] {
  const { name } = spec;
  checkKind(name, "StatefulSet");
  const replicas = replicaCount(context.settings, name);
  const claims = Object.keys(records[name].volumeClaims ?? {});
  return [
    serviceAccount(context, name),
    new StatefulSet({
      metadata: { name, namespace: namespaceOf(context, name) },
      spec: {
        replicas,
        serviceName: spec.serviceName,
        ...(spec.podManagementPolicy ? { podManagementPolicy: spec.podManagementPolicy } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        template: podTemplate(context, spec, { replicas, serviceAccount: true }),
        ...(claims.length > 0 ? { volumeClaimTemplates: claims.map((claim) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: claim }, spec: claimSpec(context, name, claim) })) } : {}),
      },
    }),
    ...disruptionBudget(context, name, replicas),
  ];
}

/** The policy exemptions a node agent's host access needs, with its record's reasons ("SEC008" → why). */
function hostAccessReasons(access: HostAccess | undefined): Record<string, string> | undefined {
  if (!access) return undefined;
  const reasons: Record<string, string> = {};
  if (access.hostNetwork) reasons[hostAccessExemptions.hostNetwork] = access.hostNetwork;
  if (access.hostPID) reasons[hostAccessExemptions.hostPID] = access.hostPID;
  if (access.hostPaths) reasons[hostAccessExemptions.hostPaths] = access.hostPaths.reason;
  return reasons;
}

/**
 * ServiceAccount + DaemonSet: one pod per node (node agents), tolerating every taint, with the
 * host access its record grants (host network, host PIDs, host paths as volumes the containers
 * mount by name) and the policy exemptions that access needs, each with the record's reason.
 */
export function daemonSet(context: RenderContext, spec: PodSpec): KubeObject[] {
  const { name } = spec;
  checkKind(name, "DaemonSet");
  const access = records[name].hostAccess;
  const hostPaths = Object.entries(access?.hostPaths?.volumes ?? {}).map(([volume, path]) => ({ name: volume, hostPath: { path, type: "Directory" as const } }));
  const extra: Partial<IPodSpec> = {
    tolerations: [{ operator: "Exists" }],
    ...(access?.hostNetwork ? { hostNetwork: true } : {}),
    ...(access?.hostPID ? { hostPID: true } : {}),
  };
  const withHostPaths = hostPaths.length > 0 ? { ...spec, volumes: [...(spec.volumes ?? []), ...hostPaths] } : spec;
  return [
    serviceAccount(context, name),
    new DaemonSet({
      metadata: { name, namespace: namespaceOf(context, name), ...exemptions(hostAccessReasons(access)) },
      spec: {
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: podTemplate(context, withHostPaths, { replicas: 1, serviceAccount: true, extra }),
      },
    }),
  ];
}

/** Standalone claims of a workload that is not a StatefulSet (e.g. a CronJob's backup volume). */
export function persistentVolumeClaims(context: RenderContext, name: WorkloadName): PersistentVolumeClaim[] {
  const kind = records[name].kind;
  // A run-to-completion workload's claim may stay Pending until its first run (WaitForFirstConsumer).
  const firstRun = kind === "CronJob" || kind === "Job" ? { annotations: { [bindsOnFirstRunAnnotation]: `${kind}/${name}` } } : {};
  return Object.keys(records[name].volumeClaims ?? {}).map((claim) => new PersistentVolumeClaim({ metadata: { name: claim, namespace: namespaceOf(context, name), ...firstRun }, spec: claimSpec(context, name, claim) }));
}

export interface RunToCompletion {
  /** Retries before the run counts as failed. */
  backoffLimit: number;
  /** The most a run may take, retries included; then it is stopped and counts as failed. */
  activeDeadlineSeconds: number;
}

/** The Job spec of a run: retries and duration bounded, pods restarted in place on failure. */
function jobSpec(context: RenderContext, spec: PodSpec, run: RunToCompletion) {
  // Runs use the namespace's default account without a token; one that calls the API would need its own account and RBAC.
  if (mountsToken(spec.name)) throw contractError(spec.name, "uses the Kubernetes API, which the CronJob and Job builders do not support yet");
  return {
    backoffLimit: run.backoffLimit,
    activeDeadlineSeconds: run.activeDeadlineSeconds,
    template: podTemplate(context, spec, { replicas: 1, serviceAccount: false, extra: { restartPolicy: "OnFailure" } }),
  };
}

/**
 * A CronJob that never overlaps itself and keeps a short history; a run that cannot start
 * within `startingDeadlineSeconds` of its time is skipped (without one, a controller that missed
 * 100 runs stops scheduling). Runs as the namespace's default account, without a token.
 */
export function cronJob(context: RenderContext, spec: PodSpec & RunToCompletion & { schedule: string; startingDeadlineSeconds: number }): CronJob {
  checkKind(spec.name, "CronJob");
  return new CronJob({
    metadata: { name: spec.name, namespace: namespaceOf(context, spec.name) },
    spec: {
      schedule: spec.schedule,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: spec.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: jobSpec(context, spec, spec) },
    },
  });
}

/** A Job that runs once; with `ttlSecondsAfterFinished`, it is removed that long after it ends. */
export function job(context: RenderContext, spec: PodSpec & RunToCompletion & { ttlSecondsAfterFinished?: number }): Job {
  checkKind(spec.name, "Job");
  return new Job({
    metadata: { name: spec.name, namespace: namespaceOf(context, spec.name) },
    spec: { ...jobSpec(context, spec, spec), ...(spec.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished } : {}) },
  });
}

export function grpcProbe(port: number, timing: Omit<IProbe, "grpc" | "httpGet" | "tcpSocket" | "exec"> = {}): IProbe {
  return { ...timing, grpc: { port } };
}

export function httpProbe(path: string, port: number, timing: Omit<IProbe, "grpc" | "httpGet" | "tcpSocket" | "exec"> = {}): IProbe {
  return { ...timing, httpGet: { path, port } };
}

export function tcpProbe(port: number, timing: Omit<IProbe, "grpc" | "httpGet" | "tcpSocket" | "exec"> = {}): IProbe {
  return { ...timing, tcpSocket: { port } };
}

/** DNS name of a StatefulSet pod behind its headless Service. */
export function podHost(context: RenderContext, workload: WorkloadName, pod: string, headless: string): string {
  return `${pod}.${headless}.${namespaceOf(context, workload)}.svc.cluster.local`;
}

/** Every pod name of a StatefulSet behind its headless Service, in ordinal order. */
export function podHosts(context: RenderContext, workload: WorkloadName, headless: string): string[] {
  return Array.from({ length: replicaCount(context.settings, workload) }, (_, i) => podHost(context, workload, `${workload}-${i}`, headless));
}
