// Tests run the real CLIs (the bundles in dist/); build them when a source changed so they are never stale.
// Their scratch files (repository copies, rendered trees, PostgreSQL and Redis data) go to a RAM
// disk when the machine has one: each render syncs every file it writes, which on a virtual
// disk costs more than the rest of the test (settings.test.ts: 21 s on /tmp, 6 s on tmpfs).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo";

const tmpfsMagic = 0x01021994;
const ramDisk = "/dev/shm";
/** Room the suite's scratch files need at most (a few PostgreSQL clusters and repository copies at once). */
const neededBytes = 2 * 2 ** 30;

/** A fresh scratch folder on the RAM disk as TMPDIR for the test workers, unless TMPDIR is set or there is no roomy tmpfs. */
function scratchOnRamDisk(): (() => void) | undefined {
  if (process.env.TMPDIR || process.platform !== "linux") return undefined;
  try {
    const disk = statfsSync(ramDisk);
    if (disk.type !== tmpfsMagic || disk.bavail * disk.bsize < neededBytes) return undefined;
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(ramDisk, "boutique-tests-"));
  // Like /tmp: the PostgreSQL server and the order service's unprivileged process create their own folders in it.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

export default function setup(): (() => void) | undefined {
  execFileSync(process.execPath, ["generator/build.mjs"], { cwd: repoRoot, stdio: "inherit" });
  return scratchOnRamDisk();
}
