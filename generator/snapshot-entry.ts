// Entry point of the render snapshot (dist/render.blob, built by generator/build.mjs).
// Node starts from a heap in which every module is already loaded and initialised (the field
// catalog parsed, the settings validator compiled) and the render code has already run once,
// so a render skips module loading and most of its warm-up. Run as:
//   node --snapshot-blob dist/render.blob -- [render options]
import v8 from "node:v8";
import { main, runRender } from "./cli";
import { resetTimings } from "./timings";

/** Renders the repository's environments once, in memory and silently, to compile the code paths a render takes. */
function warmUp(): void {
  try {
    runRender(["--check"]);
  } catch {
    // Bad settings or an invalid object: the real run reports it; the snapshot is merely less warm.
  }
  resetTimings();
}

warmUp();
v8.startupSnapshot.setDeserializeMainFunction(() => {
  // A snapshot's argv has no script path: [node, ...options after "--"].
  process.exitCode = main(process.argv.slice(1));
});
