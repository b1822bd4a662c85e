// `npm run policy`: passes on the committed tree, proves the reachability matrix equals the
// contract, works on any copy of a rendered tree, and fails on hand edits naming the rule.
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadManifests } from "../policies/engine/load";
import { expectedFlows } from "../policies/rules/network";
import { repoRoot, runPolicyCli, scratchRepo } from "./support/repo";
import { loadEnvironment } from "../core/settings/load";

/** The flows the contract allows in prod need its settings: where the API server is. */
const prodSettings = loadEnvironment(join(repoRoot, "environments"), "prod", repoRoot).settings;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

/** A copy of rendered/prod somewhere else, named unlike any environment. */
function prodCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "policy-tree-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repoRoot, "rendered", "prod"), dir, { recursive: true });
  return dir;
}

describe("npm run policy", () => {
  it("passes on every committed rendered environment", () => {
    // Judged in a copy: other test files read the repository's own rendered/ at the same time,
    // and a wait for their lock would be said on stderr.
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    const result = runPolicyCli([], repo.root);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/rendered\/dev \(environment dev\): \d+ objects, \d+ rules — 0 error\(s\)/);
    expect(result.stdout).toMatch(/rendered\/prod \(environment prod\): \d+ objects, \d+ rules — 0 error\(s\)/);
  });

  it("prints a reachability matrix equal to the contract's flows", () => {
    const result = runPolicyCli(["--matrix", "rendered/prod"]);
    expect(result.stdout).toContain("equals the contract");
    const printed = result.stdout.split("\n").filter((line) => line.startsWith("    ")).map((line) => line.trim()).sort();
    const contract = expectedFlows(loadManifests([join(repoRoot, "rendered", "prod")]).manifests, prodSettings).map((f) => `${f.from} → ${f.to}:${f.port}/${f.protocol}`).sort();
    expect(printed.length).toBeGreaterThan(30);
    expect(printed).toEqual(contract);
  });

  it("--env prod checks any copy of a rendered tree", () => {
    const result = runPolicyCli(["--env", "prod", prodCopy()]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("(environment prod)");
  });

  it("a tree whose environment has no settings gets a POL001 warning, and the registry check fails closed", () => {
    const result = runPolicyCli([prodCopy()]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/warn  POL001 .*no environments\/policy-tree-\w+\/settings\.yaml/);
    expect(result.stdout).toMatch(/ERROR IMG002 .*not an allowed registry \(docker\.io\/grafana, docker\.io\/library, /);
  });

  it("a hand edit with a typo in a rendered file fails with the schema rule and the file", () => {
    const dir = prodCopy();
    const file = join(dir, "online-boutique/cartservice/deployment-cartservice.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("  revisionHistoryLimit: 5", "  revisionHistoryLimit: 5\n  replica: 2"));
    const result = runPolicyCli(["--env", "prod", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR SCH002 \S*deployment-cartservice\.yaml Deployment microservices-demo\/cartservice \/spec\/replica: unknown field "replica" \(did you mean "replicas"\?\)/);
  });

  it("a file that is not valid YAML fails SCH001", () => {
    const dir = prodCopy();
    writeFileSync(join(dir, "broken.yaml"), "kind: [unclosed\n");
    const result = runPolicyCli(["--env", "prod", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR SCH001 \S*broken\.yaml/);
  });

  it("deleting a NetworkPolicy file is caught as a missing flow", () => {
    const dir = prodCopy();
    rmSync(join(dir, "platform/network-policies/networkpolicy-redis.yaml"));
    const result = runPolicyCli(["--env", "prod", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("ERROR NET002");
    expect(result.stdout).toContain("missing flow microservices-demo/cartservice → microservices-demo/redis:6379/TCP");
  });

  it("a plaintext Secret dropped into the tree fails SCR001", () => {
    const dir = prodCopy();
    appendFileSync(join(dir, "online-boutique/secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: microservices-demo\nstringData:\n  password: hunter2\n");
    const result = runPolicyCli(["--env", "prod", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("ERROR SCR001");
  });

  it("JSON and SARIF output are machine-readable", () => {
    const json = JSON.parse(runPolicyCli(["--format", "json", "rendered/dev"]).stdout);
    expect(json.results[0]).toMatchObject({ environment: "dev", missingFlows: 0, extraFlows: 0 });
    const dir = prodCopy();
    rmSync(join(dir, "platform/network-policies/networkpolicy-default-deny.yaml"));
    const sarif = JSON.parse(runPolicyCli(["--format", "sarif", "--env", "prod", dir]).stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.length).toBeGreaterThan(40);
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toContain("NET001");
  });

  it("an empty directory fails: there is nothing to judge", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-empty-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const result = runPolicyCli(["--env", "prod", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR SCH003 .*no \.yaml, \.yml or \.json file with a Kubernetes object: nothing to judge/);
  });

  it("SARIF locations are repository-relative, at the line and column of the offending field", () => {
    const repo = scratchRepo();
    cleanups.push(repo.cleanup);
    const file = "rendered/prod/online-boutique/adservice/deployment-adservice.yaml";
    const text = readFileSync(join(repo.root, file), "utf8");
    writeFileSync(join(repo.root, file), text.replace("      automountServiceAccountToken: false", "      automountServiceAccountToken: false\n      hostNetwork: true"));
    const sarif = JSON.parse(runPolicyCli(["--format", "sarif", "rendered/prod"], repo.root).stdout);
    // The node agent's exempted SEC008 is a note; the Deployment's is the error.
    const [result] = sarif.runs[0].results.filter((r: { ruleId: string; level: string }) => r.ruleId === "SEC008" && r.level === "error");
    const line = readFileSync(join(repo.root, file), "utf8").split("\n").findIndex((l) => l.trim() === "hostNetwork: true") + 1;
    expect(result.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: file }, region: { startLine: line, startColumn: 7 } });
  });

  it("usage errors exit 2 without a stack trace", () => {
    const result = runPolicyCli(["--format", "xml"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--format xml: expected text, json or sarif");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
