// Builders shared by the application modules: a hardened Deployment with its ServiceAccount,
// PodDisruptionBudget and HorizontalPodAutoscaler as the environment asks, and ClusterIP Services.
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ITopologySpreadConstraint } from "kubernetes-models/v1/TopologySpreadConstraint";
import { containerResources, minimumReplicas, type ContainerResources, type WorkloadName } from "../../policies/contract";
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
  volumes?: IPodSpec["volumes"];
  terminationGracePeriodSeconds?: number;
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

function topologySpread(name: string): ITopologySpreadConstraint[] {
  const labelSelector = { matchLabels: selectorLabels(name) };
  return [
    // Never two replicas on one node while another node has none; per ReplicaSet so a rollout is not blocked.
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector, matchLabelKeys: ["pod-template-hash"] },
    // Zones where the cluster has them; best effort, single-zone clusters still schedule.
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector, matchLabelKeys: ["pod-template-hash"] },
  ];
}

/** ServiceAccount + Deployment (+ HPA, PDB) for one workload, hardened and sized by the contract. */
export function deployment(context: RenderContext, spec: WorkloadSpec): KubeObject[] {
  const namespace = context.settings.namespaces.app;
  const { name } = spec;
  const autoscaling = context.settings.autoscaling[name];
  const replicas = replicaCount(context, name);
  const { availability } = context.settings;
  const spread = availability.topologySpread && replicas > 1;

  const objects: KubeObject[] = [
    new ServiceAccount({ metadata: { name, namespace }, automountServiceAccountToken: false }),
    new Deployment({
      metadata: { name, namespace },
      spec: {
        // An HPA target carries no replica count: Argo CD would fight the autoscaler.
        ...(autoscaling ? {} : { replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels: selectorLabels(name) },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            ...(spec.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds } : {}),
            ...(spread ? { topologySpreadConstraints: topologySpread(name) } : {}),
            containers: spec.containers.map((container) => ({
              ...container,
              imagePullPolicy: "IfNotPresent",
              securityContext: restrictedContainerSecurity(),
              resources: resourcesOf(name, container.name),
            })),
            ...(spec.volumes ? { volumes: spec.volumes } : {}),
          },
        },
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
  if (availability.podDisruptionBudgets && replicas > 1) {
    objects.push(
      new PodDisruptionBudget({
        metadata: { name, namespace },
        spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(name) } },
      }),
    );
  }
  return objects;
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
