// The live state of a cluster synced from Git, for the fake Kubernetes API: each Git object as
// the API server stores it (defaults filled in, labels and annotations of Argo CD and
// controllers added, status, quantities written another way, empty lists left out), plus what
// Kubernetes and controllers create in the namespaces by themselves. verify must find no drift
// in any of it.
import type { Json } from "./server";

let uid = 0;

function serverMetadata(object: Json): void {
  const metadata = object.metadata;
  metadata.uid = `00000000-0000-0000-0000-${String(++uid).padStart(12, "0")}`;
  metadata.resourceVersion = String(1000 + uid);
  metadata.creationTimestamp = "2025-01-01T00:00:00Z";
  metadata.generation = 1;
  metadata.managedFields = [{ manager: "argocd-controller", operation: "Apply", apiVersion: object.apiVersion, fieldsType: "FieldsV1", fieldsV1: {} }];
  // Argo CD's tracking, and a label someone else added: keys Git does not set.
  metadata.annotations = { ...metadata.annotations, "argocd.argoproj.io/tracking-id": `app:${object.apiVersion}/${object.kind}:${metadata.namespace ?? ""}/${metadata.name}` };
  metadata.labels = { ...metadata.labels, "team.example.com/owner": "platform" };
}

function podDefaults(spec: Json): void {
  spec.dnsPolicy ??= "ClusterFirst";
  spec.restartPolicy ??= "Always";
  spec.schedulerName ??= "default-scheduler";
  spec.terminationGracePeriodSeconds ??= 30;
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    container.terminationMessagePath ??= "/dev/termination-log";
    container.terminationMessagePolicy ??= "File";
    container.imagePullPolicy ??= "IfNotPresent";
    // The same quantity written another way ("2Gi" is "2048Mi").
    for (const resources of [container.resources?.requests, container.resources?.limits]) {
      if (resources?.memory === "2Gi") resources.memory = "2048Mi";
      if (resources?.cpu === "500m") resources.cpu = "0.5";
    }
  }
}

/** One Git object as the API server would hold it after Argo CD synced it. */
export function liveOf(git: Json): Json {
  const object = structuredClone(git);
  serverMetadata(object);
  const spec = object.spec;
  switch (object.kind) {
    case "Deployment":
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
      object.metadata.annotations["deployment.kubernetes.io/revision"] = "1";
      podDefaults(spec.template.spec);
      object.status = { replicas: spec.replicas ?? 1, readyReplicas: spec.replicas ?? 1, observedGeneration: 1 };
      break;
    case "StatefulSet":
    case "DaemonSet":
      spec.revisionHistoryLimit ??= 10;
      podDefaults(spec.template.spec);
      object.status = { observedGeneration: 1 };
      break;
    case "Job":
      podDefaults(spec.template.spec);
      spec.selector ??= { matchLabels: { "batch.kubernetes.io/controller-uid": object.metadata.uid } };
      spec.template.metadata.labels["batch.kubernetes.io/controller-uid"] = object.metadata.uid;
      object.status = { succeeded: 1 };
      break;
    case "CronJob":
      podDefaults(spec.jobTemplate.spec.template.spec);
      spec.successfulJobsHistoryLimit ??= 3;
      break;
    case "Service":
      if (spec.type !== "ExternalName" && spec.clusterIP === undefined) {
        spec.clusterIP = `10.96.0.${uid % 250}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      spec.sessionAffinity ??= "None";
      for (const port of spec.ports ?? []) port.protocol ??= "TCP";
      break;
    case "NetworkPolicy":
      // ingress: [] has omitempty: the API server leaves it out.
      if (Array.isArray(spec.ingress) && spec.ingress.length === 0) delete spec.ingress;
      break;
    case "Namespace":
      object.metadata.labels["kubernetes.io/metadata.name"] = object.metadata.name;
      object.spec = { finalizers: ["kubernetes"] };
      object.status = { phase: "Active" };
      break;
    case "Application":
      object.status = { sync: { status: "Synced", revision: "0123456789abcdef" }, health: { status: "Healthy" } };
      break;
  }
  return object;
}

const owner = (kind: string, name: string) => [{ apiVersion: kind === "CronJob" ? "batch/v1" : "apps/v1", kind, name, uid: `owner-${name}`, controller: true }];

/**
 * What a namespace holds besides Git's objects without anyone's hand: the default ServiceAccount,
 * kube-root-ca.crt, Events, Endpoints and EndpointSlices, controller-owned ReplicaSets, Pods and
 * Jobs, and the claims of StatefulSets' volumeClaimTemplates.
 */
export function createdByKubernetes(git: readonly Json[], namespaces: readonly string[]): Json[] {
  const objects: Json[] = [];
  const meta = (namespace: string, name: string, extra: Json = {}) => ({ name, namespace, uid: `k8s-${namespace}-${name}`, ...extra });
  for (const namespace of namespaces) {
    objects.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: meta(namespace, "default") });
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: meta(namespace, "kube-root-ca.crt"), data: { "ca.crt": "-----BEGIN CERTIFICATE-----" } });
    objects.push({ apiVersion: "v1", kind: "Event", metadata: meta(namespace, "something.17f0a1b2c3d4e5f6"), reason: "Pulled" });
  }
  for (const object of git) {
    const { namespace, name } = object.metadata;
    if (object.kind === "Service") {
      objects.push({ apiVersion: "v1", kind: "Endpoints", metadata: meta(namespace, name) });
      objects.push({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: meta(namespace, `${name}-abcde`, { ownerReferences: [{ apiVersion: "v1", kind: "Service", name, uid: "x" }] }) });
    }
    if (object.kind === "Deployment") {
      objects.push({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: meta(namespace, `${name}-5d4f8b9c7`, { ownerReferences: owner("Deployment", name) }) });
      objects.push({ apiVersion: "v1", kind: "Pod", metadata: meta(namespace, `${name}-5d4f8b9c7-x2x9q`, { ownerReferences: owner("ReplicaSet", `${name}-5d4f8b9c7`) }) });
    }
    if (object.kind === "StatefulSet") {
      objects.push({ apiVersion: "v1", kind: "Pod", metadata: meta(namespace, `${name}-0`, { ownerReferences: owner("StatefulSet", name) }) });
      for (const template of object.spec.volumeClaimTemplates ?? []) objects.push({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta(namespace, `${template.metadata.name}-${name}-0`) });
    }
    if (object.kind === "CronJob") objects.push({ apiVersion: "batch/v1", kind: "Job", metadata: meta(namespace, `${name}-29000000`, { ownerReferences: owner("CronJob", name) }) });
  }
  return objects;
}
