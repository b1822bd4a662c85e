// Builds the CLI (render and policy): one bundle (dist/cli.cjs) and a V8 startup snapshot of it
// (dist/cli.blob). `npm run render` and `npm run policy` start Node from the snapshot, which skips module loading
// and initialisation — most of a render's wall time otherwise (measured with `npm run bench`).
// Skips all work when dist/ is newer than every source file; `--force` rebuilds anyway.
// The snapshot is specific to the Node binary that built it, so it is built on each machine
// (never committed) and rebuilt when `node --version` changes.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { v8Flags } from "./cli-command.mjs";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const dist = join(repoRoot, "dist");
const bundle = join(dist, "cli.cjs");
const blob = join(dist, "cli.blob");
const stamp = join(dist, "node-version");
const sourceRoots = ["apps", "generator", "policies", "package-lock.json"];

function newestSource(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestSource(join(path, entry))));
}

function upToDate() {
  if (process.argv.includes("--force") || !existsSync(blob) || !existsSync(stamp)) return false;
  if (readFileSync(stamp, "utf8") !== `${process.version} ${v8Flags.join(" ")}`) return false;
  const newest = Math.max(...sourceRoots.map((root) => newestSource(join(repoRoot, root))));
  return statSync(blob).mtimeMs > newest;
}

const swaps = {
  name: "swaps",
  setup(b) {
    // The field catalog is data: a JSON string parses much faster than a 600 kB object literal compiles.
    b.onLoad({ filter: /field-catalog\.json$/ }, async (args) => ({ contents: await readFile(args.path, "utf8"), loader: "text" }));
    // kubernetes-models registers the draft-2019 string formats (email, iri, idn-hostname ...);
    // no Kubernetes or Argo CD schema uses them, and their parsers would bloat the snapshot
    // (test/bundle.test.ts checks every format the bundled validators reference still exists).
    b.onResolve({ filter: /^ajv-formats-draft2019\/formats\/index\.js$/ }, () => ({ path: "no-draft2019-formats", namespace: "stub" }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export default {};" }));
    // kubernetes-models' error messages need only ajv-i18n's English, not all 20 locales.
    b.onResolve({ filter: /^ajv-i18n$/ }, () => ({ path: "ajv-i18n-en", namespace: "i18n" }));
    b.onLoad({ filter: /.*/, namespace: "i18n" }, () => ({
      contents: 'import en from "ajv-i18n/localize/en/index.js"; export default { en };',
      resolveDir: repoRoot,
    }));
  },
};

if (!upToDate()) {
  const started = performance.now();
  await build({
    entryPoints: [join(repoRoot, "generator", "snapshot-entry.ts")],
    absWorkingDir: repoRoot,
    outfile: bundle,
    bundle: true,
    // A smaller bundle is a smaller snapshot to load (~8 ms a run); names are kept for stack traces.
    minify: true,
    keepNames: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
    plugins: [swaps],
  });
  const snapshot = spawnSync(process.execPath, [...v8Flags, "--snapshot-blob", blob, "--build-snapshot", bundle], { cwd: repoRoot, encoding: "utf8" });
  if (snapshot.status !== 0) {
    process.stderr.write(`build: could not build the CLI snapshot with Node ${process.version}:\n${snapshot.stderr}`);
    process.exit(1);
  }
  writeFileSync(stamp, `${process.version} ${v8Flags.join(" ")}`);
  process.stderr.write(`build: dist/cli.blob ready (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
