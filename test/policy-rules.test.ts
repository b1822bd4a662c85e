// Every policy rule, with a passing case (the committed rendered trees) and a failing case: a
// mutation suite that takes rendered/prod, applies one unsafe change at a time and expects the
// policy run to fail naming the right rule.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { records } from "../core/contract/index";
import { loadManifests } from "../policies/engine/load";
import { runRules, failing } from "../policies/engine/run";
import type { Finding, Json, Manifest, PolicyContext } from "../policies/engine/types";
import { rules } from "../policies/rules/index";
import { loadEnvironment } from "../core/settings/load";
import { environmentsDir, repoRoot } from "./support/repo";

const prodRoot = join(repoRoot, "rendered", "prod");
const base = loadManifests([prodRoot]).manifests;
const prodSettings = loadEnvironment(environmentsDir, "prod", repoRoot).settings;

function contextFor(environment: string, manifests: Manifest[], root = join(repoRoot, "rendered", environment)): PolicyContext {
  return { environment, root, manifests, settings: loadEnvironment(environmentsDir, environment, repoRoot).settings, loadProblems: [] };
}

/** What a run reports after `mutate` changed a copy of rendered/prod: rule ids, and the findings themselves. */
function findingsAfter(mutate: (objects: Objects) => void): { failing: string[]; all: string[]; findings: Finding[] } {
  const manifests = structuredClone(base);
  mutate(new Objects(manifests));
  const findings = runRules({ environment: "prod", root: prodRoot, manifests, settings: prodSettings, loadProblems: [] }, rules);
  return { failing: [...new Set(failing(findings).map((f) => f.rule))], all: [...new Set(findings.map((f) => f.rule))], findings };
}

class Objects {
  constructor(readonly manifests: Manifest[]) {}
  get(kind: string, name: string): Json {
    const found = this.manifests.find((m) => m.object.kind === kind && m.object.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in rendered/prod`);
    return found.object;
  }
  pod(name: string): Json {
    return this.get("Deployment", name).spec.template.spec;
  }
  container(name: string): Json {
    return this.pod(name).containers[0];
  }
  add(object: Json): void {
    this.manifests.push({ file: `rendered/prod/added/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`, object });
  }
  remove(kind: string, name: string): void {
    const index = this.manifests.findIndex((m) => m.object.kind === kind && m.object.metadata.name === name);
    this.manifests.splice(index, 1);
  }
}

const ns = "microservices-demo";
const meta = (name: string) => ({ name, namespace: ns, labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "online-boutique", "app.kubernetes.io/component": "test", "app.kubernetes.io/managed-by": "test" } });

function statefulSet(claim: string, size: string, serviceName = "postgres"): Json {
  const deployment = structuredClone(base.find((m) => m.object.kind === "Deployment" && m.object.metadata.name === "cartservice")!.object);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta("postgres"),
    spec: {
      serviceName,
      replicas: 1,
      selector: { matchLabels: { app: "postgres" } },
      template: { ...deployment.spec.template, metadata: { labels: { app: "postgres" } } },
      volumeClaimTemplates: [{ metadata: { name: claim }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "standard-rwo", resources: { requests: { storage: size } } } }],
    },
  };
}

function role(kind: "Role" | "ClusterRole", rule: Json): Json {
  return { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: kind === "Role" ? meta("reader") : { ...meta("reader"), namespace: undefined }, rules: [rule] };
}

/** One unsafe change per entry, and the rule that must catch it. */
/** An HTTPRoute in the shop's namespace, attached to a Gateway's listener `sectionName` (none: every listener). */
function httpRoute(backend: { name: string; port: number }, sectionName: string | undefined): Json {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: `to-${backend.name}`, namespace: ns },
    spec: { parentRefs: [{ name: "shared", namespace: "gateways", ...(sectionName ? { sectionName } : {}) }], hostnames: ["shop.example.com"], rules: [{ backendRefs: [backend] }] },
  };
}

const mutations: { rule: string; change: string; mutate: (o: Objects) => void; severity?: "warning" }[] = [
  { rule: "SCH002", change: "a typo'd field (replica) in a Deployment", mutate: (o) => (o.get("Deployment", "cartservice").spec.replica = 3) },
  { rule: "RES001", change: "remove a memory request", mutate: (o) => delete o.container("cartservice").resources.requests.memory },
  { rule: "RES002", change: "remove a CPU limit", mutate: (o) => delete o.container("cartservice").resources.limits.cpu },
  { rule: "RES003", change: "request more memory than the limit", mutate: (o) => (o.container("frontend").resources.requests.memory = "1Gi") },
  { rule: "RES004", change: "raise a CPU limit above the contract", mutate: (o) => (o.container("checkoutservice").resources.limits.cpu = "500m") },
  { rule: "PRB001", change: "remove a readiness probe", mutate: (o) => delete o.container("adservice").readinessProbe },
  { rule: "PRB002", change: "remove a liveness probe", mutate: (o) => delete o.container("adservice").livenessProbe },
  { rule: "PRB003", change: "probe a port the container does not have", mutate: (o) => (o.container("currencyservice").readinessProbe.grpc.port = 9999) },
  { rule: "SEC001", change: "run as root", mutate: (o) => Object.assign(o.pod("paymentservice").securityContext, { runAsNonRoot: false, runAsUser: 0 }) },
  { rule: "SEC002", change: "allow privilege escalation", mutate: (o) => (o.container("paymentservice").securityContext.allowPrivilegeEscalation = true) },
  { rule: "SEC003", change: "keep all capabilities", mutate: (o) => (o.container("paymentservice").securityContext.capabilities.drop = []) },
  { rule: "SEC004", change: "add NET_ADMIN", mutate: (o) => (o.container("paymentservice").securityContext.capabilities.add = ["NET_ADMIN"]) },
  { rule: "SEC005", change: "run unconfined by seccomp", mutate: (o) => (o.pod("paymentservice").securityContext.seccompProfile = { type: "Unconfined" }) },
  { rule: "SEC006", change: "make the root filesystem writable", mutate: (o) => (o.container("paymentservice").securityContext.readOnlyRootFilesystem = false) },
  { rule: "SEC007", change: "run privileged", mutate: (o) => (o.container("paymentservice").securityContext.privileged = true) },
  { rule: "SEC008", change: "use the host network", mutate: (o) => (o.pod("paymentservice").hostNetwork = true) },
  { rule: "SEC009", change: "use the host PID namespace", mutate: (o) => (o.pod("paymentservice").hostPID = true) },
  { rule: "SEC010", change: "use the host IPC namespace", mutate: (o) => (o.pod("paymentservice").hostIPC = true) },
  { rule: "SEC011", change: "bind a host port", mutate: (o) => (o.container("paymentservice").ports[0].hostPort = 50051) },
  { rule: "SEC012", change: "mount a host path", mutate: (o) => o.pod("paymentservice").volumes = [{ name: "host", hostPath: { path: "/var/run" } }] },
  { rule: "SEC013", change: "mount the API token in a workload that does not use the API", mutate: (o) => (o.pod("paymentservice").automountServiceAccountToken = true) },
  { rule: "SEC014", change: "relax Pod Security to baseline", mutate: (o) => (o.get("Namespace", ns).metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline") },
  { rule: "SEC014", change: "the monitoring namespace enforcing restricted (node agents would be refused)", mutate: (o) => (o.get("Namespace", "monitoring").metadata.labels["pod-security.kubernetes.io/enforce"] = "restricted") },
  { rule: "SEC014", change: "stop auditing at restricted", mutate: (o) => (o.get("Namespace", "monitoring").metadata.labels["pod-security.kubernetes.io/audit"] = "privileged") },
  { rule: "IMG003", change: "swap a service's image for another from the same registry", mutate: (o) => (o.container("emailservice").image = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/paymentservice:v0.10.6") },
  { rule: "IMG003", change: "swap a pinned third-party image", mutate: (o) => (o.get("StatefulSet", "redis").spec.template.spec.containers[0].image = "postgres:18.1-bookworm") },
  { rule: "AVL009", change: "hard spreading that counts tainted nodes", mutate: (o) => delete o.pod("cartservice").topologySpreadConstraints[0].nodeTaintsPolicy },
  { rule: "STO003", change: "a claim template without apiVersion and kind", mutate: (o) => { const template = o.get("StatefulSet", "postgres").spec.volumeClaimTemplates[0]; delete template.apiVersion; delete template.kind; } },
  { rule: "STO004", change: "the backup claim without its first-run mark (the data wave would wait for the first backup)", mutate: (o) => delete o.get("PersistentVolumeClaim", "postgres-backups").metadata.annotations },
  {
    rule: "STO004",
    change: "a first-run mark on a claim a Deployment mounts (a real Pending would look Healthy)",
    mutate: (o) => {
      o.get("PersistentVolumeClaim", "postgres-backups").metadata.name = "adservice-cache";
      o.pod("adservice").volumes = [...(o.pod("adservice").volumes ?? []), { name: "cache", persistentVolumeClaim: { claimName: "adservice-cache" } }];
    },
  },
  { rule: "NET006", change: "a production HTTPRoute on every listener of its Gateway (plain HTTP too)", mutate: (o) => o.add(httpRoute({ name: "frontend", port: 80 }, undefined)) },
  { rule: "NET005", change: "an HTTPRoute to the database", mutate: (o) => o.add(httpRoute({ name: "postgres", port: 5432 }, "https")) },
  { rule: "AVL007", change: "recreate a multi-replica Deployment", mutate: (o) => (o.get("Deployment", "cartservice").spec.strategy = { type: "Recreate" }) },
  { rule: "AVL008", change: "kill the database without a grace period", mutate: (o) => (o.get("StatefulSet", "postgres").spec.template.spec.terminationGracePeriodSeconds = 0) },
  { rule: "ARG002", change: "turn off pruning of an Application", mutate: (o) => (o.get("Application", "prod-data").spec.syncPolicy.automated.prune = false) },
  { rule: "ARG002", change: "turn off self-heal of an Application", mutate: (o) => (o.get("Application", "prod-platform").spec.syncPolicy.automated.selfHeal = false) },
  { rule: "ARG003", change: "a deletion finalizer on the root app", mutate: (o) => (o.get("Application", "prod-root").metadata.finalizers = ["resources-finalizer.argocd.argoproj.io"]) },
  { rule: "ARG004", change: "a Namespace Argo CD may prune", mutate: (o) => delete o.get("Namespace", ns).metadata.annotations["argocd.argoproj.io/sync-options"] },
  { rule: "NET003", change: "a DNS egress rule without its port list", mutate: (o) => delete o.get("NetworkPolicy", "adservice").spec.egress[0].ports },
  { rule: "NET003", change: "a DNS egress rule open to every namespace", mutate: (o) => (o.get("NetworkPolicy", "adservice").spec.egress[0].to[0].namespaceSelector = {}) },
  { rule: "REF014", change: "REDIS_ADDR at a port the sentinels do not serve", mutate: (o) => (o.container("cartservice").env.find((e: Json) => e.name === "REDIS_ADDR").value = "redis-sentinel:26380,serviceName=mymaster,password=$(REDIS_PASSWORD)") },
  { rule: "REF014", change: "a *_SERVICE_ADDR at a Service that does not exist", mutate: (o) => (o.container("frontend").env.find((e: Json) => e.name === "CART_SERVICE_ADDR").value = "carts:7070") },
  { rule: "REF014", change: "PGHOST/PGPORT at a port PostgreSQL's Service does not have", mutate: (o) => (o.get("StatefulSet", "order-persistence").spec.template.spec.containers[0].env.find((e: Json) => e.name === "PGPORT").value = "5433") },
  { rule: "REF014", change: "an exporter's localhost address at a port nobody in the pod listens on", mutate: (o) => (o.get("StatefulSet", "redis").spec.template.spec.containers[1].env.find((e: Json) => e.name === "REDIS_ADDR").value = "redis://localhost:6380") },
  { rule: "NET006", change: "serve the production Ingress without TLS", mutate: (o) => delete o.get("Ingress", "frontend").spec.tls },
  { rule: "NET005", change: "expose the database through a LoadBalancer", mutate: (o) => (o.get("Service", "postgres").spec.type = "LoadBalancer") },
  { rule: "NET005", change: "route the Ingress to the database", mutate: (o) => (o.get("Ingress", "frontend").spec.rules[0].http.paths[0].backend.service = { name: "postgres", port: { number: 5432 } }) },
  { rule: "DAT001", change: "lower the Sentinel quorum", mutate: (o) => (o.get("StatefulSet", "redis-sentinel").spec.template.spec.initContainers[0].env.find((e: Json) => e.name === "QUORUM").value = "1") },
  { rule: "DAT002", change: "drop the cap on WAL kept for a replica's slot", mutate: (o) => (o.get("StatefulSet", "postgres").spec.template.spec.containers[0].args = ["-c", "hot_standby_feedback=on"]) },
  { rule: "IMG001", change: "use latest", mutate: (o) => (o.container("emailservice").image = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/emailservice:latest") },
  { rule: "IMG002", change: "pull from an unknown registry", mutate: (o) => (o.container("emailservice").image = "registry.example.com/emailservice:v0.10.6") },
  { rule: "AVL001", change: "drop checkout to one replica", mutate: (o) => (o.get("Deployment", "checkoutservice").spec.replicas = 1) },
  { rule: "AVL002", change: "delete cart's PodDisruptionBudget", mutate: (o) => o.remove("PodDisruptionBudget", "cartservice") },
  { rule: "AVL003", change: "a PDB that allows no eviction", mutate: (o) => (o.get("PodDisruptionBudget", "cartservice").spec.maxUnavailable = 0) },
  { rule: "AVL004", change: "remove topology spreading", mutate: (o) => delete o.pod("cartservice").topologySpreadConstraints },
  { rule: "AVL005", change: "pin replicas on the HPA target", mutate: (o) => (o.get("Deployment", "frontend").spec.replicas = 3) },
  { rule: "AVL006", change: "aim the HPA at a missing Deployment", mutate: (o) => (o.get("HorizontalPodAutoscaler", "frontend").spec.scaleTargetRef.name = "frontend-v2") },
  { rule: "STO001", change: "shrink the Postgres volume", mutate: (o) => (o.add(statefulSet("postgres-pvc", "1Gi")), o.add({ apiVersion: "v1", kind: "Service", metadata: meta("postgres"), spec: { clusterIP: "None", selector: { app: "postgres" }, ports: [{ port: 7070 }] } })) },
  { rule: "STO002", change: "use another storage class", mutate: (o) => (o.get("PersistentVolumeClaim", "postgres-backups").spec.storageClassName = "fast") },
  { rule: "STO002", change: "use another storage class in a volume claim template", mutate: (o) => (o.get("StatefulSet", "postgres").spec.volumeClaimTemplates[0].spec.storageClassName = "fast") },
  { rule: "REF001", change: "break a Service selector", mutate: (o) => (o.get("Service", "shippingservice").spec.selector = { app: "shipping" }) },
  { rule: "REF002", change: "aim a Service at a port nobody listens on", mutate: (o) => (o.get("Service", "shippingservice").spec.ports[0].targetPort = 1234) },
  { rule: "REF003", change: "a NetworkPolicy selecting nothing", mutate: (o) => (o.get("NetworkPolicy", "adservice").spec.podSelector = { matchLabels: { app: "ads" } }) },
  { rule: "REF004", change: "a PDB selecting nothing", mutate: (o) => (o.get("PodDisruptionBudget", "cartservice").spec.selector = { matchLabels: { app: "carts" } }) },
  { rule: "REF005", change: "read a ConfigMap that does not exist", mutate: (o) => o.container("adservice").env.push({ name: "X", valueFrom: { configMapKeyRef: { name: "ghost", key: "x" } } }) },
  { rule: "REF005", change: "read a key a ConfigMap does not have", mutate: (o) => (o.add({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("flags"), data: { a: "1" } }), o.container("adservice").env.push({ name: "X", valueFrom: { configMapKeyRef: { name: "flags", key: "b" } } })) },
  { rule: "REF006", change: "read an undeclared Secret", mutate: (o) => o.container("adservice").env.push({ name: "X", valueFrom: { secretKeyRef: { name: "ghost", key: "x" } } }) },
  { rule: "REF007", change: "use a ServiceAccount that does not exist", mutate: (o) => (o.pod("adservice").serviceAccountName = "ghost") },
  { rule: "REF008", change: "a StatefulSet without its headless Service", mutate: (o) => o.add(statefulSet("postgres-pvc", "5Gi", "ghost")) },
  { rule: "REF009", change: "an Ingress backend that does not exist", mutate: (o) => (o.get("Ingress", "frontend").spec.rules[0].http.paths[0].backend.service.name = "ghost") },
  { rule: "REF010", change: "point an Application at a missing path", mutate: (o) => (o.get("Application", "prod-data").spec.source.path = "rendered/prod/ghost") },
  { rule: "REF011", change: "deploy outside the AppProject", mutate: (o) => (o.get("Application", "prod-data").spec.destination.namespace = "kube-system") },
  { rule: "REF012", change: "define an object twice", mutate: (o) => o.add(structuredClone(o.get("Service", "cartservice"))) },
  { rule: "REF013", change: "a selector that misses the pod template", mutate: (o) => (o.get("Deployment", "adservice").spec.selector.matchLabels = { app: "ads" }) },
  { rule: "ARG001", change: "let the AppProject sync any cluster-scoped kind", mutate: (o) => o.get("AppProject", "prod").spec.clusterResourceWhitelist.push({ group: "*", kind: "*" }) },
  { rule: "SCR001", change: "add a plaintext Secret", mutate: (o) => o.add({ apiVersion: "v1", kind: "Secret", metadata: meta("db"), stringData: { password: "hunter2" } }) },
  { rule: "SCR002", change: "a password in an env value", mutate: (o) => o.container("cartservice").env.push({ name: "REDIS_PASSWORD", value: "hunter2" }) },
  { rule: "SCR003", change: "a cloud key in a ConfigMap", mutate: (o) => o.add({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("settings"), data: { aws: "AKIAABCDEFGHIJKLMNOP" } }) },
  { rule: "RBAC001", change: "a wildcard Role", mutate: (o) => o.add(role("Role", { apiGroups: [""], resources: ["*"], verbs: ["get"] })) },
  { rule: "RBAC002", change: "bind cluster-admin", mutate: (o) => o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { ...meta("root"), namespace: undefined }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ kind: "ServiceAccount", name: "frontend", namespace: ns }] }) },
  { rule: "RBAC003", change: "let a workload read Secrets", mutate: (o) => (o.add(role("Role", { apiGroups: [""], resources: ["secrets"], verbs: ["get"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] })) },
  { rule: "RBAC005", change: "kube-state-metrics may also read Secrets", mutate: (o) => o.get("ClusterRole", "monitoring-kube-state-metrics").rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] }) },
  { rule: "RBAC005", change: "Prometheus may also delete pods", mutate: (o) => o.get("Role", "prometheus").rules[0].verbs.push("delete") },
  { rule: "RBAC005", change: "kube-state-metrics may get what it should only list", mutate: (o) => o.get("ClusterRole", "monitoring-kube-state-metrics").rules[1].verbs.push("get") },
  { rule: "RBAC005", change: "Prometheus bound cluster-wide to its role's rules", mutate: (o) => (o.add(role("ClusterRole", { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { ...meta("reader"), namespace: undefined }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: "monitoring" }] })) },
  { rule: "RBAC005", change: "a role for a workload whose record grants no API access", mutate: (o) => (o.add(role("Role", { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] })) },
  { rule: "RBAC005", change: "Prometheus may also proxy to the kubelets (nodes/proxy reaches every pod's exec)", mutate: (o) => o.get("ClusterRole", "monitoring-prometheus").rules.push({ apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] }) },
  { rule: "RBAC005", change: "Prometheus may read the API server's debug endpoints too", mutate: (o) => o.get("ClusterRole", "monitoring-prometheus").rules[2].nonResourceURLs.push("/debug/pprof") },
  { rule: "RBAC005", change: "Prometheus may list pods cluster-wide", mutate: (o) => o.get("ClusterRole", "monitoring-prometheus").rules.push({ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }) },
  { rule: "RBAC005", change: "kube-state-metrics bound in a namespace, where its record grants nothing", mutate: (o) => (o.add(role("Role", { apiGroups: [""], resources: ["pods"], verbs: ["list"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "kube-state-metrics", namespace: "monitoring" }] })) },
  { rule: "RBAC001", change: "a wildcard non-resource URL", mutate: (o) => o.add(role("ClusterRole", { nonResourceURLs: ["/*"], verbs: ["get"] })) },
  { rule: "SEC010", change: "the node agent shares the host's IPC namespace, which its record does not grant", mutate: (o) => (o.get("DaemonSet", "node-exporter").spec.template.spec.hostIPC = true) },
  { rule: "SEC012", change: "the node agent mounts the container runtime's socket, beyond its record's host paths", mutate: (o) => o.get("DaemonSet", "node-exporter").spec.template.spec.volumes.push({ name: "runtime", hostPath: { path: "/run/containerd/containerd.sock" } }) },
  { rule: "SEC012", change: "the node agent mounts the node's root filesystem writable", mutate: (o) => delete o.get("DaemonSet", "node-exporter").spec.template.spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === "host-root").readOnly },
  { rule: "NET002", change: "node-exporter off the host network (Prometheus reaches node addresses, not its pods)", mutate: (o) => delete o.get("DaemonSet", "node-exporter").spec.template.spec.hostNetwork },
  { rule: "NET003", change: "Prometheus reaches the nodes on every port", mutate: (o) => o.get("NetworkPolicy", "prometheus").spec.egress.find((rule: { ports?: { port: number }[] }) => rule.ports?.[0]?.port === 10250).ports = undefined },
  { rule: "NET003", change: "the frontend reaches the kubelets", mutate: (o) => o.get("NetworkPolicy", "frontend").spec.egress.push({ to: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ port: 10250, protocol: "TCP" }] }) },
  { rule: "SCR002", change: "Grafana's admin password file named outside its Secret's mount", mutate: (o) => (o.get("StatefulSet", "grafana").spec.template.spec.containers[0].env.find((e: Json) => e.name === "GF_SECURITY_ADMIN_PASSWORD__FILE").value = "/etc/grafana/admin-password") },
  { rule: "SCR002", change: "a *_FILE path that climbs out of the Secret's mount", mutate: (o) => (o.get("StatefulSet", "grafana").spec.template.spec.containers[0].env.find((e: Json) => e.name === "GF_SECURITY_ADMIN_PASSWORD__FILE").value = "/etc/grafana/secrets/../grafana.ini") },
  { rule: "ARG005", change: "all four dashboards in one ConfigMap, grown past the annotation limit", mutate: (o) => o.add({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("dashboards"), data: { "all.json": "x".repeat(300 * 1024) } }) },
  { rule: "RBAC004", change: "grant escalate", mutate: (o) => o.add(role("ClusterRole", { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate"] })) },
  { rule: "NET001", change: "delete the default deny", mutate: (o) => o.remove("NetworkPolicy", "default-deny") },
  { rule: "NET002", change: "block cart → redis", mutate: (o) => (o.get("NetworkPolicy", "redis").spec.ingress = []) },
  { rule: "NET003", change: "widen redis ingress to any source", mutate: (o) => delete o.get("NetworkPolicy", "redis").spec.ingress[0].from },
  { rule: "NET003", change: "an ipBlock that admits outside clients to redis", mutate: (o) => o.get("NetworkPolicy", "redis").spec.ingress.push({ from: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ port: 6379, protocol: "TCP" }] }) },
  { rule: "NET003", change: "egress to the internet except the probe address", mutate: (o) => o.get("NetworkPolicy", "frontend").spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["203.0.113.0/24"] } }] }) },
  { rule: "REF010", change: "point an Application outside its environment", mutate: (o) => (o.get("Application", "prod-data").spec.source.path = "rendered/dev/data") },
  { rule: "RBAC002", change: "bind a built-in system role", mutate: (o) => o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("node"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:node" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] }) },
  { rule: "NET004", change: "delete adservice's NetworkPolicy", mutate: (o) => o.remove("NetworkPolicy", "adservice") },
  // Variants of rules above, one per way the unsafe state can be written (a mutation audit found each one passing).
  { rule: "SEC003", change: "drop NET_RAW only, not ALL", mutate: (o) => (o.container("paymentservice").securityContext.capabilities.drop = ["NET_RAW"]) },
  { rule: "SEC001", change: "a container that may run as root under a pod that may not", mutate: (o) => (o.container("paymentservice").securityContext.runAsNonRoot = false) },
  { rule: "SEC002", change: "privilege escalation in an init container", mutate: (o) => (o.get("StatefulSet", "redis").spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation = true) },
  { rule: "SEC007", change: "a privileged init container", mutate: (o) => (o.get("StatefulSet", "postgres").spec.template.spec.initContainers[0].securityContext.privileged = true) },
  { rule: "RES001", change: "an init container without a memory request", mutate: (o) => delete o.get("StatefulSet", "redis").spec.template.spec.initContainers[0].resources.requests.memory },
  { rule: "IMG001", change: "an image without any tag", mutate: (o) => (o.get("StatefulSet", "redis").spec.template.spec.containers[0].image = "redis") },
  { rule: "IMG001", change: "an init container on latest", mutate: (o) => (o.get("StatefulSet", "redis").spec.template.spec.initContainers[0].image = "redis:latest") },
  { rule: "RBAC003", change: "let a workload list Secrets", mutate: (o) => (o.add(role("Role", { apiGroups: [""], resources: ["secrets"], verbs: ["list"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] })) },
  { rule: "RBAC003", change: "let a workload watch Secrets", mutate: (o) => (o.add(role("Role", { apiGroups: [""], resources: ["secrets"], verbs: ["watch"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] })) },
  { rule: "NET001", change: "a default deny that allows every egress", mutate: (o) => (o.get("NetworkPolicy", "default-deny").spec.egress = [{}]) },
  { rule: "NET001", change: "a default deny that allows every ingress", mutate: (o) => (o.get("NetworkPolicy", "default-deny").spec.ingress = [{}]) },
  { rule: "SCR001", change: "a Secret with base64 data", mutate: (o) => o.add({ apiVersion: "v1", kind: "Secret", metadata: meta("db"), data: { password: "aHVudGVyMg==" } }) },
  { rule: "ARG001", change: "let the AppProject sync every kind of one group", mutate: (o) => o.get("AppProject", "prod").spec.clusterResourceWhitelist.push({ group: "rbac.authorization.k8s.io", kind: "*" }) },
  { rule: "ARG001", change: "let the AppProject sync one kind of every group", mutate: (o) => o.get("AppProject", "prod").spec.clusterResourceWhitelist.push({ group: "*", kind: "ClusterRole" }) },
  { rule: "ARG001", change: "let the AppProject sync a cluster-scoped kind the tree does not render", mutate: (o) => o.get("AppProject", "prod").spec.clusterResourceWhitelist.push({ group: "storage.k8s.io", kind: "StorageClass" }) },
  { rule: "ARG001", change: "an AppProject that does not allow the Namespaces the tree renders", mutate: (o) => (o.get("AppProject", "prod").spec.clusterResourceWhitelist = []) },
  { rule: "ARG001", change: "let the bootstrap project sync a cluster-scoped kind", mutate: (o) => (o.get("AppProject", "prod-bootstrap").spec.clusterResourceWhitelist = [{ group: "", kind: "Namespace" }]) },
  { rule: "ARG002", change: "turn off both pruning and self-heal", mutate: (o) => (o.get("Application", "prod-data").spec.syncPolicy.automated = {}) },
  { rule: "ARG003", change: "a background-deletion finalizer on the root app", mutate: (o) => (o.get("Application", "prod-root").metadata.finalizers = ["resources-finalizer.argocd.argoproj.io/background"]) },
  { rule: "RBAC001", change: "a Role for every verb", mutate: (o) => o.add(role("Role", { apiGroups: [""], resources: ["pods"], verbs: ["*"] })) },
  { rule: "RBAC001", change: "a Role for every API group", mutate: (o) => o.add(role("Role", { apiGroups: ["*"], resources: ["pods"], verbs: ["get"] })) },
  { rule: "RBAC002", change: "bind a Role defined only in another namespace", mutate: (o) => (o.add({ ...role("Role", { apiGroups: [""], resources: ["pods"], verbs: ["get"] }), metadata: { ...meta("reader"), namespace: "monitoring" } }), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] })) },
  { rule: "RBAC003", change: "a ClusterRole reading Secrets, bound in one namespace", mutate: (o) => (o.add(role("ClusterRole", { apiGroups: [""], resources: ["secrets"], verbs: ["get"] })), o.add({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("reader"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "cartservice", namespace: "monitoring" }, { kind: "User", name: "someone" }] })) },
  { rule: "RBAC003", change: "a Role reading every resource (Secrets among them)", mutate: (o) => o.add(role("Role", { apiGroups: [""], resources: ["*"], verbs: ["get"] })) },
  { rule: "RBAC003", change: "a Role with every verb on Secrets", mutate: (o) => o.add(role("Role", { apiGroups: ["*"], resources: ["secrets"], verbs: ["*"] })) },
  { rule: "RBAC004", change: "grant bind and impersonate", mutate: (o) => o.add(role("ClusterRole", { apiGroups: ["rbac.authorization.k8s.io", ""], resources: ["clusterroles", "users"], verbs: ["bind", "impersonate", "get"] })) },
  { rule: "NET001", change: "a default deny of ingress only", mutate: (o) => (o.get("NetworkPolicy", "default-deny").spec.policyTypes = ["Ingress"]) },
  { rule: "NET001", change: "a default deny that selects only some pods", mutate: (o) => (o.get("NetworkPolicy", "default-deny").spec.podSelector = { matchLabels: { app: "frontend" } }) },
  { rule: "NET004", change: "adservice's NetworkPolicy moved to another namespace", mutate: (o) => (o.get("NetworkPolicy", "adservice").metadata.namespace = "monitoring") },
  { rule: "NET004", change: "adservice's NetworkPolicy selecting another app", mutate: (o) => (o.get("NetworkPolicy", "adservice").spec.podSelector.matchLabels.app = "ads") },
  { rule: "NET005", change: "expose the database through a NodePort", mutate: (o) => (o.get("Service", "postgres").spec.type = "NodePort") },
  { rule: "NET005", change: "expose Redis on an external IP", mutate: (o) => (o.get("Service", "redis-sentinel").spec.externalIPs = ["203.0.113.10"]) },
  { rule: "NET005", change: "a second Ingress path to the Sentinels", mutate: (o) => o.get("Ingress", "frontend").spec.rules[0].http.paths.push({ path: "/sentinel", pathType: "Prefix", backend: { service: { name: "redis-sentinel", port: { number: 26379 } } } }) },
  { rule: "NET006", change: "a production Ingress whose TLS names no certificate Secret", mutate: (o) => delete o.get("Ingress", "frontend").spec.tls[0].secretName },
  { rule: "NET006", change: "a second production host without TLS", mutate: (o) => o.get("Ingress", "frontend").spec.rules.push({ host: "plain.example.com", http: structuredClone(o.get("Ingress", "frontend").spec.rules[0].http) }) },
  { rule: "REF010", change: "an Application path that climbs out with ..", mutate: (o) => (o.get("Application", "prod-data").spec.source.path = "rendered/prod/../dev/data") },
  { rule: "REF006", change: "mount an undeclared Secret through a projected volume", mutate: (o) => (o.pod("adservice").volumes = [{ name: "creds", projected: { sources: [{ secret: { name: "ghost" } }] } }]) },
  { rule: "REF006", change: "read every key of an undeclared Secret (envFrom)", mutate: (o) => (o.container("adservice").envFrom = [{ secretRef: { name: "ghost" } }]) },
  { rule: "REF005", change: "read every key of a ConfigMap that does not exist (envFrom)", mutate: (o) => (o.container("adservice").envFrom = [{ configMapRef: { name: "ghost" } }]) },
  { rule: "REF005", change: "mount a ConfigMap that does not exist", mutate: (o) => (o.pod("adservice").volumes = [{ name: "cfg", configMap: { name: "ghost" } }]) },
  { rule: "REF008", change: "a StatefulSet governed by a Service that is not headless", mutate: (o) => delete o.get("Service", "postgres-headless").spec.clusterIP },
  { rule: "REF011", change: "an Application in an AppProject that is not rendered", mutate: (o) => (o.get("Application", "prod-data").spec.project = "ghost") },
  { rule: "REF011", change: "an Application reading a repository its AppProject does not allow", mutate: (o) => (o.get("Application", "prod-data").spec.source.repoURL = "https://example.com/other.git") },
  { rule: "REF011", change: "an Application deploying to another cluster", mutate: (o) => (o.get("Application", "prod-data").spec.destination.server = "https://other.example.com") },
  { rule: "REF014", change: "an address without a port", mutate: (o) => (o.container("frontend").env.find((e: Json) => e.name === "CART_SERVICE_ADDR").value = "cartservice") },
  { rule: "REF014", change: "an address with a scheme at a port the Service does not have", mutate: (o) => (o.container("frontend").env.find((e: Json) => e.name === "CART_SERVICE_ADDR").value = "grpc://cartservice:7071") },
  { rule: "AVL003", change: "a PDB whose minAvailable equals the replicas", mutate: (o) => (o.get("PodDisruptionBudget", "cartservice").spec = { ...o.get("PodDisruptionBudget", "cartservice").spec, maxUnavailable: undefined, minAvailable: 3 }) },
  { rule: "AVL003", change: "a PDB whose minAvailable is 100%", mutate: (o) => (o.get("PodDisruptionBudget", "cartservice").spec = { ...o.get("PodDisruptionBudget", "cartservice").spec, maxUnavailable: undefined, minAvailable: "100%" }) },
  { rule: "AVL002", change: "cart's PDB in another namespace", mutate: (o) => (o.get("PodDisruptionBudget", "cartservice").metadata.namespace = "monitoring") },
  { rule: "AVL004", change: "spreading over zones only", mutate: (o) => (o.pod("cartservice").topologySpreadConstraints = o.pod("cartservice").topologySpreadConstraints.filter((c: Json) => c.topologyKey !== "kubernetes.io/hostname")) },
  { rule: "AVL007", change: "recreate the autoscaled frontend", mutate: (o) => (o.get("Deployment", "frontend").spec.strategy = { type: "Recreate" }) },
  { rule: "RES003", change: "request more CPU than the limit", mutate: (o) => (o.container("frontend").resources.requests.cpu = "300m") },
  { rule: "RES004", change: "a container the record does not list", mutate: (o) => (o.container("adservice").name = "sidecar") },
  { rule: "RES004", change: "a memory request other than the contract's", mutate: (o) => (o.container("adservice").resources.requests.memory = "300Mi") },
  { rule: "STO001", change: "a claim of no workload record", mutate: (o) => o.add({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta("scratch-space"), spec: { accessModes: ["ReadWriteOnce"], storageClassName: "standard-rwo", resources: { requests: { storage: "1Gi" } } } }) },
  { rule: "STO001", change: "a claim template without a size", mutate: (o) => delete o.get("StatefulSet", "postgres").spec.volumeClaimTemplates[0].spec.resources.requests.storage },
  { rule: "STO003", change: "a claim template of another kind", mutate: (o) => (o.get("StatefulSet", "postgres").spec.volumeClaimTemplates[0].kind = "PersistentVolume") },
  { rule: "STO004", change: "a first-run mark on a claim a CronJob and a Deployment both mount", mutate: (o) => (o.pod("adservice").volumes = [...(o.pod("adservice").volumes ?? []), { name: "backups", persistentVolumeClaim: { claimName: "postgres-backups" } }]) },
  { rule: "SEC001", change: "run as user 0 with runAsNonRoot", mutate: (o) => (o.container("paymentservice").securityContext.runAsUser = 0) },
  { rule: "SEC004", change: "add NET_BIND_SERVICE and SYS_ADMIN", mutate: (o) => (o.container("paymentservice").securityContext.capabilities.add = ["NET_BIND_SERVICE", "SYS_ADMIN"]) },
  { rule: "SEC005", change: "no seccomp profile at all", mutate: (o) => delete o.pod("paymentservice").securityContext.seccompProfile },
  { rule: "SEC013", change: "a ServiceAccount that mounts its token by default, in a pod that does not say", mutate: (o) => (delete o.pod("paymentservice").automountServiceAccountToken, (o.get("ServiceAccount", "paymentservice").automountServiceAccountToken = true)) },
  { rule: "JOB001", change: "let the traffic CronJob's runs overlap", mutate: (o) => (o.get("CronJob", "traffic").spec.concurrencyPolicy = "Allow") },
  { rule: "JOB001", change: "leave the concurrency policy to the default (Allow)", mutate: (o) => delete o.get("CronJob", "traffic").spec.concurrencyPolicy },
  { rule: "JOB002", change: "a traffic run without a deadline", mutate: (o) => delete o.get("CronJob", "traffic").spec.jobTemplate.spec.activeDeadlineSeconds },
  { rule: "JOB002", change: "a traffic run allowed as long as the interval between runs", mutate: (o) => (o.get("CronJob", "traffic").spec.jobTemplate.spec.activeDeadlineSeconds = 900) },
  { rule: "JOB002", change: "a CronJob without a starting deadline", mutate: (o) => delete o.get("CronJob", "traffic").spec.startingDeadlineSeconds },
  { rule: "JOB002", change: "a late run allowed to start after the next one is due", mutate: (o) => (o.get("CronJob", "traffic").spec.startingDeadlineSeconds = 1200) },
  { rule: "JOB002", change: "a four-field schedule", mutate: (o) => (o.get("CronJob", "traffic").spec.schedule = "*/15 * * *") },
  { rule: "JOB002", change: "the initial run without a deadline", mutate: (o) => delete o.get("Job", "traffic-initial").spec.activeDeadlineSeconds },
  { rule: "JOB003", change: "a Job that leaves its retries to the default", mutate: (o) => delete o.get("Job", "traffic-initial").spec.backoffLimit },
  { rule: "JOB003", change: "a backup CronJob retrying ten times", mutate: (o) => (o.get("CronJob", "postgres-backup").spec.jobTemplate.spec.backoffLimit = 10) },
  { rule: "JOB003", change: "a pod failure policy that ignores failures", mutate: (o) => (o.get("Job", "traffic-initial").spec.podFailurePolicy = { rules: [{ action: "Ignore", onExitCodes: { operator: "In", values: [99] } }] }) },
  { rule: "LBL001", change: "strip a Service's labels", mutate: (o) => (o.get("Service", "adservice").metadata.labels = { app: "adservice" }), severity: "warning" },
  { rule: "LBL002", change: "strip a pod template's labels", mutate: (o) => (o.get("Deployment", "adservice").spec.template.metadata.labels = { app: "adservice" }), severity: "warning" },
];

describe("policy rules", () => {
  it("there are rules in every theme, with unique ids", () => {
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(new Set(rules.map((r) => r.theme))).toEqual(new Set(["schema", "resources", "probes", "security", "images", "availability", "storage", "referential", "secrets", "rbac", "network", "labels", "data", "jobs"]));
  });

  it.each(["dev", "prod"])("the committed rendered/%s passes every rule; the only exemptions are the node agent's host access, with its record's reasons", (environment) => {
    const context = contextFor(environment, loadManifests([join(repoRoot, "rendered", environment)]).manifests);
    const findings = runRules(context, rules);
    expect(findings.filter((f) => !f.exemption).map((f) => `${f.rule} ${f.object}: ${f.message}`)).toEqual([]);
    const access = records["node-exporter"].hostAccess!;
    expect(findings.map((f) => `${f.rule} ${f.object}: ${f.exemption}`)).toEqual([
      `SEC008 DaemonSet monitoring/node-exporter: ${access.hostNetwork}`,
      `SEC009 DaemonSet monitoring/node-exporter: ${access.hostPID}`,
      ...Object.keys(access.hostPaths!.volumes).map(() => `SEC012 DaemonSet monitoring/node-exporter: ${access.hostPaths!.reason}`),
    ]);
  });

  it("every rule except SCH001, SCH003 and POL001 (checked through the CLI in policy-cli.test.ts) has a mutation that trips it", () => {
    const covered = new Set([...mutations.map((m) => m.rule), "SCH001", "SCH003", "POL001"]);
    expect(rules.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe("mutation suite: one unsafe change at a time to rendered/prod", () => {
  it.each(mutations)("$rule catches: $change", ({ rule, mutate, severity }) => {
    const { failing: failed, all, findings } = findingsAfter(mutate);
    if (severity === "warning") expect(all).toContain(rule);
    else expect(failed).toContain(rule);
    // What the user reads, pinned in the reviewed snapshot file: the rule's findings with object,
    // field, message and fix, and every other rule's findings too (a rule must not start
    // reporting where it has no business, nor stop reporting a side effect it rightly saw).
    const read = ({ rule: id, object, path, message }: Finding) => ({ rule: id, object, path, message });
    // (The node agent's exemptions, the same in every run, are pinned by the test of the committed tree.)
    expect({ fix: rules.find((r) => r.id === rule)!.fix, findings: findings.filter((f) => !f.exemption).map(read) }).toMatchSnapshot();
  });
});

describe("rule details", () => {
  it("a too-wide DNS rule is named by the flows it opens", () => {
    const messages = (mutate: (o: Objects) => void) => {
      const manifests = structuredClone(base);
      mutate(new Objects(manifests));
      return runRules({ environment: "prod", root: prodRoot, manifests, settings: prodSettings, loadProblems: [] }, rules.filter((r) => r.id === "NET003")).map((f) => f.message);
    };
    expect(messages((o) => delete o.get("NetworkPolicy", "adservice").spec.egress[0].ports)).toEqual(["extra flow microservices-demo/adservice → kube-system/kube-dns:9153/TCP: allowed by the NetworkPolicies, not in the contract"]);
    expect(messages((o) => (o.get("NetworkPolicy", "adservice").spec.egress[0].to[0].namespaceSelector = {}))).toEqual([
      "extra flow microservices-demo/adservice → elsewhere/kube-dns-lookalike:53/TCP: allowed by the NetworkPolicies, not in the contract",
      "extra flow microservices-demo/adservice → elsewhere/kube-dns-lookalike:53/UDP: allowed by the NetworkPolicies, not in the contract",
    ]);
  });

  it("a PDB percentage is rounded up like Kubernetes does: 10% of 3 replicas allows one eviction, 0% none", () => {
    const maxUnavailable = (value: string) => findingsAfter((o) => (o.get("PodDisruptionBudget", "cartservice").spec.maxUnavailable = value)).failing;
    expect(maxUnavailable("10%")).not.toContain("AVL003");
    expect(maxUnavailable("0%")).toContain("AVL003");
  });

  it("quantities are compared by value: 0.1 CPU equals 100m, 0.2 does not", () => {
    const cpuRequest = (value: string) => findingsAfter((o) => (o.container("frontend").resources.requests.cpu = value)).failing;
    expect(cpuRequest("0.1")).not.toContain("RES004");
    expect(cpuRequest("0.2")).toContain("RES004");
  });

  it("the rules on runs: what counts as a deadline and a retry limit, at the interval's edge, and on runs with parts missing", () => {
    const jobFindings = (mutate: (o: Objects) => void) =>
      findingsAfter(mutate).findings.filter((f) => f.rule.startsWith("JOB")).map((f) => `${f.rule} ${f.object}${f.path ? ` ${f.path}` : ""}: ${f.message}`);
    const traffic = (o: Objects) => o.get("CronJob", "traffic").spec;
    const initial = (o: Objects) => o.get("Job", "traffic-initial").spec;
    // A deadline is a whole number of seconds above 0; anything else is none.
    for (const value of ["600", -1, 1.5, 0]) {
      expect(jobFindings((o) => (traffic(o).jobTemplate.spec.activeDeadlineSeconds = value)), String(value)).toEqual(["JOB002 CronJob microservices-demo/traffic /spec/jobTemplate/spec/activeDeadlineSeconds: no activeDeadlineSeconds: a stuck run runs without end"]);
    }
    for (const value of ["3", -1, 2.5]) {
      expect(jobFindings((o) => (initial(o).backoffLimit = value)), String(value)).toEqual(["JOB003 Job microservices-demo/traffic-initial /spec/backoffLimit: no backoffLimit: the retry count is left to the API server's default"]);
    }
    expect(jobFindings((o) => (initial(o).backoffLimit = 0))).toEqual([]);
    // The interval is the edge: a late start may begin up to just before the next run.
    expect(jobFindings((o) => (traffic(o).startingDeadlineSeconds = 899))).toEqual([]);
    expect(jobFindings((o) => (traffic(o).startingDeadlineSeconds = 900))).toEqual(["JOB002 CronJob microservices-demo/traffic /spec/startingDeadlineSeconds: a late run may still start 900 s after its time, past the next one 900 s later"]);
    expect(jobFindings((o) => (traffic(o).jobTemplate.spec.activeDeadlineSeconds = 899))).toEqual([]);
    // A schedule that never runs twice has no interval to stay under.
    expect(jobFindings((o) => Object.assign(traffic(o), { schedule: "0 0 30 2 *", startingDeadlineSeconds: 100_000 }))).toEqual([]);
    expect(jobFindings((o) => delete traffic(o).schedule)).toEqual(["JOB002 CronJob microservices-demo/traffic /spec/schedule: schedule undefined is not one Kubernetes accepts: no schedule"]);
    // Runs with parts missing are judged, not crashed on.
    expect(jobFindings((o) => delete o.get("CronJob", "traffic").spec)).toEqual([
      "JOB001 CronJob microservices-demo/traffic /spec/concurrencyPolicy: concurrencyPolicy is Allow (the default): two runs can overlap",
      "JOB002 CronJob microservices-demo/traffic /spec/jobTemplate/spec/activeDeadlineSeconds: no activeDeadlineSeconds: a stuck run runs without end",
      "JOB002 CronJob microservices-demo/traffic /spec/schedule: schedule undefined is not one Kubernetes accepts: no schedule",
      "JOB003 CronJob microservices-demo/traffic /spec/jobTemplate/spec/backoffLimit: no backoffLimit: the retry count is left to the API server's default",
    ]);
    expect(jobFindings((o) => delete traffic(o).jobTemplate)).toEqual([
      "JOB002 CronJob microservices-demo/traffic /spec/jobTemplate/spec/activeDeadlineSeconds: no activeDeadlineSeconds: a stuck run runs without end",
      "JOB003 CronJob microservices-demo/traffic /spec/jobTemplate/spec/backoffLimit: no backoffLimit: the retry count is left to the API server's default",
    ]);
    expect(jobFindings((o) => delete o.get("Job", "traffic-initial").spec)).toEqual([
      "JOB002 Job microservices-demo/traffic-initial /spec/activeDeadlineSeconds: no activeDeadlineSeconds: a stuck run runs without end",
      "JOB003 Job microservices-demo/traffic-initial /spec/backoffLimit: no backoffLimit: the retry count is left to the API server's default",
    ]);
    expect(jobFindings((o) => (initial(o).podFailurePolicy = { rules: [null, { action: "Count" }, { action: "Ignore" }] }))).toEqual([
      "JOB003 Job microservices-demo/traffic-initial /spec/podFailurePolicy/rules/2/action: a podFailurePolicy rule ignores failures: such retries are never counted, so never bounded",
    ]);
  });

  it("a rule that meets a malformed manifest reports it instead of crashing the run", () => {
    const { failing: failed } = findingsAfter((o) => (o.pod("adservice").containers = {}));
    expect(failed.length).toBeGreaterThan(0);
  });
});

describe("the rules about the tree itself (the CLI tests run them through the CLI too)", () => {
  const treeRules = (context: Partial<PolicyContext>) =>
    runRules({ environment: "prod", root: prodRoot, manifests: base, settings: prodSettings, loadProblems: [], ...context }, rules.filter((r) => ["SCH001", "SCH003", "POL001"].includes(r.id))).map(({ rule, object, message }) => `${rule} ${object}: ${message}`);

  it("a committed tree with its settings raises none of them", () => {
    expect(treeRules({})).toEqual([]);
  });

  it("SCH001 reports each file that is no Kubernetes object", () => {
    expect(treeRules({ loadProblems: [{ manifest: { file: "rendered/prod/x.yaml" }, message: "not a mapping" }] })).toEqual(["SCH001 (whole tree): not a mapping"]);
  });

  it("SCH003 fails an empty tree, but not a tree whose only files are broken (SCH001 says so)", () => {
    expect(treeRules({ manifests: [] })).toEqual(["SCH003 (whole tree): no .yaml, .yml or .json file with a Kubernetes object: nothing to judge"]);
    expect(treeRules({ manifests: [], loadProblems: [{ manifest: { file: "rendered/prod/x.yaml" }, message: "not a mapping" }] })).toEqual(["SCH001 (whole tree): not a mapping"]);
  });

  it("POL001 warns when the environment's settings are unknown", () => {
    expect(treeRules({ settings: undefined, environment: "staging" })).toEqual([
      "POL001 (whole tree): no environments/staging/settings.yaml: only the contract's registries are allowed (IMG002), storage class (STO002) and minimum replicas (AVL001) are not checked",
    ]);
  });
});

describe("rules that must stay quiet", () => {
  const quiet = (mutate: (o: Objects) => void) => findingsAfter(mutate).all;

  it("Namespace sync options may have spaces after the commas", () => {
    expect(quiet((o) => (o.get("Namespace", ns).metadata.annotations["argocd.argoproj.io/sync-options"] = "Prune=false, Delete=false"))).not.toContain("ARG004");
    expect(quiet((o) => (o.get("Namespace", ns).metadata.annotations["argocd.argoproj.io/sync-options"] = "Prune=false"))).toContain("ARG004");
  });

  it("child Applications keep their deletion finalizer: only the app that manages Applications may not cascade", () => {
    expect(base.find((m) => m.object.metadata.name === "prod-data")!.object.metadata.finalizers).toEqual(["resources-finalizer.argocd.argoproj.io"]);
    expect(quiet(() => undefined)).not.toContain("ARG003");
  });

  it("a Service that leads outside clients only to the frontend's external port is allowed", () => {
    expect(quiet((o) => (o.get("Service", "frontend").spec.type = "LoadBalancer"))).not.toContain("NET005");
    expect(quiet((o) => o.get("Service", "frontend").spec.ports.push({ name: "other", port: 81, targetPort: 9999, protocol: "TCP" }))).toContain("NET005");
  });

  it("optional ConfigMaps may be missing; the default ServiceAccount always exists; a PGHOST socket path is no address", () => {
    expect(quiet((o) => o.container("adservice").env.push({ name: "X", valueFrom: { configMapKeyRef: { name: "ghost", key: "x", optional: true } } }))).not.toContain("REF005");
    expect(quiet((o) => (o.pod("adservice").volumes = [{ name: "cfg", configMap: { name: "ghost", optional: true } }]))).not.toContain("REF005");
    expect(quiet((o) => (o.container("adservice").envFrom = [{ configMapRef: { name: "ghost", optional: true } }]))).not.toContain("REF005");
    expect(quiet((o) => (o.pod("adservice").serviceAccountName = "default"))).not.toContain("REF007");
    expect(quiet((o) => (o.get("StatefulSet", "order-persistence").spec.template.spec.containers[0].env.find((e: Json) => e.name === "PGHOST").value = "/var/run/postgresql"))).not.toContain("REF014");
    expect(quiet((o) => (o.container("frontend").env.find((e: Json) => e.name === "CART_SERVICE_ADDR").value = "grpc://cartservice:7070"))).not.toContain("REF014");
  });

  it("what the rules on runs accept: a deadline under an hourly schedule's interval, Replace is no Forbid, six retries", () => {
    const hourly = (o: Objects) => Object.assign(o.get("CronJob", "traffic").spec, { schedule: "@hourly", startingDeadlineSeconds: 3000 });
    expect(quiet((o) => (hourly(o), (o.get("CronJob", "traffic").spec.jobTemplate.spec.activeDeadlineSeconds = 3000)))).not.toContain("JOB002");
    expect(quiet((o) => (hourly(o), (o.get("CronJob", "traffic").spec.jobTemplate.spec.activeDeadlineSeconds = 3600)))).toContain("JOB002");
    expect(quiet((o) => (o.get("CronJob", "traffic").spec.concurrencyPolicy = "Replace"))).toContain("JOB001");
    expect(quiet((o) => (o.get("CronJob", "postgres-backup").spec.jobTemplate.spec.backoffLimit = 6))).not.toContain("JOB003");
    expect(quiet((o) => (o.get("Job", "traffic-initial").spec.podFailurePolicy = { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [99] } }] }))).not.toContain("JOB003");
  });

  it("what the security and availability rules accept", () => {
    expect(quiet((o) => (o.container("paymentservice").securityContext.capabilities.add = ["NET_BIND_SERVICE"]))).not.toContain("SEC004");
    expect(quiet((o) => (o.pod("paymentservice").securityContext.seccompProfile = { type: "Localhost", localhostProfile: "p.json" }))).not.toContain("SEC005");
    expect(quiet((o) => (o.container("paymentservice").ports[0].hostPort = 0))).not.toContain("SEC011");
    expect(quiet((o) => (o.get("PodDisruptionBudget", "cartservice").spec = { ...o.get("PodDisruptionBudget", "cartservice").spec, maxUnavailable: undefined, minAvailable: 2 }))).not.toContain("AVL003");
    expect(quiet((o) => (o.get("Deployment", "adservice").spec.strategy = { type: "Recreate" }))).not.toContain("AVL007"); // one replica
  });

  it("an ipBlock is judged by what it admits: outside clients to the frontend's external port only, and the API server only for its users", () => {
    expect(quiet((o) => o.get("NetworkPolicy", "frontend").spec.ingress.push({ from: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ port: 8080, protocol: "TCP" }] }))).not.toContain("NET003");
    const withApi = { ...prodSettings!, kubernetesApi: { cidrs: ["10.0.0.1/32"], port: 6443 } };
    const manifests = structuredClone(base);
    new Objects(manifests).get("NetworkPolicy", "frontend").spec.egress.push({ to: [{ ipBlock: { cidr: "10.0.0.1/32" } }], ports: [{ port: 6443, protocol: "TCP" }] });
    const findings = runRules({ environment: "prod", root: prodRoot, manifests, settings: withApi, loadProblems: [] }, rules.filter((r) => r.id === "NET003"));
    expect(findings.map((f) => f.message)).toContain("ipBlock lets pods connect outside the cluster beyond the API server (settings kubernetesApi) for workloads that use it, the nodes (settings nodes) on the ports the contract scrapes there, and the object storage (settings monitoring.loki.storage) for workloads that keep data there");
  });

  it("an object too large for client-side apply passes when it syncs server-side", () => {
    const big = (annotations: Record<string, string>) => (o: Objects) => o.add({ apiVersion: "v1", kind: "ConfigMap", metadata: { ...meta("dashboards"), annotations }, data: { "all.json": "x".repeat(300 * 1024) } });
    expect(quiet(big({ "argocd.argoproj.io/sync-options": "Prune=false,ServerSideApply=true" }))).not.toContain("ARG005");
    expect(findingsAfter(big({})).failing).toContain("ARG005");
  });

  it("a container port's protocol counts: cart listening on UDP breaks the contract's TCP flows", () => {
    expect(findingsAfter((o) => (o.container("cartservice").ports[0].protocol = "UDP")).failing).toContain("NET002");
  });

  it("PDB percentages count as Kubernetes counts them: minAvailable 34% of 3 leaves one eviction, 67% none", () => {
    const minAvailable = (value: string | number) => quiet((o) => (o.get("PodDisruptionBudget", "cartservice").spec = { ...o.get("PodDisruptionBudget", "cartservice").spec, maxUnavailable: undefined, minAvailable: value }));
    expect(minAvailable("34%")).not.toContain("AVL003");
    expect(minAvailable("67%")).toContain("AVL003");
    expect(minAvailable(2)).not.toContain("AVL003");
  });

  it("required pod anti-affinity on the hostname spreads replicas as well as a topology constraint does; on zones it does not", () => {
    const antiAffinity = (topologyKey: string) =>
      quiet((o) => {
        delete o.pod("cartservice").topologySpreadConstraints;
        o.pod("cartservice").affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: { matchLabels: { app: "cartservice" } } }] } };
      });
    expect(antiAffinity("kubernetes.io/hostname")).not.toContain("AVL004");
    expect(antiAffinity("topology.kubernetes.io/zone")).toContain("AVL004");
  });

  it("NET006 holds production only: the same plain Ingress under development settings passes", () => {
    const manifests = structuredClone(base);
    delete new Objects(manifests).get("Ingress", "frontend").spec.tls;
    const development = { ...prodSettings!, availability: { ...prodSettings!.availability, level: "development" as const } };
    expect(runRules({ environment: "prod", root: prodRoot, manifests, settings: development, loadProblems: [] }, rules.filter((r) => r.id === "NET006"))).toEqual([]);
  });

  it("an HTTPRoute backend in another namespace is looked up there", () => {
    expect(quiet((o) => o.add(httpRoute({ name: "postgres", port: 5432, namespace: "monitoring" } as { name: string; port: number }, "https")))).not.toContain("NET005");
  });

  it("a binding counts for a Role only in the Role's namespace and of the Role's kind", () => {
    const reader = (o: Objects) => o.add(role("Role", { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }));
    const binding = (namespace: string, kind: string) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { ...meta("reader"), namespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "frontend" }] });
    const message = (mutate: (o: Objects) => void) => findingsAfter(mutate).findings.filter((f) => f.rule === "RBAC003").map((f) => f.message);
    expect(message((o) => (reader(o), o.add(binding("monitoring", "Role"))))).toEqual(["grants reading Secrets"]);
    expect(message((o) => (reader(o), o.add(binding(ns, "ClusterRole"))))).toEqual(["grants reading Secrets"]);
    expect(message((o) => (reader(o), o.add(binding(ns, "Role"))))).toEqual([`grants reading Secrets to ${ns}/frontend`]);
  });

  it("a Role that reads only ConfigMaps, or Secrets of another API group, is no Secret reader", () => {
    expect(quiet((o) => o.add(role("Role", { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] })))).not.toContain("RBAC003");
    expect(quiet((o) => o.add(role("Role", { apiGroups: ["example.com"], resources: ["secrets"], verbs: ["get"] })))).not.toContain("RBAC003");
    expect(quiet((o) => o.add(role("Role", { apiGroups: [""], resources: ["secrets"], verbs: ["create"] })))).not.toContain("RBAC003");
  });
});

describe("exemptions", () => {
  /** Findings of rendered/prod with node-exporter's exemption annotation replaced by `exemptions`. */
  function nodeAgent(exemptions: string): Finding[] {
    const manifests = structuredClone(base);
    new Objects(manifests).get("DaemonSet", "node-exporter").metadata.annotations["online-boutique-gitops/policy-exemptions"] = exemptions;
    return runRules({ environment: "prod", root: prodRoot, manifests, settings: prodSettings, loadProblems: [] }, rules);
  }
  const hostNetwork = (findings: Finding[]) => findings.filter((f) => f.rule === "SEC008");

  it("a node agent's annotation naming the rule and a reason exempts it, with that reason, and the exemption is still reported", () => {
    const findings = nodeAgent("SEC008: node agent reads host network statistics");
    expect(failing(hostNetwork(findings))).toEqual([]);
    expect(hostNetwork(findings)).toEqual([expect.objectContaining({ exemption: "node agent reads host network statistics" })]);
    // The rules it no longer names apply again.
    expect([...new Set(failing(findings).map((f) => f.rule))]).toEqual(["SEC009", "SEC012"]);
  });

  it("an exemption without a reason exempts nothing", () => {
    expect(failing(hostNetwork(nodeAgent("SEC008:")))).toHaveLength(1);
  });

  it("an exemption for one rule does not cover another", () => {
    expect(failing(hostNetwork(nodeAgent("SEC009: reads host processes")))).toHaveLength(1);
  });

  it("a DaemonSet whose record grants no host access is not exempt, whatever its annotation says", () => {
    const manifests = structuredClone(base);
    const agent = new Objects(manifests).get("Deployment", "paymentservice");
    agent.kind = "DaemonSet";
    delete agent.spec.replicas;
    delete agent.spec.strategy;
    agent.spec.template.spec.hostNetwork = true;
    agent.metadata.annotations = { "online-boutique-gitops/policy-exemptions": "SEC008: node agent reads host network statistics" };
    expect(failing(hostNetwork(runRules({ environment: "prod", root: prodRoot, manifests, settings: prodSettings, loadProblems: [] }, rules)))).toHaveLength(1);
  });

  it("only a node agent can be exempt: the same annotation on a Deployment exempts nothing", () => {
    const manifests = structuredClone(base);
    const objects = new Objects(manifests);
    objects.pod("paymentservice").hostNetwork = true;
    objects.get("Deployment", "paymentservice").metadata.annotations = { "online-boutique-gitops/policy-exemptions": "SEC008: node agent reads host network statistics" };
    expect(failing(hostNetwork(runRules({ environment: "prod", root: prodRoot, manifests, settings: prodSettings, loadProblems: [] }, rules)))).toHaveLength(1);
  });
});
