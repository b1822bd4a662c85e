// Tests run the real CLI (the render snapshot); build it when a source changed so it is never stale.
import { execFileSync } from "node:child_process";
import { repoRoot } from "./repo";

export default function setup(): void {
  execFileSync(process.execPath, ["generator/build.mjs"], { cwd: repoRoot, stdio: "inherit" });
}
