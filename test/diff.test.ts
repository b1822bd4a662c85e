// npm run diff: a settings change is named exactly (object, field, before → after), in text,
// markdown and JSON; no change says so; an unknown ref is a clear error. Each case runs in a
// scratch Git repository whose one commit holds today's environments/ and rendered/ (the base).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldChanges } from "../generator/diff/compare";
import { runDiff } from "../generator/diff/cli";
import { repoRoot } from "./support/repo";

let scratch: string;
const git = (...args: string[]) => {
  const result = spawnSync("git", args, { cwd: scratch, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
};

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "rendered-diff-test-"));
  for (const folder of ["environments", "rendered"]) cpSync(join(repoRoot, folder), join(scratch, folder), { recursive: true });
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "base");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const diff = (...args: string[]) => runDiff(["--root", scratch, ...args]);
const prodSettings = () => join(scratch, "environments", "prod", "settings.yaml");

describe("npm run diff", () => {
  it("says so when nothing changed (default base: the merge base with main)", () => {
    const result = diff();
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/No changes to the rendered objects of dev, prod against merge base with main \([0-9a-f]{12}\)\./);
    expect(diff("--format", "markdown").output).toContain("No changes to the rendered objects of dev, prod");
  });

  it("names exactly what a settings change does: the frontend's HPA maximum 10 → 12", () => {
    const original = readFileSync(prodSettings(), "utf8");
    writeFileSync(prodSettings(), original.replace("    maxReplicas: 10\n", "    maxReplicas: 12\n"));
    try {
      const text = diff("--env", "prod");
      expect(text.exitCode).toBe(0);
      expect(text.output).toContain("prod: 0 added, 0 removed, 1 changed");
      expect(text.output).toContain("HorizontalPodAutoscaler microservices-demo/frontend spec.maxReplicas: 10 → 12");
      expect(text.output).toContain("- spec.maxReplicas: 10\n    + spec.maxReplicas: 12");
      expect(text.output).toContain("requests unchanged: 5.25 CPU");
      expect(text.output).not.toMatch(/Network flows|New policy findings|Added|Removed/);

      const markdown = diff("--env", "prod", "--format", "markdown").output;
      expect(markdown).toContain("<summary><b>prod</b>: 0 added, 0 removed, 1 changed; requests unchanged");
      expect(markdown).toContain("```diff\n# HorizontalPodAutoscaler microservices-demo/frontend\n- spec.maxReplicas: 10\n+ spec.maxReplicas: 12\n```");

      const json = JSON.parse(diff("--format", "json").output);
      expect(json.environments.map((e: { environment: string; changed: unknown[] }) => [e.environment, e.changed])).toEqual([
        ["dev", []],
        ["prod", [{ object: "HorizontalPodAutoscaler microservices-demo/frontend", changes: [{ path: "spec.maxReplicas", before: 10, after: 12 }] }]],
      ]);
    } finally {
      writeFileSync(prodSettings(), original);
    }
  });

  it("an unknown ref, an unknown environment and a bad format are one-line errors", () => {
    expect(() => diff("--base", "no-such-branch")).toThrow("--base no-such-branch: no such commit, branch or tag in this repository");
    expect(() => diff("--env", "staging")).toThrow("--env staging: no such environment in the working tree or the base");
    expect(() => diff("--format", "html")).toThrow("--format html: expected text, markdown or json");
  });
});

describe("field changes", () => {
  it("match list items by name where they have one, else by a longest common subsequence", () => {
    const before = { containers: [{ name: "a", image: "x:1" }, { name: "b", image: "y:1" }], args: ["--one", "--two"] };
    const after = { containers: [{ name: "b", image: "y:2" }, { name: "a", image: "x:1" }], args: ["--zero", "--one", "--two"] };
    expect(fieldChanges(before, after)).toEqual([
      { path: "args[0]", after: "--zero" },
      { path: "containers[name=b].image", before: "y:1", after: "y:2" },
    ]);
  });
});
