// The log agent (Grafana Alloy) as rendered. There is no Alloy binary on these machines: the
// configuration text is checked here for what it must say (which pods, which labels, where to),
// the agent's deployment for what it must not have (host access, cluster-wide reads); README
// "Monitoring" gives the check with Alloy's own binary (`alloy fmt`).
import { describe, expect, it } from "vitest";
import { alloyText } from "../apps/alloy";
import { kubernetesEventsStream, logLabels } from "../apps/grafana/dashboards";
import { envEntries as envOf, find, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const prod = objectsOf("prod");
const configOf = (name: string) => find(prod, "ConfigMap", name)!.data["config.alloy"] as string;

describe("the container log agent", () => {
  const daemon = find(prod, "DaemonSet", "alloy")!;
  const pod = daemon.spec.template.spec;

  it("runs on every node without any host access: no host network, PIDs or paths, restricted like the shop", () => {
    expect([pod.hostNetwork, pod.hostPID, pod.hostIPC]).toEqual([undefined, undefined, undefined]);
    expect((pod.volumes as Json[]).filter((volume) => volume.hostPath)).toEqual([]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(daemon.metadata.annotations).toBeUndefined(); // no policy exemption
  });

  it("tails only its own node's pods in the two namespaces, through the API", () => {
    expect(envOf(pod.containers[0]).NODE_NAME!.valueFrom).toEqual({ fieldRef: { fieldPath: "spec.nodeName" } });
    const config = configOf("alloy-config");
    expect(config).toContain('names = ["microservices-demo", "monitoring"]');
    expect(config).toContain('field = "spec.nodeName=" + sys.env("NODE_NAME")');
    expect(config).toContain('loki.source.kubernetes "pods" {\n  targets = discovery.relabel.pods.output\n  forward_to = [loki.process.pods.receiver]\n}');
  });

  it("labels every stream with the labels the logs dashboard reads: namespace, pod, container, app", () => {
    const config = configOf("alloy-config");
    const targets = [...config.matchAll(/source_labels = \["(__meta_kubernetes_[a-z_]+)"\]\n\s+target_label = "([a-z]+)"/g)].map((match) => `${match[1]} → ${match[2]}`);
    expect(targets).toEqual([
      `__meta_kubernetes_namespace → ${logLabels.namespace}`,
      `__meta_kubernetes_pod_name → ${logLabels.pod}`,
      `__meta_kubernetes_pod_container_name → ${logLabels.container}`,
      `__meta_kubernetes_pod_label_app → ${logLabels.app}`,
    ]);
  });

  it("gives the frontend's JSON access log its severity as the level label", () => {
    expect(configOf("alloy-config")).toContain('stage.match {\n    selector = "{app=\\"frontend\\"}"\n    stage.json {\n      expressions = { level = "severity" }\n    }\n    stage.labels {\n      values = { level = "" }\n    }\n  }');
  });

  it("pushes to Loki's Service, and may reach only Loki and the API server", () => {
    expect(configOf("alloy-config")).toContain('url = "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"');
    const policy = find(prod, "NetworkPolicy", "alloy")!;
    const egress = (policy.spec.egress as Json[]).slice(1).map((rule) => (rule.to[0].podSelector ? `${rule.to[0].podSelector.matchLabels.app}:${rule.ports[0].port}` : `${rule.to[0].ipBlock.cidr}:${rule.ports[0].port}`));
    expect(egress).toEqual(["loki:3100", "192.0.2.10/32:6443"]);
  });

  it("reads pods and their logs in the two namespaces only: a Role in each, nothing cluster-wide", () => {
    const roles = prod.filter((object) => ["Role", "ClusterRole"].includes(object.kind) && object.metadata.name === "alloy");
    expect(roles.map((role) => [role.kind, role.metadata.namespace, role.rules])).toEqual([
      ["Role", "microservices-demo", [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }, { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] }]],
      ["Role", "monitoring", [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }, { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] }]],
    ]);
    expect(prod.filter((object) => object.kind === "ClusterRoleBinding" && object.subjects.some((subject: Json) => subject.name.startsWith("alloy")))).toEqual([]);
  });
});

describe("the events reader", () => {
  it("is one replica (each reader of the events API sees every event) shipping both namespaces' events as job=kubernetes-events", () => {
    expect(find(prod, "Deployment", "alloy-events")!.spec.replicas).toBe(1);
    expect(configOf("alloy-events-config")).toContain(`loki.source.kubernetes_events "events" {\n  namespaces = ["microservices-demo", "monitoring"]\n  job_name = "${kubernetesEventsStream.job}"\n  log_format = "logfmt"`);
  });

  it("may list and watch events in the two namespaces, nothing else", () => {
    const roles = prod.filter((object) => object.kind === "Role" && object.metadata.name === "alloy-events");
    expect(roles.map((role) => [role.metadata.namespace, role.rules])).toEqual([
      ["microservices-demo", [{ apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] }]],
      ["monitoring", [{ apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] }]],
    ]);
  });
});

describe("Alloy's syntax, as the builder writes it", () => {
  it("quotes strings with escapes, keys that are not identifiers, and nests blocks with labels", () => {
    const text = alloyText([{ name: "a.b", label: "x", attributes: { s: 'say "hi"\\n', n: 3, t: true, l: ["p", 1], o: { plain: "v", "needs quotes": "w" }, e: { expression: 'sys.env("X")' } }, blocks: [{ name: "inner", attributes: { k: "v" } }] }], "// head");
    expect(text).toBe(['// head', 'a.b "x" {', '  s = "say \\"hi\\"\\\\n"', "  n = 3", "  t = true", '  l = ["p", 1]', '  o = { plain = "v", "needs quotes" = "w" }', '  e = sys.env("X")', "  inner {", '    k = "v"', "  }", "}", ""].join("\n"));
  });
});
