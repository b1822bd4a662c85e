// Entry point of the CLI snapshot (dist/cli.blob, built by generator/build.mjs).
// Node starts from a heap in which every module is already loaded and initialised (the field
// catalog parsed, the settings validator compiled) and the render and policy code has already
// run once, so a run skips module loading and most of its warm-up. Run as:
//   node --snapshot-blob dist/cli.blob -- render [options]
//   node --snapshot-blob dist/cli.blob -- policy [options]
import v8 from "node:v8";
import { policyMain, runPolicy } from "../policies/cli";
import { main as renderMain, runRender } from "./cli";
import { resetTimings } from "./timings";

/** Runs render and policy once, in memory and silently, to compile the code paths they take. */
function warmUp(): void {
  try {
    runRender(["--check"]);
    runPolicy([]);
  } catch {
    // Bad settings or an invalid tree: the real run reports it; the snapshot is merely less warm.
  }
  resetTimings();
}

function dispatch(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === "render") return renderMain(rest);
  if (command === "policy") return policyMain(rest);
  console.error(`usage: node --snapshot-blob dist/cli.blob -- render|policy [options] (got ${command ?? "nothing"})`);
  return 2;
}

warmUp();
v8.startupSnapshot.setDeserializeMainFunction(() => {
  // A snapshot's argv has no script path: [node, ...arguments after "--"].
  process.exitCode = dispatch(process.argv.slice(1));
});
