// Tests run the real CLI bundle; build it once per test run so it is never stale.
import { execFileSync } from "node:child_process";
import { repoRoot } from "./repo";

export default function setup(): void {
  execFileSync(process.execPath, ["generator/build.mjs"], { cwd: repoRoot, stdio: "inherit" });
}
