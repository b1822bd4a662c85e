// Builders shared by the application modules: hardened Deployments and StatefulSets with their
// ServiceAccount, PodDisruptionBudget and HorizontalPodAutoscaler as the environment asks, and
// ClusterIP and headless Services.
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet, type IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ITopologySpreadConstraint } from "kubernetes-models/v1/TopologySpreadConstraint";
import { containerResources, minimumReplicas, volumeClaimSizes, type ContainerResources, type WorkloadName } from "../../policies/contract";
import type { IPersistentVolumeClaimSpec } from "kubernetes-models/v1/PersistentVolumeClaimSpec";
import type { KubeObject, RenderContext } from "./app";

/** Pod-level security context at the Pod Security "restricted" level (uid/gid as upstream). */
export function restrictedPodSecurity(): IPodSecurityContext {
  return { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
}

/** Container-level security context at the Pod Security "restricted" level. */
export function restrictedContainerSecurity(): ISecurityContext {
  return { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
}

export function selectorLabels(name: string): Record<string, string> {
  return { app: name };
}

/** Containers come without resources: they are the contract's, looked up by workload and container name. */
export type ContainerSpec = Omit<IContainer, "resources" | "securityContext">;

export interface WorkloadSpec {
  name: WorkloadName;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: IPodSpec["volumes"];
  terminationGracePeriodSeconds?: number;
  /** e.g. prometheus.io/scrape and prometheus.io/port for a metrics port */
  podAnnotations?: Record<string, string>;
}

export function resourcesOf(workload: WorkloadName, container: string) {
  const table: Record<string, ContainerResources | undefined> = containerResources[workload];
  const resources = table[container];
  if (!resources) throw new Error(`policies/contract.ts has no resources for container "${container}" of workload "${workload}"`);
  return { requests: { ...resources.requests }, limits: { ...resources.limits } };
}

/** The contract's minimum for the environment's availability level, else 1. */
function contractMinimum(context: RenderContext, name: WorkloadName): number {
  return minimumReplicas[context.settings.availability.level][name] ?? 1;
}

/** Replicas the environment runs: settings.replicas, or the HPA minimum for autoscaled workloads; by default the contract's minimum. */
export function replicaCount(context: RenderContext, name: WorkloadName): number {
  const scaling = context.settings.autoscaling[name];
  return (scaling ? scaling.minReplicas : context.settings.replicas[name]) ?? contractMinimum(context, name);
}

/**
 * Spread replicas: never two on one node while another has none, and across zones where the
 * cluster has them (best effort). Deployments count per ReplicaSet (pod-template-hash) so a
 * rollout is not blocked by the old pods.
 */
function topologySpread(name: string, perRevisionKey: string | undefined): ITopologySpreadConstraint[] {
  const labelSelector = { matchLabels: selectorLabels(name) };
  const revision = perRevisionKey ? { matchLabelKeys: [perRevisionKey] } : {};
  return [
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector, ...revision },
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector, ...revision },
  ];
}

function hardened(name: WorkloadName, container: ContainerSpec): IContainer {
  return { ...container, imagePullPolicy: "IfNotPresent", securityContext: restrictedContainerSecurity(), resources: resourcesOf(name, container.name) };
}

/** The pod template every workload shares: restricted security, contract resources, spreading. */
function podTemplate(context: RenderContext, spec: WorkloadSpec, replicas: number, perRevisionKey: string | undefined): IPodTemplateSpec {
  const { name } = spec;
  const spread = context.settings.availability.topologySpread && replicas > 1;
  return {
    metadata: { labels: selectorLabels(name), ...(spec.podAnnotations ? { annotations: spec.podAnnotations } : {}) },
    spec: {
      serviceAccountName: name,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurity(),
      ...(spec.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds } : {}),
      ...(spread ? { topologySpreadConstraints: topologySpread(name, perRevisionKey) } : {}),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => hardened(name, c)) } : {}),
      containers: spec.containers.map((c) => hardened(name, c)),
      ...(spec.volumes ? { volumes: spec.volumes } : {}),
    },
  };
}

function serviceAccount(context: RenderContext, name: string): ServiceAccount {
  return new ServiceAccount({ metadata: { name, namespace: context.settings.namespaces.app }, automountServiceAccountToken: false });
}

function disruptionBudget(context: RenderContext, name: string, replicas: number): KubeObject[] {
  if (!context.settings.availability.podDisruptionBudgets || replicas <= 1) return [];
  return [new PodDisruptionBudget({ metadata: { name, namespace: context.settings.namespaces.app }, spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(name) } } })];
}

/** ServiceAccount + Deployment (+ HPA, PDB) for one workload, hardened and sized by the contract. */
export function deployment(context: RenderContext, spec: WorkloadSpec): KubeObject[] {
  const namespace = context.settings.namespaces.app;
  const { name } = spec;
  const autoscaling = context.settings.autoscaling[name];
  const replicas = replicaCount(context, name);
  const objects: KubeObject[] = [
    serviceAccount(context, name),
    new Deployment({
      metadata: { name, namespace },
      spec: {
        // An HPA target carries no replica count: Argo CD would fight the autoscaler.
        ...(autoscaling ? {} : { replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        template: podTemplate(context, spec, replicas, "pod-template-hash"),
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

export interface StatefulSetSpec extends WorkloadSpec {
  /** The headless Service that gives each pod its DNS name. */
  serviceName: string;
  volumeClaimTemplates?: IStatefulSet["spec"] extends infer S ? (S extends { volumeClaimTemplates?: infer V } ? V : never) : never;
}

/** ServiceAccount + StatefulSet (+ PDB) for one workload, hardened and sized by the contract. */
export function statefulSet(context: RenderContext, spec: StatefulSetSpec): KubeObject[] {
  const { name } = spec;
  const replicas = replicaCount(context, name);
  return [
    serviceAccount(context, name),
    new StatefulSet({
      metadata: { name, namespace: context.settings.namespaces.app },
      spec: {
        replicas,
        serviceName: spec.serviceName,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        template: podTemplate(context, spec, replicas, undefined),
        ...(spec.volumeClaimTemplates ? { volumeClaimTemplates: spec.volumeClaimTemplates } : {}),
      },
    }),
    ...disruptionBudget(context, name, replicas),
  ];
}

/** DNS name of a StatefulSet pod behind its headless Service. */
export function podHost(context: RenderContext, pod: string, headless: string): string {
  return `${pod}.${headless}.${context.settings.namespaces.app}.svc.cluster.local`;
}

/** A ReadWriteOnce claim of the contract's size for `name`, on the environment's storage class. */
export function claimSpec(context: RenderContext, name: string): IPersistentVolumeClaimSpec {
  const size = volumeClaimSizes[name];
  if (!size) throw new Error(`policies/contract.ts has no volumeClaimSizes entry for "${name}"`);
  const storageClassName = context.settings.storage.storageClassName;
  return { accessModes: ["ReadWriteOnce"], ...(storageClassName ? { storageClassName } : {}), resources: { requests: { storage: size } } };
}

/** A headless Service (clusterIP: None): stable per-pod DNS names, resolvable before the pods are ready. */
export function headlessService(context: RenderContext, name: string, workload: string, port: number, portName: string): Service {
  return new Service({
    metadata: { name, namespace: context.settings.namespaces.app },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(workload),
      ports: [{ name: portName, port, targetPort: port, protocol: "TCP" }],
    },
  });
}

/** A ClusterIP Service named like the workload, exposing one gRPC/TCP port. */
export function clusterService(context: RenderContext, name: string, port: number, targetPort: number, portName = "grpc"): Service {
  return new Service({
    metadata: { name, namespace: context.settings.namespaces.app },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(name),
      ports: [{ name: portName, port, targetPort, protocol: "TCP" }],
    },
  });
}

export function grpcProbe(port: number, timing: Omit<IProbe, "grpc" | "httpGet" | "tcpSocket" | "exec"> = {}): IProbe {
  return { ...timing, grpc: { port } };
}

/** Online Boutique image of one service at the environment's release. */
export function boutiqueImage(context: RenderContext, service: string): string {
  return `${context.settings.images.registry}/${service}:${context.settings.images.tag}`;
}
