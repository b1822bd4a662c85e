// The whole project type-checks: product code, tests and scripts, under the strict settings of
// tsconfig.json. A test rather than a step before the suite, so the compiler's seconds overlap
// with the files that wait on engines.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/repo";

function tsc(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), ...args], { cwd: repoRoot });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

describe("types", () => {
  it("tsc -p tsconfig.json reports no error", async () => {
    const { status, output } = await tsc(["-p", "tsconfig.json", "--pretty", "false"]);
    expect(output, output).toBe("");
    expect(status).toBe(0);
  });
});
