// How Node starts the CLI snapshot; build, npm scripts, bench and tests share it.
// --no-opt: a run lasts about 0.1 s, too short for TurboFan's optimising compiler to pay back the
// CPU it takes on a 2-core machine (measured: ~20 % faster without it). V8 flags are part of a
// snapshot's identity, so the snapshot is built with the same flags it runs with.
export const v8Flags = ["--no-opt"];
export const blobPath = "dist/cli.blob";

/** Arguments for `node` that start the snapshot: node <these> <render|policy> [options]. */
export function cliNodeArgs(repoRoot = ".") {
  return [...v8Flags, "--snapshot-blob", `${repoRoot}/${blobPath}`, "--"];
}
