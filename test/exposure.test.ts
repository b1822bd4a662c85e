// How users reach the shop beyond Services: an Ingress with a certificate from cert-manager, or a
// Gateway API HTTPRoute (ingress-nginx was retired in March 2026). Each is rendered from settings,
// judged by the policy run and refused at settings load where a cluster would serve plain HTTP.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { validateObject } from "../core/validate/models";
import { find, runCli, runPolicyCli, scratchRepo, type Json } from "./support/repo";
import { objectsOf } from "./support/render";

const gateway = { name: "shared", namespace: "gateways", sectionName: "https" };
const viaGateway = (sectionName?: string) => (settings: Json) => {
  settings.frontendExposure = { type: "HTTPRoute", host: "shop.example.com", gateway: { ...gateway, ...(sectionName === undefined ? {} : { sectionName }) } };
};

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

/** Renders a scratch copy whose prod settings were edited by `edit`, then runs the policy on it. */
function renderAndJudge(edit: (text: string) => string) {
  const repo = scratchRepo();
  cleanups.push(repo.cleanup);
  const file = join(repo.root, "environments/prod/settings.yaml");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  const render = runCli(["--root", repo.root, "--env", "prod"]);
  const policy = render.status === 0 ? runPolicyCli([join(repo.root, "rendered/prod")], repo.root) : undefined;
  return { render, policy, root: repo.root };
}

const ingressBlock = /frontendExposure:\n(  .*\n)+/;

describe("a Gateway API HTTPRoute exposure", () => {
  const route = find(objectsOf("prod", viaGateway("https")), "HTTPRoute", "frontend")!;

  it("attaches the host to the named listener of the Gateway the settings name, routing every path to the frontend Service", () => {
    expect(route.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(route.spec.parentRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", ...gateway }]);
    expect(route.spec.hostnames).toEqual(["shop.example.com"]);
    expect(route.spec.rules).toEqual([{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "frontend", port: 80 }] }]);
  });

  it("replaces the Ingress", () => {
    expect(find(objectsOf("prod", viaGateway("https")), "Ingress", "frontend")).toBeUndefined();
  });

  it("renders through the CLI and passes the policy run", () => {
    const { render, policy, root } = renderAndJudge((text) => text.replace(ingressBlock, "frontendExposure:\n  type: HTTPRoute\n  host: shop.example.com\n  gateway:\n    name: shared\n    namespace: gateways\n    sectionName: https\n"));
    expect(render.stderr).toBe("");
    expect(policy?.status, policy?.stdout).toBe(0);
    expect(readFileSync(join(root, "rendered/prod/online-boutique/frontend/httproute-frontend.yaml"), "utf8")).toContain("sectionName: https");
  });

  it("production without a listener name is a settings error: the route would attach to plain HTTP listeners too", () => {
    const { render } = renderAndJudge((text) => text.replace(ingressBlock, "frontendExposure:\n  type: HTTPRoute\n  host: shop.example.com\n  gateway:\n    name: shared\n    namespace: gateways\n"));
    expect(render.status).toBe(2);
    expect(render.stderr).toMatch(/prod\/settings\.yaml:\d+:3: \/frontendExposure\/gateway: missing key "sectionName": availability level production attaches shop\.example\.com to the Gateway's HTTPS listener only/);
  });

  it("the strict pass knows HTTPRoute's fields: a misspelt one is refused", () => {
    expect(validateObject(route)).toEqual([]);
    const typo = structuredClone(route);
    typo.spec.hostname = typo.spec.hostnames;
    expect(validateObject(typo)).toEqual([expect.objectContaining({ path: "/spec/hostname", message: expect.stringMatching(/unknown field/) })]);
  });
});

describe("cert-manager on the Ingress", () => {
  it("the issuer from the settings becomes cert-manager's annotation, beside the other annotations", () => {
    const cluster = find(objectsOf("prod", (s: Json) => (s.frontendExposure.certManager = { issuerKind: "ClusterIssuer", issuerName: "letsencrypt-prod" })), "Ingress", "frontend")!;
    expect(cluster.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-prod");
    expect(cluster.spec.tls).toEqual([{ hosts: ["shop.example.com"], secretName: "shop-example-com-tls" }]);
    const namespaced = find(objectsOf("prod", (s: Json) => (s.frontendExposure.certManager = { issuerKind: "Issuer", issuerName: "shop-issuer" })), "Ingress", "frontend")!;
    expect(namespaced.metadata.annotations).toEqual({ "cert-manager.io/issuer": "shop-issuer" });
  });

  it("without a Secret for the certificate it is a settings error", () => {
    const { render } = renderAndJudge((text) => text.replace("  tlsSecretName: shop-example-com-tls\n", "  certManager:\n    issuerKind: ClusterIssuer\n    issuerName: letsencrypt-prod\n"));
    expect(render.status).toBe(2);
    expect(render.stderr).toMatch(/\/frontendExposure\/certManager: missing key "tlsSecretName" beside it: cert-manager writes the certificate for shop\.example\.com into that Secret/);
  });
});
