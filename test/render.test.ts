// The render CLI: deterministic output, --check drift detection, deletion of files no longer
// produced, and atomic writes (an error leaves rendered/ exactly as it was).
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { afterEach, describe, expect, it } from "vitest";
import { apps } from "../apps/index";
import type { App } from "../apps/lib/app";
import { main, runRender } from "../generator/cli";
import { ObjectValidationError } from "../core/errors";
import { writeRendered } from "../generator/output";
import { cliNodeArgs } from "../generator/cli-command.mjs";
import { repoRoot, runCli, scratchRepo, treeDigest } from "./support/repo";

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
    const result = runCli(["--check", "--root", repoRoot]);
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
    const result = runCli(["--check", "--root", repoRoot]);
    expect(result.stdout).toMatch(/^dev: \d+ objects, requests \d+\.\d\d CPU, \d+\.\d\d GiB memory$/m);
    expect(result.stdout).toMatch(/^prod: \d+ objects, requests \d+\.\d\d CPU, \d+\.\d\d GiB memory$/m);
  });

  it("one object per file, at rendered/<env>/<group>/<app>/<kind>-<name>.yaml, with apiVersion and kind first", () => {
    const files = readdirSync(join(repoRoot, "rendered", "prod", "online-boutique", "frontend")).sort();
    expect(files).toEqual(["deployment-frontend.yaml", "horizontalpodautoscaler-frontend.yaml", "ingress-frontend.yaml", "poddisruptionbudget-frontend.yaml", "service-frontend.yaml", "serviceaccount-frontend.yaml"]);
    const text = runCli(["--check", "--root", repoRoot]).stdout;
    expect(text).not.toContain("stale");
  });
});

describe("render --check", () => {
  it("a hand edit to a rendered file makes --check exit 1 and name the file", () => {
    const root = scratch();
    appendFileSync(join(root, "rendered/prod/online-boutique/cartservice/deployment-cartservice.yaml"), "# tweak\n");
    const result = runCli(["--check", "--root", root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("stale    rendered/prod/online-boutique/cartservice/deployment-cartservice.yaml");
  });

  it("names missing and extra files, and writes nothing", () => {
    const root = scratch();
    rmSync(join(root, "rendered/dev/data/redis-cart/service-redis-cart.yaml"));
    writeFileSync(join(root, "rendered/dev/data/redis-cart/configmap-leftover.yaml"), "kind: ConfigMap\n");
    const before = treeDigest(join(root, "rendered"));
    const result = runCli(["--check", "--root", root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("missing  rendered/dev/data/redis-cart/service-redis-cart.yaml");
    expect(result.stdout).toContain("extra    rendered/dev/data/redis-cart/configmap-leftover.yaml");
    expect(treeDigest(join(root, "rendered"))).toEqual(before);
  });

  it("--env may be given more than once: each named environment is rendered, the others are left alone", () => {
    const root = scratch();
    const result = runCli(["--root", root, "--check", "--env", "prod", "--env", "dev", "--env", "prod"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^dev: \d+ objects.*\nprod: \d+ objects/);
    expect(result.status).toBe(0);
    expect(runCli(["--root", root, "--env", "dev", "--env", "staging"]).stderr).toMatch(/--env staging: no such environment \(environments\/ has: dev, prod\)/);
  });

  it("--env limits the check and the render to one environment", () => {
    const root = scratch();
    appendFileSync(join(root, "rendered/prod/argocd/application-prod-root.yaml"), "# tweak\n");
    writeFileSync(join(root, "rendered/dev/online-boutique/frontend/deployment-old.yaml"), "kind: Deployment\n");
    const prodBefore = treeDigest(join(root, "rendered/prod"));
    expect(runCli(["--check", "--env", "dev", "--root", root]).status).toBe(1);
    const result = runCli(["--env", "dev", "--root", root]);
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
    expect(runCli(["--root", root]).status).toBe(0);
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
    const errors: string[] = [];
    const original = console.error;
    console.error = (message: string) => errors.push(message);
    try {
      expect(main(["--root", root], [...apps, badName])).toBe(1);
    } finally {
      console.error = original;
    }
    expect(errors.join("\n")).toMatch(/service-Frontend_2\.yaml: \/metadata\/name: name "Frontend_2" is not a valid Service name/);
    expect(errors.join("\n")).not.toMatch(/\n\s+at /);
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
    expect(() => writeRendered(root, "rendered", ["dev", "prod"], files, true)).toThrow();
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

  it("a standalone volume claim of a record that no app renders fails the render", () => {
    const root = scratch();
    const withoutClaims = apps.map((app) => (app.name === "postgres" ? { ...app, render: (context: Parameters<App["render"]>[0]) => app.render(context).filter((o) => o.kind !== "PersistentVolumeClaim") } : app));
    expect(() => runRender(["--root", root, "--env", "prod"], withoutClaims)).toThrow(/postgres-backup's record has volume claim postgres-backups, but no app renders it/);
  });
});
