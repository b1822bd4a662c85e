// Tests run the real CLIs (the bundles in dist/); build them when a source changed so they are never stale.
import { execFileSync } from "node:child_process";
import { repoRoot } from "./repo";

export default function setup(): void {
  execFileSync(process.execPath, ["generator/build.mjs"], { cwd: repoRoot, stdio: "inherit" });
}
