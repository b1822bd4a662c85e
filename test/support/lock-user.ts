// A process that takes the render lock the way a render does (test/concurrent-render.test.ts
// bundles it and starts `node <bundle> <json>`): it waits until `startAt` (so many start at the
// same instant), optionally writes a lock naming itself first (`lockAsItsOwnPid`: a killed render
// whose pid came back), then holds the lock for `holdMs`, logging "in <pid>" and "out <pid>" to
// `log`. The lock's error goes to stderr, exit 1.
import { appendFileSync, writeFileSync } from "node:fs";
import { withRenderLock } from "../../core/render-lock";

const { lock, log, startAt = 0, holdMs = 0, waitMs, lockAsItsOwnPid = false } = JSON.parse(process.argv[2] ?? "{}") as {
  lock: string;
  log: string;
  startAt?: number;
  holdMs?: number;
  waitMs?: number;
  lockAsItsOwnPid?: boolean;
};
const pause = new Int32Array(new SharedArrayBuffer(4));
// One sleep until the instant (waking every millisecond instead cost as much CPU as the start),
// then to the millisecond in case the sleep ended early.
Atomics.wait(pause, 0, 0, Math.max(0, startAt - Date.now()));
while (Date.now() < startAt) Atomics.wait(pause, 0, 0, 1);
if (lockAsItsOwnPid) writeFileSync(lock, String(process.pid));
try {
  withRenderLock(
    lock,
    () => {
      appendFileSync(log, `in ${process.pid}\n`);
      Atomics.wait(pause, 0, 0, holdMs);
      appendFileSync(log, `out ${process.pid}\n`);
    },
    { waitMs, onWait: (line) => console.error(line) },
  );
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
