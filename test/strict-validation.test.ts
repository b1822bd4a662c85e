// Every rendered object passes kubernetes-models' schema and a strict pass that rejects what the
// schema lets through: unknown fields, bad DNS names, out-of-range ports, bad labels, scope.
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { describe, expect, it } from "vitest";
import { strictProblems } from "../core/validate/strict";
import { validateModel } from "../core/validate/index";
import { type Json } from "./support/repo";
import { objectsOf } from "./support/render";

function deploymentJson(): Json {
  return structuredClone(objectsOf("dev").find((o) => o.kind === "Deployment" && o.metadata.name === "cartservice")!);
}

function messages(object: Json): string[] {
  return strictProblems(object).map((p) => `${p.path}: ${p.message}`);
}

// Problems come ordered by path, whatever order the object's fields were set in.
describe("strict validation", () => {
  it("accepts every object rendered for every environment", () => {
    for (const environment of ["dev", "prod"]) {
      for (const object of objectsOf(environment)) expect(messages(object), `${object.kind}/${object.metadata.name}`).toEqual([]);
    }
  });

  it("rejects an unknown field that kubernetes-models' own validate() accepts", () => {
    const json = deploymentJson();
    json.spec.replica = 3;
    expect(() => new Deployment(json as never).validate()).not.toThrow(); // the gap this pass closes
    expect(messages(json)).toEqual(['/spec/replica: unknown field "replica" (did you mean "replicas"?)']);
  });

  it("rejects an unknown field deep inside a container", () => {
    const json = deploymentJson();
    json.spec.template.spec.containers[0].imagePullPolicyy = "Always";
    expect(messages(json)).toEqual(['/spec/template/spec/containers/0/imagePullPolicyy: unknown field "imagePullPolicyy" (did you mean "imagePullPolicy"?)']);
  });

  it("rejects an unknown field in an Argo CD Application (checked against its CRD's fields)", () => {
    const application = objectsOf("dev").find((o) => o.kind === "Application")!;
    const json = structuredClone(application);
    json.spec.source.targetRevison = "main";
    expect(messages(json)).toEqual(['/spec/source/targetRevison: unknown field "targetRevison" (did you mean "targetRevision"?)']);
    expect(validateModel(new Application(json as never), json)).toHaveLength(1);
  });

  it("rejects names that are not DNS-1123 (and Service names that are not DNS-1035)", () => {
    const json = deploymentJson();
    json.metadata.name = "Cart_Service";
    json.spec.template.spec.containers[0].name = "Server";
    expect(messages(json)).toEqual([
      expect.stringContaining('/metadata/name: name "Cart_Service" is not a valid Deployment name'),
      expect.stringContaining('/spec/template/spec/containers/0/name: container name "Server" is not a DNS-1123 label'),
    ]);
    const service = structuredClone(objectsOf("dev").find((o) => o.kind === "Service")!);
    service.metadata.name = "7eleven";
    expect(messages(service)).toEqual([expect.stringContaining('name "7eleven" is not a valid Service name (DNS label')]);
  });

  it("rejects ports outside 1-65535 and port names longer than 15 characters", () => {
    const json = deploymentJson();
    json.spec.template.spec.containers[0].ports[0].containerPort = 70000;
    json.spec.template.spec.containers[0].ports[0].name = "grpc-port-for-carts";
    json.spec.template.spec.containers[0].readinessProbe.grpc.port = 0;
    expect(messages(json)).toEqual([
      "/spec/template/spec/containers/0/ports/0/containerPort: expected a port number 1-65535, got 70000",
      expect.stringContaining('port name "grpc-port-for-carts" is not an IANA service name'),
      "/spec/template/spec/containers/0/readinessProbe/grpc/port: expected a port number 1-65535, got 0",
    ]);
  });

  it("rejects wrong value types and malformed labels", () => {
    const json = deploymentJson();
    json.spec.template.spec.containers[0].env = { REDIS_ADDR: "redis-cart:6379" };
    json.metadata.labels["app.kubernetes.io/name"] = "cart service";
    expect(messages(json)).toEqual([
      expect.stringContaining('/metadata/labels/app.kubernetes.io~1name: label value "cart service" is not valid'),
      "/spec/template/spec/containers/0/env: expected a list, got a mapping",
    ]);
  });

  it("requires a namespace on namespaced kinds and refuses one on cluster-scoped kinds", () => {
    const json = deploymentJson();
    delete json.metadata.namespace;
    expect(messages(json)).toEqual(["/metadata/namespace: Deployment is namespaced: set metadata.namespace explicitly"]);
    const namespace = structuredClone(objectsOf("dev").find((o) => o.kind === "Namespace")!);
    namespace.metadata.namespace = "default";
    expect(messages(namespace)).toEqual(["/metadata/namespace: Namespace is cluster-scoped and takes no namespace"]);
  });

  it("refuses a kind it has no schema for", () => {
    expect(messages({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toEqual([
      ": unknown kind Widget in example.com/v1: no schema to check it against",
    ]);
  });

  it("reports schema errors from kubernetes-models too (wrong enum value)", () => {
    const json = deploymentJson();
    json.spec.template.spec.containers[0].imagePullPolicy = "Sometimes";
    const problems = validateModel(new Deployment(json as never), json);
    expect(problems.map((p) => p.path)).toContain("/spec/template/spec/containers/0/imagePullPolicy");
  });
});
