// The CLI bundles are what users run: the npm scripts start exactly the files the tests start,
// and each bundle holds only what its command needs.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliNodeArgs } from "../generator/cli-command.mjs";
import { repoRoot } from "./support/repo";

describe("CLI bundles", () => {
  it("npm run render and npm run policy run the bundles the tests run, after an up-to-date check", () => {
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts as Record<string, string>;
    for (const command of ["render", "policy"] as const) {
      expect(scripts[command]).toBe(`node generator/run.mjs ${command}`);
      const viaScript = spawnSync(process.execPath, ["generator/run.mjs", command, "--help"], { cwd: repoRoot, encoding: "utf8" });
      const direct = spawnSync(process.execPath, [...cliNodeArgs(command, repoRoot), "--help"], { cwd: repoRoot, encoding: "utf8" });
      expect(viaScript.status, command).toBe(0);
      expect(viaScript.stdout, command).toBe(direct.stdout);
      expect(viaScript.stdout, command).toContain(`usage: npm run ${command}`);
    }
  });

  it("the settings validator is precompiled: no bundle carries ajv's schema compiler", () => {
    for (const command of ["render", "policy"] as const) {
      const bundle = readFileSync(join(repoRoot, cliNodeArgs(command, ".")[0]!), "utf8");
      // ajv's compiler names its generated functions through this code generator; the standalone code does not need it.
      expect(bundle, command).not.toContain("strictSchema");
      expect(bundle, command).toContain("settings.schema.json");
    }
  });

  it("the policy bundle does not contain the apps", () => {
    // The frontend's probe cookie is written by apps/frontend.ts only.
    const marker = "x-readiness-probe";
    expect(readFileSync(join(repoRoot, cliNodeArgs("policy", ".")[0]!), "utf8").includes(marker)).toBe(false);
    expect(readFileSync(join(repoRoot, cliNodeArgs("render", ".")[0]!), "utf8").includes(marker)).toBe(true);
  });
});
