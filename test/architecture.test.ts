// The layout is the architecture: imports run one way (core → apps → generator; core → policies)
// and no module imports itself through others. dependency-cruiser checks the rules of
// .dependency-cruiser.cjs on the real tree, and a planted back-edge proves they bite.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./support/repo";

const sourceFolders = ["core", "apps", "generator", "policies", "services"];

function cruise(root: string) {
  const result = spawnSync(process.execPath, [join(repoRoot, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"), "--config", ".dependency-cruiser.cjs", "--output-type", "err", ...sourceFolders], { cwd: root, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const scratch = mkdtempSync(join(tmpdir(), "import-graph-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function copyWithEdit(name: string, file: string, line: string): string {
  const root = join(scratch, name);
  for (const entry of [...sourceFolders, "tsconfig.json", ".dependency-cruiser.cjs"]) cpSync(join(repoRoot, entry), join(root, entry), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"), "dir");
  appendFileSync(join(root, file), `\n${line}\n`);
  return root;
}

describe("the import graph", () => {
  it("has no back-edge and no cycle", () => {
    const result = cruise(repoRoot);
    expect(result.output).toContain("no dependency violations found");
    expect(result.status).toBe(0);
  });

  it("a ground-floor module importing an app is refused", () => {
    const result = cruise(copyWithEdit("core-to-apps", "core/errors.ts", 'import "../apps/index";'));
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/core-is-the-ground-floor: core\/errors\.ts → apps\/index\.ts/);
  });

  it("a policy importing the generator is refused", () => {
    const result = cruise(copyWithEdit("policies-to-generator", "policies/rules/labels.ts", 'import "../../generator/render";'));
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/policies-stand-on-core: policies\/rules\/labels\.ts → generator\/render\.ts/);
  });

  it("a cycle inside one folder is refused", () => {
    const result = cruise(copyWithEdit("cycle", "apps/lib/service.ts", 'import "./boutique";'));
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/no-cycles: apps\/lib\/boutique\.ts → \s*apps\/lib\/service\.ts →\s*apps\/lib\/boutique\.ts/);
  });
});
