// The render CLI: deterministic output, --check drift detection, deletion of files no longer
// produced, and atomic writes (an error leaves rendered/ exactly as it was).
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import { afterEach, describe, expect, it } from "vitest";
import { apps } from "../apps/index";
import type { App } from "../apps/lib/app";
import { runRender } from "../generator/cli";
import { ObjectValidationError } from "../core/errors";
import { listFiles, syncRendered } from "../generator/output";
import { cliNodeArgs } from "../generator/cli-command.mjs";
import { repoRoot, runCli, scratchRepo, treeDigest } from "./support/repo";
import { render, renderInProcess } from "./support/render";
import { formatQuantities, requestedResources } from "../generator/summary";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

function scratch() {
  const repo = scratchRepo();
  cleanups.push(repo.cleanup);
  return repo.root;
}

describe("render output", () => {
  it("the committed rendered/ is exactly what the generator produces", () => {
    // Checked in a copy: other test files read the repository's own rendered/ at the same time,
    // and a wait for their lock would be said on stderr.
    const result = runCli(["--check", "--root", scratch()]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/rendered\/ is up to date/);
    expect(result.status).toBe(0);
  });

  it("rendering twice, in another timezone and locale, gives byte-identical trees", () => {
    const first = scratch();
    const second = scratch();
    rmSync(join(first, "rendered"), { recursive: true });
    rmSync(join(second, "rendered"), { recursive: true });
    expect(runCli(["--root", first], { TZ: "UTC", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" }).status).toBe(0);
    expect(runCli(["--root", second], { TZ: "Pacific/Kiritimati", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" }).status).toBe(0);
    const digest = treeDigest(join(first, "rendered"));
    expect(Object.keys(digest).length).toBeGreaterThan(80);
    expect(treeDigest(join(second, "rendered"))).toEqual(digest);
  });

  it("prints one summary line per environment: objects and requested CPU and memory", () => {
    const result = renderInProcess(["--check", "--root", repoRoot]);
    expect(result.stdout).toMatch(/^dev: \d+ objects, requests \d+\.\d\d CPU, \d+\.\d\d GiB memory$/m);
    expect(result.stdout).toMatch(/^prod: \d+ objects, requests \d+\.\d\d CPU, \d+\.\d\d GiB memory$/m);
  });

  it("an environment's files come sorted by path, and its AppProject lists the kinds it allows sorted by group and kind", () => {
    const { files, objects } = render("prod");
    const paths = files.map((file) => file.path);
    expect(paths).toEqual([...paths].sort());
    const project = objects.find((object) => object.kind === "AppProject" && (object as { metadata: { name: string } }).metadata.name === "prod") as { spec: Record<string, { group: string; kind: string }[]> };
    for (const list of [project.spec.namespaceResourceWhitelist!, project.spec.clusterResourceWhitelist!]) {
      const keys = list.map(({ group, kind }) => `${group}/${kind}`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it("one object per file, at rendered/<env>/<group>/<app>/<kind>-<name>.yaml, with apiVersion and kind first", () => {
    const files = readdirSync(join(repoRoot, "rendered", "prod", "online-boutique", "frontend")).sort();
    expect(files).toEqual(["deployment-frontend.yaml", "horizontalpodautoscaler-frontend.yaml", "ingress-frontend.yaml", "poddisruptionbudget-frontend.yaml", "service-frontend.yaml", "serviceaccount-frontend.yaml"]);
    const text = renderInProcess(["--check", "--root", repoRoot]).stdout;
    expect(text).not.toContain("stale");
  });
});

describe("render --check", () => {
  it("a hand edit to a rendered file makes --check exit 1 and name the file", () => {
    const root = scratch();
    appendFileSync(join(root, "rendered/prod/online-boutique/cartservice/deployment-cartservice.yaml"), "# tweak\n");
    const result = renderInProcess(["--check", "--root", root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("stale    rendered/prod/online-boutique/cartservice/deployment-cartservice.yaml");
  });

  it("names missing and extra files, and writes nothing", () => {
    const root = scratch();
    rmSync(join(root, "rendered/dev/data/redis-cart/service-redis-cart.yaml"));
    writeFileSync(join(root, "rendered/dev/data/redis-cart/configmap-leftover.yaml"), "kind: ConfigMap\n");
    const before = treeDigest(join(root, "rendered"));
    const result = renderInProcess(["--check", "--root", root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("missing  rendered/dev/data/redis-cart/service-redis-cart.yaml");
    expect(result.stdout).toContain("extra    rendered/dev/data/redis-cart/configmap-leftover.yaml");
    expect(treeDigest(join(root, "rendered"))).toEqual(before);
  });

  it("--env may be given more than once: each named environment is rendered, the others are left alone", () => {
    const root = scratch();
    const result = renderInProcess(["--root", root, "--check", "--env", "prod", "--env", "dev", "--env", "prod"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^dev: \d+ objects.*\nprod: \d+ objects/);
    expect(result.status).toBe(0);
    expect(renderInProcess(["--root", root, "--env", "dev", "--env", "staging"]).stderr).toMatch(/--env staging: no such environment \(environments\/ has: dev, prod\)/);
  });

  it("--env limits the check and the render to one environment", () => {
    const root = scratch();
    appendFileSync(join(root, "rendered/prod/argocd/application-prod-root.yaml"), "# tweak\n");
    writeFileSync(join(root, "rendered/dev/online-boutique/frontend/deployment-old.yaml"), "kind: Deployment\n");
    const prodBefore = treeDigest(join(root, "rendered/prod"));
    expect(renderInProcess(["--check", "--env", "dev", "--root", root]).status).toBe(1);
    const result = renderInProcess(["--env", "dev", "--root", root]);
    expect(result.stdout).toMatch(/^dev: /m);
    expect(result.stdout).not.toMatch(/^prod: /m);
    // dev is rendered (its stray file deleted); prod is left exactly as it was, tweak and all.
    expect(treeDigest(join(root, "rendered/dev"))).toEqual(treeDigest(join(repoRoot, "rendered/dev")));
    expect(treeDigest(join(root, "rendered/prod"))).toEqual(prodBefore);
    expect(treeDigest(join(root, "rendered/prod"))).not.toEqual(treeDigest(join(repoRoot, "rendered/prod")));
  });
});

describe("render writes", () => {
  it("deletes files it no longer produces, including whole environments", () => {
    const root = scratch();
    mkdirSync(join(root, "rendered/retired/online-boutique"), { recursive: true });
    writeFileSync(join(root, "rendered/retired/online-boutique/deployment-x.yaml"), "kind: Deployment\n");
    writeFileSync(join(root, "rendered/dev/online-boutique/frontend/deployment-old.yaml"), "kind: Deployment\n");
    expect(renderInProcess(["--root", root]).status).toBe(0);
    expect(existsSync(join(root, "rendered/retired"))).toBe(false);
    expect(existsSync(join(root, "rendered/dev/online-boutique/frontend/deployment-old.yaml"))).toBe(false);
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
  });

  it("an unknown field in a generated object fails the render and leaves rendered/ unchanged", () => {
    const root = scratch();
    const before = treeDigest(join(root, "rendered"));
    const typo: App = {
      name: "typo",
      group: "online-boutique",
      namespace: "app",
      component: "test",
      workloads: [],
      render: (context) => [new Service({ metadata: { name: "typo", namespace: context.settings.namespaces.app }, spec: { ports: [{ port: 80 }], selector: { app: "typo" }, tpye: "ClusterIP" } as never })],
    };
    expect(() => runRender(["--root", root], [...apps, typo])).toThrow(ObjectValidationError);
    expect(() => runRender(["--root", root], [...apps, typo])).toThrow(/rendered\/dev\/online-boutique\/typo\/service-typo\.yaml: \/spec\/tpye: unknown field "tpye" \(did you mean "type"\?\)/);
    expect(treeDigest(join(root, "rendered"))).toEqual(before);
  });

  it("an invalid name fails the render with exit 1, a clear message and no stack trace", () => {
    const root = scratch();
    const before = treeDigest(join(root, "rendered"));
    const badName: App = {
      name: "bad-name",
      group: "online-boutique",
      namespace: "app",
      component: "test",
      workloads: [],
      render: (context) => [new Service({ metadata: { name: "Frontend_2", namespace: context.settings.namespaces.app }, spec: { ports: [{ port: 80 }] } })],
    };
    const result = renderInProcess(["--root", root], [...apps, badName]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^render: environment dev: 1 problem\(s\) with the generated objects:\n  rendered\/dev\/online-boutique\/bad-name\/service-Frontend_2\.yaml: \/metadata\/name: name "Frontend_2" is not a valid Service name/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(treeDigest(join(root, "rendered"))).toEqual(before);
  });

  it("a rendered/ folder the user may not write: one line, exit 2, nothing changed, nothing left behind", () => {
    const root = scratch();
    // A change to render, so the run must write.
    const prod = join(root, "environments", "prod", "settings.yaml");
    writeFileSync(prod, readFileSync(prod, "utf8").replace("maxReplicas: 10", "maxReplicas: 11"));
    // The bundle is self-contained: a copy runs where an unprivileged user can read it.
    const bundle = join(root, "render.mjs");
    copyFileSync(join(repoRoot, cliNodeArgs("render", ".")[0]!), bundle);
    // Root ignores permissions: run as nobody, owning everything but rendered/dev.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(root, 0o755);
      execFileSync("chown", ["-R", "65534:65534", root]);
    }
    chmodSync(join(root, "rendered", "dev"), 0o555);
    const before = treeDigest(join(root, "rendered"));
    const result = spawnSync(process.execPath, [bundle, "--root", root], { encoding: "utf8", cwd: root, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    chmodSync(join(root, "rendered", "dev"), 0o755);
    expect(result.stderr).toBe("render: rendered/dev: not writable, so rendered/ cannot be replaced; nothing was changed\n");
    expect(result.status).toBe(2);
    expect(treeDigest(join(root, "rendered"))).toEqual(before);
    expect(readdirSync(root).filter((entry) => entry.startsWith("."))).toEqual([]);
  });

  it("a failure while writing leaves rendered/ as it was and no staging folder behind", () => {
    const root = scratch();
    const before = treeDigest(join(root, "rendered"));
    // The second file needs "dev/a" to be a folder, but the first made it a file: mkdir fails midway.
    const files = [
      { path: "rendered/dev/a", content: "one\n" },
      { path: "rendered/dev/a/b.yaml", content: "two\n" },
    ];
    expect(() => syncRendered(root, "rendered", ["dev", "prod"], files, true)).toThrow();
    expect(treeDigest(join(root, "rendered"))).toEqual(before);
    expect(readdirSync(root).filter((entry) => entry.startsWith("."))).toEqual([]);
  });
});

// The settings decide which workloads run; the apps must build exactly those, as their records say.
describe("apps and the settings agree", () => {
  const platformApp = (name: string, build: App["render"]): App => ({ name, group: "platform", namespace: "app", component: "test", workloads: [], render: build });
  const rogueDeployment = (name: string) => platformApp(`builds-${name}`, (context) => [new Deployment({ metadata: { name, namespace: context.settings.namespaces.app }, spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "x", image: "busybox:1.37.0" }] } } } })]);

  it("a workload the settings deploy but no app builds fails the render", () => {
    const root = scratch();
    expect(() => runRender(["--root", root, "--env", "dev"], apps.filter((app) => app.name !== "redis-cart"))).toThrow(/the settings deploy redis-cart \(a Deployment\), but no app builds it/);
  });

  it("a workload built by an app that does not own it, or in an environment that does not run it, fails the render", () => {
    const root = scratch();
    expect(() => runRender(["--root", root, "--env", "dev"], [...apps, rogueDeployment("redis")])).toThrow(/app builds-redis builds Deployment redis, which is not among its workloads \(none\)[^]*app builds-redis builds redis, which the settings do not deploy/);
  });

  it("a workload built as another kind than its record's fails the render", () => {
    const root = scratch();
    expect(() => runRender(["--root", root, "--env", "dev"], [...apps, rogueDeployment("postgres")])).toThrow(/app builds-postgres builds postgres as a Deployment; its record says StatefulSet/);
  });

  it("two objects of the same kind, namespace and name fail the render, naming the file and both apps", () => {
    const root = scratch();
    const config = (name: string) => platformApp(name, (context) => [new ConfigMap({ metadata: { name: "shared", namespace: context.settings.namespaces.app }, data: { from: name } })]);
    const twice = platformApp("twice", (context) => [new ConfigMap({ metadata: { name: "same", namespace: context.settings.namespaces.app } }), new ConfigMap({ metadata: { name: "same", namespace: context.settings.namespaces.app } })]);
    expect(() => runRender(["--root", root, "--env", "dev"], [...apps, config("one"), config("two")])).toThrow(/\n  rendered\/dev\/platform\/two\/configmap-shared\.yaml: ConfigMap microservices-demo\/shared \(v1\) is built twice \(also by app one\)$/);
    expect(() => runRender(["--root", root, "--env", "dev"], [...apps, twice])).toThrow(/rendered\/dev\/platform\/twice\/configmap-same\.yaml: ConfigMap microservices-demo\/same \(v1\) is built twice \(also by app twice\)\n  rendered\/dev\/platform\/twice\/configmap-same\.yaml: written twice \(also by twice\)$/);
  });

  it("a standalone volume claim of a record that no app renders fails the render", () => {
    const root = scratch();
    const withoutClaims = apps.map((app) => (app.name === "postgres" ? { ...app, render: (context: Parameters<App["render"]>[0]) => app.render(context).filter((o) => o.kind !== "PersistentVolumeClaim") } : app));
    expect(() => runRender(["--root", root, "--env", "prod"], withoutClaims)).toThrow(/postgres-backup's record has volume claim postgres-backups, but no app renders it/);
  });
});

// What the render tells its user, line by line (in this process: test/bundle.test.ts runs the bundle).
describe("render CLI messages", () => {
  const fileCount = () => listFiles(join(repoRoot, "rendered"), repoRoot).length;
  const summaryLine = (environment: string) => {
    const { objects } = render(environment);
    return `${environment}: ${objects.length} objects, ${formatQuantities(requestedResources(objects))}`;
  };

  it("--help prints the usage and exits 0; an unknown option is a usage error (exit 2)", () => {
    expect(renderInProcess(["--help"])).toEqual({ status: 0, stdout: "usage: npm run render -- [--check] [--env <name> ...] [--root <repo>] [--timings]\n", stderr: "" });
    const unknown = renderInProcess(["--chek"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^render: Unknown option '--chek'[^]*\nusage: npm run render -- /);
  });

  it("--check on an up-to-date tree: the summary, the example values still set, and the file count", () => {
    const root = scratch();
    const result = renderInProcess(["--check", "--root", root]);
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      summaryLine("dev"),
      summaryLine("prod"),
      'dev: example values still set (images.orderPersistence, monitoring.alertmanager.receivers.on-call.webhook.url, kubernetesApi.cidrs.0, nodes.cidrs.0, argocd.repoURL): change them before the first sync (README "Before the first sync")',
      'prod: example values still set (images.orderPersistence, frontendExposure.host, monitoring.alertmanager.receivers.pager.webhook.url, monitoring.alertmanager.receivers.dead-mans-switch.webhook.url, monitoring.grafana.exposure.host, monitoring.loki.storage.bucket, monitoring.loki.storage.endpoint, monitoring.loki.storage.cidrs.0, kubernetesApi.cidrs.0, nodes.cidrs.0, argocd.repoURL): change them before the first sync (README "Before the first sync")',
      `rendered/ is up to date (${fileCount()} files)`,
      "",
    ]);
  });

  it("an environment whose settings carry no example value gets no reminder", () => {
    const root = scratch();
    const dev = join(root, "environments/dev/settings.yaml");
    const text = readFileSync(dev, "utf8");
    const examples = [...new Set(text.match(/[^\s"']*example[^\s"']*/g))];
    expect(examples.length).toBeGreaterThan(0);
    // Example names, and the documentation address standing for the API server's.
    writeFileSync(dev, examples.reduce((t, example) => t.split(example).join(example.replace(/example/g, "acme")), text).replace("192.0.2.10/32", "10.96.0.1/32").replace("198.51.100.0/24", "10.0.0.0/24"));
    const result = renderInProcess(["--check", "--env", "dev", "--root", root]);
    expect(result.stderr).toBe("");
    expect(result.stdout).not.toContain("example values");
  });

  it("a render with nothing to change says so and rewrites nothing", () => {
    const root = scratch();
    const file = join(root, "rendered/dev/online-boutique/frontend/service-frontend.yaml");
    const before = statSync(file).mtimeMs;
    const result = renderInProcess(["--root", root]);
    expect(result.stdout.endsWith(`\nrendered/ unchanged (${fileCount()} files)\n`)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("a render that writes counts what changed, was added and was deleted", () => {
    const root = scratch();
    appendFileSync(join(root, "rendered/prod/online-boutique/cartservice/deployment-cartservice.yaml"), "# tweak\n");
    rmSync(join(root, "rendered/dev/data/redis-cart/service-redis-cart.yaml"));
    writeFileSync(join(root, "rendered/dev/extra-1.yaml"), "x\n");
    writeFileSync(join(root, "rendered/dev/extra-2.yaml"), "x\n");
    const result = renderInProcess(["--root", root]);
    expect(result.status).toBe(0);
    expect(result.stdout.endsWith(`\nwrote ${fileCount()} files to rendered/ (1 changed, 1 added, 2 deleted)\n`)).toBe(true);
    expect(treeDigest(join(root, "rendered"))).toEqual(treeDigest(join(repoRoot, "rendered")));
  });

  it("--check on a drifted tree advises the render and lists each file, indented", () => {
    const root = scratch();
    appendFileSync(join(root, "rendered/prod/online-boutique/cartservice/deployment-cartservice.yaml"), "# tweak\n");
    const result = renderInProcess(["--check", "--root", root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\nrendered\/ is out of date \(1 file\(s\)\); run `npm run render` and commit the result:\n {2}stale {4}rendered\/prod\/online-boutique\/cartservice\/deployment-cartservice\.yaml\n$/);
  });

  it("--timings adds a timing report on stderr; without it stderr stays empty", () => {
    const root = scratch();
    expect(renderInProcess(["--check", "--root", root]).stderr).toBe("");
    expect(renderInProcess(["--check", "--timings", "--root", root]).stderr).toMatch(/^timings:\n {2}settings +\d+\.\d ms\n[^]* {2}compare +\d+\.\d ms\n/);
  });

  it("another environment's broken settings do not stop the render of the one asked for", () => {
    const root = scratch();
    writeFileSync(join(root, "environments/prod/settings.yaml"), "replicas: [\n");
    const result = renderInProcess(["--check", "--env", "dev", "--root", root]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(renderInProcess(["--check", "--root", root]).status).toBe(2);
  });
});
