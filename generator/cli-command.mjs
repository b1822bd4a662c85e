// Where the CLI bundles are (generator/build.mjs writes them); build, npm scripts, bench and
// tests share it, so `npm run render` and the tests start the very same file.
export const cliBundlePaths = { render: "dist/render.mjs", policy: "dist/policy.mjs", verify: "dist/verify.mjs" };

/** Arguments for `node` that start a CLI: node <these> [options]. */
export function cliNodeArgs(command, repoRoot = ".") {
  return [`${repoRoot}/${cliBundlePaths[command]}`];
}
