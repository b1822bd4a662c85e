// npm run verify (generator/verify/) checks a live cluster against rendered/<env>/. There is no
// cluster here: the tests run it against a local HTTP server answering like the Kubernetes API
// for the calls verify makes (test/support/fake-kube-api/server.ts): discovery, server-side
// apply PATCH with dryRun=All, GET of each object, metadata-only LIST per kind and namespace, the
// Argo CD Applications. The fake refuses and records any write that is not a dry-run; every test
// ends by asserting there was none. The live state is the Git tree as an API server stores it
// (defaults, status, others' labels, quantities written another way) plus what Kubernetes and
// controllers add (test/support/fake-kube-api/live.ts), so a cluster equal to Git is a real test
// of what verify must ignore. The error paths are real: no kubeconfig, an unknown context, a
// closed port, a server that never answers, an untrusted certificate, 401 and 403.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadEnvironment } from "../core/settings/load";
import { main } from "../generator/verify/cli";
import { fieldDrift, notInGit, type LiveEntry } from "../generator/verify/drift";
import { shownValues } from "../generator/verify/report";
import { readRenderedTree, type KubeObject } from "../generator/verify/tree";
import { cryptoCertificate, hasOpenssl, opensslCertificate, type Certificate } from "./support/fake-kube-api/certificate";
import { writeKubeconfig } from "./support/fake-kube-api/kubeconfig";
import { createdByKubernetes, liveOf } from "./support/fake-kube-api/live";
import { FakeKubeApi, type FakeKubeApiOptions, type Json } from "./support/fake-kube-api/server";
import { repoRoot } from "./support/repo";

const run = promisify(execFile);

// A scratch repository: environments/ and rendered/dev. One Git change makes the replicas
// scenario read as the issue puts it: the frontend runs 2 replicas in Git.
const scratch = mkdtempSync(join(tmpdir(), "verify-repo-"));
cpSync(join(repoRoot, "environments"), join(scratch, "environments"), { recursive: true });
cpSync(join(repoRoot, "rendered", "dev"), join(scratch, "rendered", "dev"), { recursive: true });
const frontendFile = join(scratch, "rendered/dev/online-boutique/frontend/deployment-frontend.yaml");
writeFileSync(frontendFile, readFileSync(frontendFile, "utf8").replace(/^ {2}replicas: 1$/m, "  replicas: 2"));

// A second one with only the Namespaces in rendered/dev, for the TLS runs (every request is a handshake).
const small = mkdtempSync(join(tmpdir(), "verify-small-repo-"));
cpSync(join(repoRoot, "environments"), join(small, "environments"), { recursive: true });
cpSync(join(repoRoot, "rendered/dev/platform/namespaces"), join(small, "rendered/dev/platform/namespaces"), { recursive: true });

const settings = loadEnvironment(join(scratch, "environments"), "dev", scratch).settings;
const namespaces = [settings.namespaces.app, settings.namespaces.monitoring];
const git = readRenderedTree(join(scratch, "rendered/dev"), "rendered/dev").map((entry) => entry.object as Json);
const [app, monitoring] = namespaces as [string, string];

const secretValue = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"; // base64 of "super-secret-password"
/** The Secrets README "Secrets" has people create, with data verify must never print. */
const handMadeSecrets: Json[] = [
  { apiVersion: "v1", kind: "Secret", metadata: { name: "redis-auth", namespace: app }, type: "Opaque", data: { password: secretValue } },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "grafana-database", namespace: monitoring }, type: "Opaque", data: { password: secretValue } },
];

const temporary: string[] = [scratch, small];
const fakes: FakeKubeApi[] = [];
const servers: Server[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "verify-"));
  temporary.push(dir);
  return dir;
}

afterEach(async () => {
  for (const fake of fakes) expect(fake.writes, "a write that was not a dry-run reached the API").toEqual([]);
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

const find = (objects: Json[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

/** A fake cluster synced from the scratch tree; `adjust` changes the live objects first. */
async function cluster(adjust: (live: Json[]) => void = () => {}, options: Omit<FakeKubeApiOptions, "objects"> = {}): Promise<{ fake: FakeKubeApi; kubeconfig: string }> {
  const live = [...git.map(liveOf), ...createdByKubernetes(git, namespaces), ...structuredClone(handMadeSecrets)];
  adjust(live);
  const fake = await FakeKubeApi.start({ objects: live, ...options });
  fakes.push(fake);
  return { fake, kubeconfig: writeKubeconfig(tempDir(), [{ context: "fake", server: fake.url }]) };
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The CLI's main() in this process with its console captured (the bundle is run at the end). */
async function verify(args: string[], env: NodeJS.ProcessEnv = { HOME: tempDir() }, root = scratch): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => stdout.push(`${line}\n`);
  console.error = (line: string) => stderr.push(`${line}\n`);
  const started = performance.now();
  try {
    const status = await main(["--root", root, ...args], env);
    return { status, stdout: stdout.join(""), stderr: stderr.join(""), ms: performance.now() - started };
  } finally {
    Object.assign(console, { log, error });
  }
}

const verifyDev = (kubeconfig: string, ...args: string[]) => verify(["--env", "dev", "--kubeconfig", kubeconfig, ...args]);

/** One line on stderr, no stack trace, nothing on stdout. */
function expectOneLineError(result: Run, code: number, pattern: RegExp): void {
  expect(result.stdout).toBe("");
  expect(result.stderr.trimEnd().split("\n"), result.stderr).toHaveLength(1);
  expect(result.stderr.trimEnd()).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.status).toBe(code);
}

describe("@kubernetes/client-node", () => {
  it("1.4.0 loads on this Node (2.x needs undici 8, which does not load on Node 20)", async () => {
    const k8s = await import("@kubernetes/client-node");
    expect(typeof k8s.KubeConfig).toBe("function");
    expect(typeof k8s.KubernetesObjectApi).toBe("function");
    expect(k8s.PatchStrategy.ServerSideApply).toBe("application/apply-patch+yaml");
    const manifest = JSON.parse(readFileSync(join(repoRoot, "node_modules/@kubernetes/client-node/package.json"), "utf8"));
    expect(manifest.version).toBe("1.4.0");
  });
});

describe("npm run verify against a cluster", () => {
  it("equal to Git: a clean report and exit 0, whatever the API server added", async () => {
    const { fake, kubeconfig } = await cluster();
    const result = await verifyDev(kubeconfig);
    expect(result.stderr).toBe("");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`verify dev: context fake, server ${fake.url}, ${git.length} objects in rendered/dev`);
    expect(result.stdout).toContain(`dry-run apply (server-side, dryRun=All): ${git.length} accepted, 0 rejected\n`);
    expect(result.stdout).toContain(`drift: 0 changed, 0 missing, 0 not in Git (namespaces ${[app, monitoring].sort().join(", ")})\n`);
    expect(result.stdout).toContain("not in Git (expected: Secrets are created by hand): 2 Secret(s)\n");
    expect(result.stdout).toContain("Argo CD Applications (namespace argocd): 7 of 7 Synced and Healthy");
    expect(lines.at(-1)).toBe("result: everything matches (exit 0)");
    expect(result.status).toBe(0);
  });

  it("asks with the right requests: a dry-run apply and a GET per object, metadata-only lists", async () => {
    const { fake, kubeconfig } = await cluster(undefined, { pageSize: 3 });
    expect((await verifyDev(kubeconfig)).status).toBe(0);

    const patches = fake.requests.filter((r) => r.method === "PATCH");
    expect(patches).toHaveLength(git.length);
    for (const patch of patches) {
      expect(patch.query).toEqual({ dryRun: "All", fieldManager: "online-boutique-gitops-verify", force: "false" });
      expect(patch.contentType).toBe("application/apply-patch+yaml");
      expect(patch.authorization).toBe("Bearer verify-test-token");
    }
    // The body is the Git object itself, every field of it: the library's typed models would
    // drop a NetworkPolicy's ingress[].from (their `_from`).
    const policy = find(git, "NetworkPolicy", "redis-cart");
    const sent = patches.find((r) => r.path === `/apis/networking.k8s.io/v1/namespaces/${app}/networkpolicies/redis-cart`)!;
    expect(JSON.parse(sent.body!)).toEqual(policy);
    expect(JSON.stringify(policy)).toContain('"from"');

    const deployment = find(git, "Deployment", "frontend");
    expect(fake.requestsTo("GET", new RegExp(`^/apis/apps/v1/namespaces/${app}/deployments/frontend$`))).toHaveLength(1);
    expect(fake.requestsTo("GET", /^\/api\/v1\/namespaces\/monitoring$/)).toHaveLength(1); // a cluster-scoped object
    expect(deployment.spec.replicas).toBe(2);

    // Lists: every listed kind in both namespaces, metadata only, page by page (3 items a page here).
    const lists = fake.requests.filter((r) => r.method === "GET" && r.query.limit !== undefined);
    for (const list of lists) expect(list.accept).toContain("as=PartialObjectMetadataList");
    for (const namespace of namespaces) {
      for (const resource of ["api/v1/namespaces/NS/secrets", "apis/apps/v1/namespaces/NS/deployments", "apis/batch/v1/namespaces/NS/jobs", "apis/networking.k8s.io/v1/namespaces/NS/networkpolicies"]) {
        expect(lists.some((r) => r.path === `/${resource.replace("NS", namespace)}`), `${resource} in ${namespace}`).toBe(true);
      }
    }
    expect(lists.some((r) => r.query.continue !== undefined)).toBe(true);
    // Events and Endpoints are never listed; no Secret is ever read whole.
    expect(fake.requests.some((r) => /\/(events|endpoints|endpointslices)$/.test(r.path))).toBe(false);
    expect(fake.requests.filter((r) => r.path.includes("/secrets")).every((r) => r.accept?.includes("as=PartialObjectMetadataList") && !/\/secrets\/./.test(r.path))).toBe(true);
    // Discovery once per API version.
    const discovery = fake.requests.filter((r) => /^\/(api\/v1|apis\/[^/]+\/[^/]+)$/.test(r.path));
    expect(discovery.length).toBe(new Set(discovery.map((r) => r.path)).size);
  });

  it("one changed field: reported with its path and both values, exit 1", async () => {
    const { kubeconfig } = await cluster((live) => {
      find(live, "Deployment", "frontend").spec.replicas = 3;
    });
    const result = await verifyDev(kubeconfig);
    expect(result.stdout).toContain("drift: 1 changed, 0 missing, 0 not in Git\n");
    expect(result.stdout).toContain(`  changed     Deployment ${app}/frontend\n                spec.replicas: Git 2, live 3\n`);
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("result: 1 changed (exit 1)");
    expect(result.status).toBe(1);
  });

  it("an object missing in the cluster: reported, exit 1; an absent Argo CD hook is not drift", async () => {
    const { kubeconfig } = await cluster((live) => {
      live.splice(live.indexOf(find(live, "Service", "loki")), 1);
      live.splice(live.indexOf(find(live, "Job", "postgres-grafana-access")), 1);
    });
    const result = await verifyDev(kubeconfig);
    expect(result.stdout).toContain("drift: 0 changed, 1 missing, 0 not in Git\n");
    expect(result.stdout).toContain(`  missing     Service ${monitoring}/loki\n`);
    expect(result.stdout).toContain(`  (absent)    Job ${app}/postgres-grafana-access: an Argo CD hook`);
    expect(result.stdout).toContain("result: 1 missing (exit 1)");
    expect(result.status).toBe(1);
  });

  it("an extra Deployment in our namespace is reported; what controllers own is not", async () => {
    const { kubeconfig } = await cluster((live) => {
      live.push({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "debug-shell", namespace: app }, spec: {} });
      // Its ReplicaSet and Pod are the controllers' (ownerReferences): not reported.
      live.push({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "debug-shell-6c9f7", namespace: app, ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "debug-shell", uid: "u" }] } });
      live.push({ apiVersion: "v1", kind: "Pod", metadata: { name: "debug-shell-6c9f7-abcde", namespace: app, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "debug-shell-6c9f7", uid: "v" }] } });
      // A Pod nobody owns was made by hand (kubectl run): reported.
      live.push({ apiVersion: "v1", kind: "Pod", metadata: { name: "tmp-curl", namespace: monitoring } });
      // Other namespaces are not ours.
      live.push({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "coredns", namespace: "kube-system" }, spec: {} });
    });
    const result = await verifyDev(kubeconfig);
    expect(result.stdout).toContain("drift: 0 changed, 0 missing, 2 not in Git\n");
    expect(result.stdout).toContain(`  not in Git  Deployment ${app}/debug-shell\n`);
    expect(result.stdout).toContain(`  not in Git  Pod ${monitoring}/tmp-curl\n`);
    expect(result.stdout).not.toMatch(/ReplicaSet|coredns|debug-shell-6c9f7|kube-root-ca|default\b|-0\n/);
    expect(result.status).toBe(1);
  });

  it("a Secret not in Git is listed by name only, and its data never appears", async () => {
    const { fake, kubeconfig } = await cluster((live) => {
      live.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "leftover-token", namespace: app }, data: { token: secretValue }, stringData: { plain: "super-secret-password" } });
    });
    for (const format of ["text", "json"]) {
      const result = await verifyDev(kubeconfig, "--format", format);
      expect(result.status, format).toBe(0); // expected: Secrets are created by hand
      expect(result.stdout).not.toContain(secretValue);
      expect(result.stdout).not.toContain("super-secret-password");
      expect(result.stdout).not.toMatch(/"?(token|password|plain)"?:/);
      if (format === "text") {
        expect(result.stdout).toContain(`not in Git (expected: Secrets are created by hand): 3 Secret(s)\n  ${app}/leftover-token\n  ${app}/redis-auth\n  ${monitoring}/grafana-database\n`);
      } else {
        const report = JSON.parse(result.stdout);
        expect(report.drift.secretsNotInGit.map((s: Json) => s.name)).toEqual(["leftover-token", "redis-auth", "grafana-database"]);
        expect(report.drift.notInGit).toEqual([]);
      }
    }
    // Only metadata was asked for: the data never left the "cluster".
    const secretRequests = fake.requests.filter((r) => r.path.includes("/secrets"));
    expect(secretRequests.length).toBeGreaterThan(0);
    for (const request of secretRequests) expect(request.accept).toContain("as=PartialObjectMetadataList");
  });

  it("dry-run refusals are reported per object with the API's message, exit 1; warnings are shown", async () => {
    const invalid = `Deployment.apps "frontend" is invalid: spec.template.spec.containers[0].image: Required value`;
    const conflict = `Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.prometheus.yml`;
    const quota = `configmaps "alloy-config" is forbidden: exceeded quota: small, requested: count/configmaps=1, used: count/configmaps=10, limited: count/configmaps=10`;
    const { kubeconfig } = await cluster(undefined, {
      rejectApply: (object) => {
        if (object.kind === "Deployment" && object.metadata.name === "frontend") return { code: 422, reason: "Invalid", message: invalid };
        if (object.kind === "ConfigMap" && object.metadata.name === "prometheus-config") return { code: 409, reason: "Conflict", message: conflict };
        // Admission answers 403 too (quota, Pod Security): an object's refusal, not RBAC's.
        if (object.kind === "ConfigMap" && object.metadata.name === "alloy-config") return { code: 403, reason: "Forbidden", message: quota };
        return undefined;
      },
      applyWarnings: (object) => (object.kind === "DaemonSet" && object.metadata.name === "node-exporter" ? ['would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true)'] : []),
    });
    const result = await verifyDev(kubeconfig);
    expect(result.stdout).toContain(`dry-run apply (server-side, dryRun=All): ${git.length - 3} accepted, 3 rejected\n`);
    expect(result.stdout).toContain(`  rejected    ConfigMap ${monitoring}/alloy-config: ${quota}\n`);
    expect(result.stdout).toContain(`  rejected    ConfigMap ${monitoring}/prometheus-config: ${conflict}\n`);
    expect(result.stdout).toContain(`  rejected    Deployment ${app}/frontend: ${invalid}\n`);
    expect(result.stdout).toContain(`  warning     DaemonSet ${monitoring}/node-exporter: would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true)\n`);
    expect(result.stdout).toContain("result: 3 rejected by the dry-run (exit 1)");
    expect(result.status).toBe(1);

    const json = JSON.parse((await verifyDev(kubeconfig, "--format", "json")).stdout);
    expect(json.dryRun.rejected.map((r: Json) => [r.kind, r.name, r.code])).toEqual([
      ["ConfigMap", "alloy-config", 403],
      ["ConfigMap", "prometheus-config", 409],
      ["Deployment", "frontend", 422],
    ]);
    expect(json.exitCode).toBe(1);
  });

  it("an Application OutOfSync and Degraded: listed with both, exit 1", async () => {
    const { kubeconfig } = await cluster((live) => {
      find(live, "Application", "dev-data").status = { sync: { status: "OutOfSync" }, health: { status: "Degraded" } };
    });
    const result = await verifyDev(kubeconfig);
    expect(result.stdout).toContain("Argo CD Applications (namespace argocd): 6 of 7 Synced and Healthy\n");
    expect(result.stdout).toMatch(/\n {2}dev-data +OutOfSync +Degraded\n/);
    expect(result.stdout).toMatch(/\n {2}dev-root +Synced +Healthy\n/);
    expect(result.stdout).toContain("result: 1 Application(s) not Synced and Healthy (exit 1)");
    expect(result.status).toBe(1);
  });

  it("a cluster without Argo CD's CRDs: one line for the kinds, not one per object", async () => {
    const { fake, kubeconfig } = await cluster((live) => live.splice(0, live.length, ...live.filter((o) => !o.apiVersion.startsWith("argoproj.io/"))), { argoCd: false });
    const result = await verifyDev(kubeconfig);
    const argo = git.filter((o) => o.apiVersion.startsWith("argoproj.io/")).length;
    expect(result.stdout).toContain(`  not served  argoproj.io/v1alpha1 Application, AppProject: the cluster does not serve argoproj.io/v1alpha1 (${argo} objects not checked; is Argo CD installed?)\n`);
    // One line for the kinds; no line per object.
    expect(result.stdout.split("\n").filter((line) => line.startsWith("  not served"))).toHaveLength(1);
    expect(result.stdout).not.toMatch(/Application argocd\/|AppProject argocd\//);
    expect(result.stdout).toContain("Argo CD Applications (namespace argocd): not checked: the cluster does not serve argoproj.io/v1alpha1 (Argo CD's CRDs are not installed)");
    expect(result.stdout).toContain(`drift: 0 changed, 0 missing, 0 not in Git`);
    expect(result.stdout).toContain(`result: ${argo} not checked (kind not served), Argo CD not checked (exit 1)`);
    expect(result.status).toBe(1);
    expect(fake.requests.some((r) => r.path.includes("/namespaces/argocd/"))).toBe(false);
  });

  it("--format json holds the same findings", async () => {
    const { fake, kubeconfig } = await cluster((live) => {
      find(live, "Deployment", "frontend").spec.replicas = 3;
      // A hand edit deep in a config file: shown by its first differing line.
      const config = find(live, "ConfigMap", "prometheus-config");
      config.data["prometheus.yml"] = config.data["prometheus.yml"].replace("scrape_interval: 30s", "scrape_interval: 5s");
    });
    const result = await verifyDev(kubeconfig, "--format", "json");
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ environment: "dev", context: "fake", server: fake.url, tree: "rendered/dev", objects: git.length, exitCode: 1, problems: ["2 changed"] });
    const configLine = (find(git, "ConfigMap", "prometheus-config").data["prometheus.yml"] as string).split("\n").findIndex((line) => line.includes("scrape_interval: 30s")) + 1;
    expect(configLine).toBeGreaterThan(0);
    expect(report.drift.changed).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: monitoring, name: "prometheus-config", fields: [{ path: 'data["prometheus.yml"]', git: `line ${configLine}: "  scrape_interval: 30s"`, live: `line ${configLine}: "  scrape_interval: 5s"` }] },
      { apiVersion: "apps/v1", kind: "Deployment", namespace: app, name: "frontend", fields: [{ path: "spec.replicas", git: "2", live: "3" }] },
    ]);
    expect(report.argocd.applications).toHaveLength(7);
    expect(result.status).toBe(1);
  });
});

describe("the comparison", () => {
  const object = (fields: Json): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "n" }, ...fields });

  it("compares Git's fields only, lists by index; zero values and quantities as the API server stores them", () => {
    const gitObject = object({
      metadata: { name: "x", namespace: "n", labels: { app: "x" }, annotations: { "a.example/b": "1" } },
      spec: { ports: [{ port: 80 }], resources: { limits: { cpu: "1000m", memory: "1Gi" } }, readOnly: false, args: [], emptyDir: {} },
    });
    const live = {
      ...structuredClone(gitObject),
      metadata: { name: "x", namespace: "n", uid: "u", labels: { app: "x", other: "y" }, annotations: { "a.example/b": "1", more: "z" } },
      spec: { ports: [{ port: 80, protocol: "TCP" }], resources: { limits: { cpu: "1", memory: "1024Mi" } } },
      status: { ready: true },
    };
    expect(fieldDrift(gitObject, live)).toEqual([]);
    live.spec.ports.push({ port: 81, protocol: "TCP" });
    live.metadata.annotations["a.example/b"] = "2";
    expect(fieldDrift(gitObject, live)).toEqual([
      { path: 'metadata.annotations["a.example/b"]', git: "1", live: "2" },
      { path: "spec.ports[1]", git: undefined, live: { port: 81, protocol: "TCP" } },
    ]);
  });

  it("shows long values around their first difference, multi-line text by line, never a Secret's", () => {
    const a = `${"x".repeat(200)}A${"y".repeat(50)}`;
    const b = `${"x".repeat(200)}B${"y".repeat(50)}`;
    const shown = shownValues({ path: "data.k", git: a, live: b }, false);
    expect(shown).toEqual({ git: `…${"x".repeat(20)}A${"y".repeat(50)}"`, live: `…${"x".repeat(20)}B${"y".repeat(50)}"` });
    expect(shownValues({ path: "data.k", git: "a\nb\nc\n", live: "a\nB\nc\n" }, false)).toEqual({ git: 'line 2: "b"', live: 'line 2: "B"' });
    expect(shownValues({ path: "data.k", git: "s3cret", live: "other" }, true)).toEqual({ git: "(hidden)", live: "(hidden)" });
  });

  it("does not count what Kubernetes and controllers create as not in Git", () => {
    const entries: LiveEntry[] = createdByKubernetes(git, namespaces).map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, owned: (o.metadata.ownerReferences ?? []).length > 0 }));
    expect(entries.some((e) => e.kind === "PersistentVolumeClaim")).toBe(true);
    expect(notInGit(entries, git as KubeObject[])).toEqual({ objects: [], secrets: [] });
  });
});

describe("npm run verify cannot ask the cluster, or is asked wrong", () => {
  it("no kubeconfig (HOME without .kube, no KUBECONFIG): exit 2, one line", async () => {
    const home = tempDir();
    const result = await verify(["--env", "dev"], { HOME: home });
    expectOneLineError(result, 2, new RegExp(`^verify: no kubeconfig: KUBECONFIG is not set and ${join(home, ".kube", "config")} does not exist`));
  });

  it("KUBECONFIG and ~/.kube/config are used when --kubeconfig is not given", async () => {
    const { fake, kubeconfig } = await cluster();
    expect((await verify(["--env", "dev"], { KUBECONFIG: kubeconfig, HOME: tempDir() })).status).toBe(0);
    // A list, merged as kubectl merges it: missing files skipped, the first current-context wins.
    const dir = tempDir();
    const first = writeKubeconfig(dir, [{ context: "other", server: "http://127.0.0.1:9" }], null, "first");
    const second = writeKubeconfig(dir, [{ context: "fake", server: fake.url }], "fake", "second");
    const list = [join(dir, "missing"), first, second].join(delimiter);
    const merged = await verify(["--env", "dev"], { KUBECONFIG: list, HOME: tempDir() });
    expect(merged.stdout).toContain("verify dev: context fake,");
    expect(merged.status).toBe(0);
    expectOneLineError(await verify(["--env", "dev"], { KUBECONFIG: join(dir, "missing"), HOME: tempDir() }), 2, /^verify: no kubeconfig: KUBECONFIG=.*missing names no existing file$/);
    const home = tempDir();
    mkdirSync(join(home, ".kube"));
    cpSync(kubeconfig, join(home, ".kube", "config"));
    expect((await verify(["--env", "dev"], { HOME: home })).status).toBe(0);
  });

  it("an unknown context: exit 2, naming the contexts there are; --context picks another", async () => {
    const { fake } = await cluster();
    const dir = tempDir();
    const kubeconfig = writeKubeconfig(dir, [
      { context: "prod-cluster", server: "http://127.0.0.1:9" },
      { context: "fake", server: fake.url },
    ]);
    expectOneLineError(await verifyDev(kubeconfig, "--context", "staging"), 2, /^verify: --context staging: no such context in .* \(contexts: prod-cluster, fake\)$/);
    expect((await verifyDev(kubeconfig, "--context", "fake")).status).toBe(0);
  });

  it("usage and configuration errors: exit 2", async () => {
    expectOneLineError(await verify(["--env", "staging"]), 2, /^verify: --env staging: no such environment \(environments\/ has: dev, prod\)$/);
    expectOneLineError(await verify(["--env", "dev", "--format", "yaml"]), 2, /^verify: --format yaml: expected text or json$/);
    expectOneLineError(await verify(["--env", "dev", "--timeout", "soon"]), 2, /^verify: --timeout soon: expected seconds/);
    expectOneLineError(await verify(["--env", "dev", "--kubeconfig", join(tempDir(), "nope")]), 2, /^verify: --kubeconfig .*nope: no such file$/);
    const noCurrent = writeKubeconfig(tempDir(), [{ context: "a", server: "http://127.0.0.1:9" }], null);
    expectOneLineError(await verifyDev(noCurrent), 2, /^verify: .*: no current context; pass --context <name> \(contexts: a\)$/);
    // @kubernetes/client-node refuses plain http without insecure-skip-tls-verify: said before any request.
    const plainHttp = join(tempDir(), "config");
    writeFileSync(plainHttp, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\ncurrent-context: a\n");
    expectOneLineError(await verifyDev(plainHttp), 2, /^verify: cluster c \(server http:\/\/127\.0\.0\.1:9\): @kubernetes\/client-node talks plain http only with insecure-skip-tls-verify: true$/);
    expectOneLineError(await verify([]), 2, /^verify: --env <name> is required \(environments\/ has: dev, prod\)$/);
    expect((await verify(["--bogus"])).status).toBe(2);
    const help = await verify(["--help"]);
    expect(help.stdout).toMatch(/^usage: npm run verify -- --env <name>/);
    expect(help.status).toBe(0);
  });

  it("a closed port: exit 3 within the timeout", async () => {
    const port = await closedPort();
    const kubeconfig = writeKubeconfig(tempDir(), [{ context: "gone", server: `http://127.0.0.1:${port}` }]);
    const result = await verifyDev(kubeconfig, "--timeout", "5");
    expectOneLineError(result, 3, new RegExp(`^verify: http://127.0.0.1:${port}: connection refused \\(is the API server running, is this the right context\\?\\)$`));
    expect(result.ms).toBeLessThan(5000);
  });

  it("a server that never answers: exit 3 after --timeout seconds", async () => {
    const silent = createServer((socket: Socket) => socket.on("error", () => {}));
    servers.push(silent);
    const sockets = new Set<Socket>();
    silent.on("connection", (socket) => (sockets.add(socket), socket.on("close", () => sockets.delete(socket))));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const kubeconfig = writeKubeconfig(tempDir(), [{ context: "slow", server: `http://127.0.0.1:${port}` }]);
    const result = await verifyDev(kubeconfig, "--timeout", "1");
    for (const socket of sockets) socket.destroy();
    expectOneLineError(result, 3, new RegExp(`http://127.0.0.1:${port}: no answer within 1 s \\(--timeout\\)$`));
    expect(result.ms).toBeGreaterThanOrEqual(950);
    expect(result.ms).toBeLessThan(4000);
  });

  const generators: [string, (name: string) => Certificate][] = [["node's crypto", cryptoCertificate], ...(hasOpenssl() ? [["openssl", opensslCertificate] as [string, (name: string) => Certificate]] : [])];
  it.each(generators)("TLS (certificates by %s): trusted by the kubeconfig's CA it works; another CA is exit 3 naming TLS", async (_, make) => {
    const served = make("fake-kube-api");
    const other = make("some-other-ca");
    const namespaceObjects = readRenderedTree(join(small, "rendered/dev"), "rendered/dev").map((entry) => entry.object as Json);
    const fake = await FakeKubeApi.start({ objects: [...namespaceObjects.map(liveOf), ...createdByKubernetes(namespaceObjects, namespaces)], tls: served });
    fakes.push(fake);
    const inSmall = (kubeconfig: string) => verify(["--env", "dev", "--kubeconfig", kubeconfig], { HOME: tempDir() }, small);
    const trusted = await inSmall(writeKubeconfig(tempDir(), [{ context: "tls", server: fake.url, ca: served.cert }]));
    expect(trusted.stdout).toContain(`verify dev: context tls, server ${fake.url}, ${namespaceObjects.length} objects in rendered/dev`);
    expect(trusted.status).toBe(0);
    const untrusted = await inSmall(writeKubeconfig(tempDir(), [{ context: "tls", server: fake.url, ca: other.cert }]));
    expectOneLineError(untrusted, 3, new RegExp(`^verify: ${fake.url}: TLS failure: .*certificate.* \\([A-Z_]+\\); check the cluster's certificate-authority`));
  });

  it("403 on a list: exit 3 naming the verb, the resource and the namespace", async () => {
    const { kubeconfig } = await cluster(undefined, { forbid: [{ verb: "list", resource: "secrets", namespace: monitoring }] });
    expectOneLineError(await verifyDev(kubeconfig), 3, new RegExp(`^verify: list secrets in namespace ${monitoring}: forbidden \\(403\\): secrets is forbidden: User "verify-test" cannot list resource "secrets"`));
  });

  it("403 from RBAC on the dry-run (a read-only account): exit 3 naming patch", async () => {
    const { kubeconfig } = await cluster(undefined, { forbid: [{ verb: "patch", resource: "deployments" }] });
    expectOneLineError(await verifyDev(kubeconfig), 3, /^verify: patch deployments\.apps in namespace [a-z-]+: forbidden \(403\): deployments\.apps "[a-z-]+" is forbidden: User "verify-test" cannot patch resource "deployments"/);
  });

  it("credentials refused (401): exit 3", async () => {
    const { fake } = await cluster();
    const kubeconfig = writeKubeconfig(tempDir(), [{ context: "fake", server: fake.url, token: "expired" }]);
    expectOneLineError(await verifyDev(kubeconfig), 3, /^verify: discovery of [^:]+: unauthorized \(401\): the API server did not accept the credentials of context fake \(user fake-user\)$/);
  });
});

describe("npm run verify as users start it", () => {
  it("node generator/run.mjs verify runs the bundle (dist/verify.mjs) against the cluster", async () => {
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts.verify).toBe("node generator/run.mjs verify");
    const help = await run(process.execPath, ["generator/run.mjs", "verify", "--help"], { cwd: repoRoot });
    expect(help.stdout).toMatch(/^usage: npm run verify -- --env <name>/);

    const { kubeconfig } = await cluster((live) => {
      find(live, "Deployment", "frontend").spec.replicas = 3;
    });
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const result = await run(process.execPath, [join(repoRoot, "dist/verify.mjs"), "--env", "dev", "--root", scratch], { cwd: scratch, env }).catch((error) => error as { code: number; stdout: string; stderr: string });
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stdout).toContain("spec.replicas: Git 2, live 3");
    expect(result.stderr).toBe("");
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
