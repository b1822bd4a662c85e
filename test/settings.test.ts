// Environment settings are data checked against a JSON Schema: a bad file gives file, line,
// path and what was expected, exit code 2, no stack trace, and rendered/ stays as it was.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, scratchRepo, treeDigest } from "./support/repo";
import { renderInProcess } from "./support/render";

const prodSettings = "environments/prod/settings.yaml";
const devSettings = "environments/dev/settings.yaml";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

/** Renders a scratch copy whose settings file was edited by `edit`; returns the CLI result and whether rendered/ changed. */
function renderWithSettings(settingsFile: string, edit: (text: string) => string) {
  const repo = scratchRepo();
  cleanups.push(repo.cleanup);
  const file = join(repo.root, settingsFile);
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  const before = treeDigest(join(repo.root, "rendered"));
  const result = renderInProcess(["--root", repo.root]);
  const after = treeDigest(join(repo.root, "rendered"));
  return { ...result, renderedUnchanged: JSON.stringify(before) === JSON.stringify(after) };
}

const renderWithProdSettings = (edit: (text: string) => string) => renderWithSettings(prodSettings, edit);

function expectSettingsError(result: ReturnType<typeof renderWithProdSettings>, ...fragments: (string | RegExp)[]) {
  expect(result.status).toBe(2);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(result.stdout).toBe("");
  for (const fragment of fragments) expect(result.stderr).toMatch(fragment);
  expect(result.renderedUnchanged).toBe(true);
}

describe("bad settings are rejected with file, path and what was expected", () => {
  it("YAML syntax error names file, line and column", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}\n", "replicas: [\n"));
    expectSettingsError(result, /environments\/prod\/settings\.yaml:\d+:\d+: YAML syntax/);
  });

  it("an unknown key is named, with the keys that are allowed", () => {
    const result = renderWithProdSettings((text) => text.replace("availability:\n", "availability:\n  podDisruptionBudget: true\n"));
    expectSettingsError(result, /settings\.yaml:\d+:3: \/availability\/podDisruptionBudget: unknown key "podDisruptionBudget" \(expected one of: level, podDisruptionBudgets, topologySpread\)/);
  });

  it("a value of the wrong type says which type was expected", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}", 'replicas:\n  checkoutservice: "three"'));
    expectSettingsError(result, /\/replicas\/checkoutservice: expected integer, got string "three"/);
  });

  it("a missing key is named at its parent", () => {
    const result = renderWithProdSettings((text) => text.replace(/\n  tag: v0\.10\.6/, ""));
    expectSettingsError(result, /settings\.yaml:\d+:\d+: \/images: missing key "tag"/);
  });

  it("an unknown exposure type lists the valid ones", () => {
    const result = renderWithProdSettings((text) => text.replace("type: Ingress", "type: Route"));
    expectSettingsError(result, /\/frontendExposure: expected "type" to be one of "LoadBalancer", "NodePort", "Ingress", "HTTPRoute", got "Route"/);
  });

  it("the latest tag is refused", () => {
    const result = renderWithProdSettings((text) => text.replace("tag: v0.10.6", "tag: latest"));
    expectSettingsError(result, /\/images\/tag: expected a release tag such as v0\.10\.6 \(never latest: the image would change under the same manifest\), got "latest"$/m);
  });

  it("an unknown workload in replicas is refused", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}", "replicas:\n  cartsrvice: 2"));
    expectSettingsError(result, /\/replicas\/cartsrvice: unknown name "cartsrvice"/);
  });

  it("a replica count on an autoscaled workload is refused: the HPA owns it", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}", "replicas:\n  frontend: 3"));
    expectSettingsError(result, /\/replicas\/frontend: expected no replica count: autoscaling\.frontend owns it/);
  });

  it("every problem of a file is reported in one run", () => {
    const result = renderWithProdSettings((text) => text.replace("podDisruptionBudgets: true", "podDisruptionBudgets: yes please").replace("targetRevision: main", "targetRevision: 7\n  extra: 1"));
    expectSettingsError(result, /podDisruptionBudgets: expected boolean/, /\/argocd\/targetRevision: expected string/, /unknown key "extra"/);
  });

  it("an environment folder without settings is named", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    mkdirSync(join(repo.root, "environments", "staging"));
    const result = runCli(["--root", repo.root]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("environments/staging/settings.yaml: missing");
  });
});

// The settings decide once which workloads run and how many replicas each has; what contradicts
// the contract is refused there, at its line, instead of rendering and failing the policy run.
describe("settings that contradict the architecture contract are refused when they load", () => {
  it("production without PodDisruptionBudgets", () => {
    const result = renderWithProdSettings((text) => text.replace("podDisruptionBudgets: true", "podDisruptionBudgets: false"));
    expectSettingsError(result, /environments\/prod\/settings\.yaml:19:3: \/availability\/podDisruptionBudgets: expected true: frontend, checkoutservice, productcatalogservice, cartservice, currencyservice, paymentservice, shippingservice, redis, redis-sentinel, postgres, order-persistence, alertmanager, prometheus, grafana, loki, otel-collector run more than one replica/);
  });

  it("several Lokis on filesystem storage (each would see only its own logs)", () => {
    const result = renderWithProdSettings((text) => text.replace(/    storage:\n      type: s3\n(      [^\n]*\n)+/, "    storage:\n      type: filesystem\n"));
    expectSettingsError(result, /environments\/prod\/settings\.yaml:\d+:7: \/monitoring\/loki\/storage\/type: expected s3: 3 Loki replicas share one store, and a filesystem store serves one replica only/);
  });

  it("production without spreading across nodes", () => {
    const result = renderWithProdSettings((text) => text.replace("topologySpread: true", "topologySpread: false"));
    expectSettingsError(result, /settings\.yaml:20:3: \/availability\/topologySpread: expected true: .* must spread across nodes/);
  });

  it("production without Redis Sentinel: the production minimum names redis and its sentinels", () => {
    const result = renderWithProdSettings((text) => text.replace("redisSentinel: true", "redisSentinel: false"));
    expectSettingsError(result, /settings\.yaml:25:3: \/dataTier\/redisSentinel: availability level production requires redis \(3 replicas\), redis-sentinel \(3 replicas\), which this setting leaves out/);
  });

  it("a replica count under the production minimum", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}", "replicas:\n  checkoutservice: 2"));
    expectSettingsError(result, /settings\.yaml:13:3: \/replicas\/checkoutservice: expected at least 3 \(the contract's production minimum for checkoutservice\), got 2/);
  });

  it("an autoscaling minimum under the production minimum", () => {
    const result = renderWithProdSettings((text) => text.replace("    maxReplicas: 10", "    minReplicas: 2\n    maxReplicas: 10"));
    expectSettingsError(result, /\/autoscaling\/frontend\/minReplicas: expected at least 3 \(the contract's production minimum for frontend\), got 2/);
  });

  it("replicas for a workload the environment does not run", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}", "replicas:\n  redis-cart: 1"));
    expectSettingsError(result, /\/replicas\/redis-cart: redis-cart does not run in this environment \(\/dataTier\/redisSentinel leaves it out\)/);
  });

  it("autoscaling for a workload that is not a Deployment", () => {
    const result = renderWithProdSettings((text) => text.replace("autoscaling:\n", "autoscaling:\n  postgres:\n    maxReplicas: 4\n    targetCPUUtilizationPercentage: 50\n"));
    expectSettingsError(result, /\/autoscaling\/postgres: expected a Deployment: postgres is a StatefulSet, which is not autoscaled/);
  });

  it("a replica count for a CronJob", () => {
    const result = renderWithProdSettings((text) => text.replace("replicas: {}", "replicas:\n  postgres-backup: 2"));
    expectSettingsError(result, /\/replicas\/postgres-backup: expected a Deployment or StatefulSet: postgres-backup is a CronJob, which has no replica count/);
  });

  it("a production Ingress without a TLS certificate", () => {
    const result = renderWithProdSettings((text) => text.replace("  tlsSecretName: shop-example-com-tls\n", ""));
    expectSettingsError(result, /\/frontendExposure: missing key "tlsSecretName": availability level production serves shop\.example\.com over TLS only/);
  });

  it("production runs our own image by digest: a tag can be pushed again", () => {
    const result = renderWithProdSettings((text) => text.replace(/(orderPersistence: \S+:0\.1\.0)@sha256:0{64}/, "$1"));
    expectSettingsError(result, /prod\/settings\.yaml:\d+:3: \/images\/orderPersistence: expected an image pinned by digest .*availability level production never runs a movable tag/);
  });

  it("an image reference with a tag and a malformed digest", () => {
    const result = renderWithProdSettings((text) => text.replace(/@sha256:0{64}/, "@sha256:abc"));
    expectSettingsError(result, /\/images\/orderPersistence: expected an image pinned by tag \(not latest\), digest or both/);
  });

  it("a PostgreSQL primary ordinal that no pod has", () => {
    const result = renderWithSettings(devSettings, (text) => text.replace("postgresPrimary: 0", "postgresPrimary: 1"));
    expectSettingsError(result, /environments\/dev\/settings\.yaml:\d+:3: \/dataTier\/postgresPrimary: expected an ordinal below 1 \(postgres runs 1 pod\), got 1/);
  });

  it("development may run more replicas, but then needs PDBs too", () => {
    const result = renderWithSettings(devSettings, (text) => text.replace("replicas: {}", "replicas:\n  frontend: 2").replace("podDisruptionBudgets: true", "podDisruptionBudgets: false"));
    expectSettingsError(result, /\/availability\/podDisruptionBudgets: expected true: frontend runs more than one replica/);
  });
});

// A settings file is small hand-written UTF-8 YAML in the repository; anything else is one clear
// line, exit 2, no stack trace, nothing written — and the file's content is never echoed.
describe("files that are not settings are refused", () => {
  const secret = "not-for-the-terminal-7f3a";

  it("an alias bomb (billion laughs)", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e"].map((key, i) => `${key}: &${key} [${Array(9).fill(`*${"abcd"[i]}`).join(", ")}]`), ""].join("\n");
    expectSettingsError(renderWithProdSettings(() => bomb), /prod\/settings\.yaml: YAML: Excessive alias count indicates a resource exhaustion attack; settings need no more than a few aliases$/m);
  });

  it("a directory where the file should be", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    rmSync(join(repo.root, prodSettings));
    mkdirSync(join(repo.root, prodSettings));
    const result = runCli(["--root", repo.root]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("render: environments/prod/settings.yaml: a directory; expected the environment's settings as a YAML file\n");
  });

  it("UTF-16 text", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    const text = readFileSync(join(repo.root, prodSettings), "utf8");
    writeFileSync(join(repo.root, prodSettings), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    const result = runCli(["--root", repo.root]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("render: environments/prod/settings.yaml: not UTF-8 text (UTF-16, by its byte-order mark or NUL bytes); save it as UTF-8\n");
  });

  it("a file over 1 MiB", () => {
    const result = renderWithProdSettings((text) => `${text}# ${"x".repeat(1024 * 1024)}\n`);
    expectSettingsError(result, /prod\/settings\.yaml: 1\.0 MiB; a settings file is at most 1 MiB$/m);
  });

  it("custom tags, which yaml would ignore", () => {
    const result = renderWithProdSettings((text) => text.replace(/^description: .*$/m, 'description: !custom "x"\nextra: !!js/function "function () {}"'));
    expectSettingsError(result, /settings\.yaml:2:14: YAML: Unresolved tag: !custom: settings take plain YAML values, no custom tags/, /settings\.yaml:3:8: YAML: Unresolved tag: tag:yaml\.org,2002:js\/function/);
  });

  /** A scratch repository and, outside it, a folder holding a settings file with a secret in it. */
  function repoAndOutsideSettings() {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, "settings.yaml"), `description: ${secret}\n`);
    return { repo, outside };
  }

  it("a symbolic link to a file outside the repository, whose content is not shown", () => {
    const { repo, outside } = repoAndOutsideSettings();
    rmSync(join(repo.root, prodSettings));
    symlinkSync(join(outside, "settings.yaml"), join(repo.root, prodSettings));
    const result = runCli(["--root", repo.root]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("render: environments/prod/settings.yaml: a symbolic link to a file outside the repository; settings must live in it\n");
  });

  it("an environment folder that is a symbolic link to a folder outside the repository, whose content is not shown", () => {
    const { repo, outside } = repoAndOutsideSettings();
    rmSync(join(repo.root, "environments", "prod"), { recursive: true });
    symlinkSync(outside, join(repo.root, "environments", "prod"));
    const result = runCli(["--root", repo.root]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("render: environments/prod/settings.yaml: a symbolic link to a file outside the repository; settings must live in it\n");
  });

  it("a symbolic link inside the repository is followed", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    const copy = join(repo.root, "environments", "prod", "base.yaml");
    writeFileSync(copy, readFileSync(join(repo.root, prodSettings)));
    rmSync(join(repo.root, prodSettings));
    symlinkSync("base.yaml", join(repo.root, prodSettings));
    const result = runCli(["--root", repo.root, "--check"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("a long value in an error is cut short, not reprinted", () => {
    const result = renderWithProdSettings((text) => text.replace("tag: v0.10.6", `tag: "${"y".repeat(500)}"`));
    expectSettingsError(result, /got "y{76}…$/m);
  });
});

// What the API server or Argo CD would refuse at sync time is refused when the settings load.
describe("settings that a cluster would refuse are settings errors", () => {
  const devExposure = (ranges: string) => (text: string) => text.replace("  type: NodePort\n  nodePort: 30080\n", `  type: LoadBalancer\n  loadBalancerSourceRanges: [${ranges}]\n`);

  it("a cron schedule outside its fields' ranges", () => {
    const result = renderWithProdSettings((text) => text.replace('postgresBackupSchedule: "30 2 * * *"', 'postgresBackupSchedule: "99 99 99 99 99"'));
    expectSettingsError(result, /settings\.yaml:24:3: \/dataTier\/postgresBackupSchedule: minute "99": expected values 0-59/);
  });

  it("a traffic schedule that is not a 5-field cron", () => {
    const result = renderWithProdSettings((text) => text.replace('schedule: "*/15 * * * *"', 'schedule: "*/15 * * *"'));
    expectSettingsError(result, /settings\.yaml:101:3: \/traffic\/schedule: expected 5 fields \(minute hour day-of-month month day-of-week\)/);
  });

  it("a traffic run that does not fit between two runs", () => {
    const result = renderWithProdSettings((text) => text.replace("  duration: 5m\n", "  duration: 13m\n"));
    expectSettingsError(result, /settings\.yaml:103:3: \/traffic\/duration: expected a run to fit between two runs: 13m of traffic plus 240 s to start, wait for the frontend and stop is 1020 s, and "\*\/15 \* \* \* \*" runs every 900 s at the shortest/);
  });

  it("a traffic duration k6 would not read, and a frontend address other than the shop's frontend Service", () => {
    expectSettingsError(renderWithProdSettings((text) => text.replace("  duration: 5m\n", "  duration: 5 minutes\n")), /\/traffic\/duration: expected a k6 duration such as 2m, 90s or 1m30s/);
    const elsewhere = renderWithProdSettings((text) => text.replace("  duration: 5m\n", "  duration: 5m\n  frontendUrl: http://frontend.shop-staging.svc.cluster.local\n"));
    expectSettingsError(elsewhere, /\/traffic\/frontendUrl: expected the frontend Service of the app namespace \(frontend, frontend\.microservices-demo or frontend\.microservices-demo\.svc\.<cluster domain>\), got host "frontend\.shop-staging\.svc\.cluster\.local"/);
  });

  it("cron descriptors, names and steps are accepted", () => {
    for (const schedule of ["@daily", "0 3 * JAN-MAR mon-fri", "*/15 1-5/2 1,15 * ?"]) {
      const result = renderWithProdSettings((text) => text.replace('"30 2 * * *"', JSON.stringify(schedule)));
      expect(result.stderr, schedule).not.toMatch(/postgresBackupSchedule/);
      expect(result.status, `${schedule}: ${result.stderr}`).toBe(0);
      expect(result.renderedUnchanged, `${schedule} is rendered`).toBe(false);
    }
  });

  it("an annotation key that is not a qualified name", () => {
    const result = renderWithProdSettings((text) => text.replace("  tlsSecretName: shop-example-com-tls\n", '  tlsSecretName: shop-example-com-tls\n  annotations:\n    "Bad Key!": x\n'));
    expectSettingsError(result, /settings\.yaml:32:5: \/frontendExposure\/annotations\/Bad Key!: expected an annotation key/);
  });

  it("a source range that is not a CIDR; IPv6 ranges are fine", () => {
    expectSettingsError(renderWithSettings(devSettings, devExposure("999.1.1.1/99")), /\/frontendExposure\/loadBalancerSourceRanges\/0: expected a CIDR \(address\/prefix, e\.g\. 203\.0\.113\.0\/24\), got "999\.1\.1\.1\/99"/);
    expect(renderWithSettings(devSettings, devExposure("2001:db8::/32, 203.0.113.0/24")).stderr).toBe("");
  });

  it("a storage class name that is not a DNS subdomain", () => {
    const result = renderWithProdSettings((text) => text.replace("storageClassName: standard-rwo", 'storageClassName: "Not Valid!"'));
    expectSettingsError(result, /\/storage\/storageClassName: expected a StorageClass name/);
  });

  it("namespaces that belong to Kubernetes or Argo CD, or one namespace for both roles", () => {
    expectSettingsError(renderWithProdSettings((text) => text.replace("  app: microservices-demo", "  app: kube-system")), /settings\.yaml:4:3: \/namespaces\/app: "kube-system" belongs to Kubernetes/);
    expectSettingsError(renderWithProdSettings((text) => text.replace("  monitoring: monitoring", "  monitoring: default")), /\/namespaces\/monitoring: "default" belongs to Kubernetes/);
    expectSettingsError(renderWithProdSettings((text) => text.replace("  monitoring: monitoring", "  monitoring: argocd")), /\/namespaces\/monitoring: "argocd" is Argo CD's namespace/);
    expectSettingsError(renderWithProdSettings((text) => text.replace("  monitoring: monitoring", "  monitoring: microservices-demo")), /\/namespaces\/monitoring: expected a namespace other than the app's/);
  });

  it("an environment whose Argo CD objects would be another environment's", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    cpSync(join(repo.root, "environments", "prod"), join(repo.root, "environments", "prod-bootstrap"), { recursive: true });
    const said = "render: environments/prod-bootstrap: its Argo CD AppProject prod-bootstrap (namespace argocd) is also environment prod's; rename the folder\n";
    // Whichever environments are rendered: the clash is in Argo CD, where both exist.
    for (const args of [[], ["--env", "prod-bootstrap"], ["--env", "prod"], ["--env", "dev"]]) {
      const result = renderInProcess(["--root", repo.root, ...args]);
      expect(result.stderr, args.join(" ")).toBe(said);
      expect(result.status, args.join(" ")).toBe(2);
    }
  });
});

describe("the committed settings are examples", () => {
  it("the render names every example value still to change before the first sync", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    const result = runCli(["--root", repo.root]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^prod: example values still set \(images\.orderPersistence, frontendExposure\.host, monitoring\.alertmanager\.receivers\.pager\.webhook\.url, monitoring\.alertmanager\.receivers\.dead-mans-switch\.webhook\.url, monitoring\.grafana\.exposure\.host, monitoring\.loki\.storage\.bucket, monitoring\.loki\.storage\.endpoint, monitoring\.loki\.storage\.cidrs\.0, kubernetesApi\.cidrs\.0, nodes\.cidrs\.0, argocd\.repoURL\): change them before the first sync/m);
  });

  it("real values silence it", () => {
    const result = renderWithSettings(devSettings, (text) => text.replaceAll("example-org", "shop-team").replace("alerts.example.com", "alerts.shop-team.net").replace("192.0.2.10/32", "10.96.0.1/32").replace("198.51.100.0/24", "10.0.0.0/24"));
    expect(result.status).toBe(0);
    expect(result.stdout).not.toMatch(/^dev: example values/m);
    expect(result.stdout).toMatch(/^prod: example values/m);
  });
});

describe("environments are folders", () => {
  it("a new folder with a settings file is a new environment, without code changes", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    mkdirSync(join(repo.root, "environments", "staging"));
    const staging = readFileSync(join(repo.root, prodSettings), "utf8").replace("shop.example.com", "staging.shop.example.com");
    writeFileSync(join(repo.root, "environments", "staging", "settings.yaml"), staging);
    const result = runCli(["--root", repo.root]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^staging: \d+ objects/m);
    const digest = treeDigest(join(repo.root, "rendered", "staging"));
    expect(Object.keys(digest)).toContain("argocd/application-staging-root.yaml");
  });
});
