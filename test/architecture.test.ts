// The layout is the architecture: imports run one way (core → apps → generator; core → policies)
// and no module imports itself through others. dependency-cruiser checks the rules of
// .dependency-cruiser.cjs on the real tree, and planted back-edges prove they bite.
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

// One scratch copy holds the three planted violations, cruised once (a cruise takes seconds):
// each must be reported as an error under its own rule, so a rule that goes blind or is demoted
// to a warning still fails its test.
const planted: { file: string; line: string }[] = [
  { file: "core/errors.ts", line: 'import "../apps/index";' },
  { file: "policies/rules/labels.ts", line: 'import "../../generator/render";' },
  { file: "apps/lib/service.ts", line: 'import "./boutique";' },
];
let plantedResult: ReturnType<typeof cruise> | undefined;

function cruisePlanted(): ReturnType<typeof cruise> {
  if (plantedResult) return plantedResult;
  const root = join(scratch, "planted");
  for (const entry of [...sourceFolders, "tsconfig.json", ".dependency-cruiser.cjs"]) cpSync(join(repoRoot, entry), join(root, entry), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"), "dir");
  for (const { file, line } of planted) appendFileSync(join(root, file), `\n${line}\n`);
  plantedResult = cruise(root);
  expect(plantedResult.status).not.toBe(0);
  return plantedResult;
}

describe("the import graph", () => {
  it("has no back-edge and no cycle", () => {
    const result = cruise(repoRoot);
    expect(result.output).toContain("no dependency violations found");
    expect(result.status).toBe(0);
  });

  it("a ground-floor module importing an app is refused", () => {
    expect(cruisePlanted().output).toMatch(/^\s*error core-is-the-ground-floor: core\/errors\.ts → apps\/index\.ts/m);
  });

  it("a policy importing the generator is refused", () => {
    expect(cruisePlanted().output).toMatch(/^\s*error policies-stand-on-core: policies\/rules\/labels\.ts → generator\/render\.ts/m);
  });

  it("a cycle inside one folder is refused", () => {
    expect(cruisePlanted().output).toMatch(/^\s*error no-cycles: apps\/lib\/boutique\.ts → \s*apps\/lib\/service\.ts →\s*apps\/lib\/boutique\.ts/m);
  });
});
