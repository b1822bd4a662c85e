// kube-state-metrics as rendered: it reads exactly the kinds it reports on, with list and watch
// only, and nothing else (its --resources flag and its ClusterRole are one list).
import { describe, expect, it } from "vitest";
import { find, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const objects = objectsOf("prod");
const role = find(objects, "ClusterRole", "monitoring-kube-state-metrics")!;
const container = find(objects, "Deployment", "kube-state-metrics")!.spec.template.spec.containers[0];

describe("kube-state-metrics", () => {
  it("lists and watches, never reads a Secret, never writes", () => {
    for (const rule of role.rules as Json[]) expect(rule.verbs).toEqual(["list", "watch"]);
    expect((role.rules as Json[]).flatMap((rule) => rule.resources)).not.toContain("secrets");
  });

  it("the kinds it is told to report on (--resources) are exactly the kinds it may read", () => {
    const flag = (container.args as string[]).find((arg) => arg.startsWith("--resources="))!.slice("--resources=".length).split(",");
    expect((role.rules as Json[]).flatMap((rule) => rule.resources).sort()).toEqual([...flag].sort());
    expect(flag).toEqual(expect.arrayContaining(["deployments", "statefulsets", "pods", "nodes", "persistentvolumeclaims"]));
  });

  it("is bound to its own ServiceAccount, which mounts a token; probes on its two ports", () => {
    const binding = find(objects, "ClusterRoleBinding", "monitoring-kube-state-metrics")!;
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "kube-state-metrics", namespace: "monitoring" }]);
    expect(find(objects, "Deployment", "kube-state-metrics")!.spec.template.spec.automountServiceAccountToken).toBe(true);
    expect([container.readinessProbe.httpGet, container.livenessProbe.httpGet]).toEqual([{ path: "/readyz", port: 8081 }, { path: "/healthz", port: 8080 }]);
  });
});
