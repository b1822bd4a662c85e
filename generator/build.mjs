// Builds the CLIs as plain esbuild bundles: dist/render.mjs (generator/cli.ts), dist/policy.mjs
// (policies/cli.ts, which needs no app) and dist/verify.mjs (generator/verify/cli.ts, the
// live-cluster check; it carries @kubernetes/client-node, whose node-fetch thereby gets the
// punycode alias below too, and its main() is async, hence the await in entry()). A bundle
// starts faster than the module graph it replaces, and bundling is where two data files are
// swapped for quicker forms:
// - the settings validator is precompiled by ajv's standalone mode, so a run compiles no schema;
// - the field catalog is embedded as a JSON string (JSON.parse is faster than a 600 kB literal);
// - the Grafana dashboards are built by the SDK here, once, as templates (the render fills in the
//   namespaces), so the render bundle carries no SDK;
// - the k6 traffic script is bundled here, once, so the render bundle carries its text, not esbuild;
// - ajv-i18n is reduced to the English messages kubernetes-models asks it for.
// `ensureBuilt()` skips all work when dist/ is newer than every source file (esbuild is only
// loaded when it has work). Run directly (`npm run build`) it rebuilds; `--readable` leaves the
// bundles unminified, for profiling.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cliBundlePaths } from "./cli-command.mjs";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const dist = join(repoRoot, "dist");
const cliBundles = { render: join(repoRoot, cliBundlePaths.render), policy: join(repoRoot, cliBundlePaths.policy), verify: join(repoRoot, cliBundlePaths.verify) };
const entryPoints = { render: "./generator/cli.ts", policy: "./policies/cli.ts", verify: "./generator/verify/cli.ts" };
const sourceRoots = ["core", "apps", "generator", "policies", "package-lock.json"];

function newestSource(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestSource(join(path, entry))));
}

function upToDate() {
  const bundles = Object.values(cliBundles);
  if (!bundles.every(existsSync)) return false;
  const newest = Math.max(...sourceRoots.map((root) => newestSource(join(repoRoot, root))));
  return bundles.every((bundle) => statSync(bundle).mtimeMs > newest);
}

/**
 * Runs a TypeScript module of the repository here (bundled by esbuild into a fresh temporary
 * folder, its packages left to Node) and returns what `use` takes from it. `ownUrl`: the module
 * finds the repository from its import.meta.url, so it gets the URL it has as a source file.
 */
async function runRepositoryModule(build, source, use, { ownUrl = false } = {}) {
  mkdirSync(dist, { recursive: true });
  const folder = mkdtempSync(join(dist, ".precompute-"));
  const script = join(folder, `${basename(source, ".ts")}.mjs`);
  const define = ownUrl ? { "import.meta.url": JSON.stringify(pathToFileURL(join(repoRoot, source)).href) } : {};
  await build({ entryPoints: [join(repoRoot, source)], outfile: script, bundle: true, platform: "node", format: "esm", packages: "external", define, logLevel: "warning" });
  try {
    return use(await import(pathToFileURL(script).href));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The source files whose modules are precomputed (repository-relative). */
export const precomputedSources = ["core/settings/validator.ts", "apps/grafana/dashboard-templates.ts", "apps/traffic/k6-bundle.ts"];

/** For bundles that are ES modules but carry CommonJS code calling require(). */
export const requireShim = 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);';

/**
 * The modules the bundles carry in a quicker form than their sources, computed from those
 * sources: the settings validator precompiled (ajv standalone), the dashboard templates as JSON
 * (the SDK runs here) and the k6 script's bundle as text (esbuild runs here). `source` is the
 * file replaced (one of precomputedSources); `contents` is a JavaScript module with the same
 * exports. vitest.config.ts swaps the same modules, so the tests run what the bundles run.
 */
export async function precomputedModules(build) {
  const [validatorSource, templatesSource, k6Source] = precomputedSources;
  const validator = await runRepositoryModule(build, "core/settings/validator-source.ts", (module) => module.settingsValidatorSource());
  const templates = await runRepositoryModule(build, templatesSource, (module) => ({ placeholders: module.namespacePlaceholders, files: module.dashboardTemplates() }));
  const k6Bundle = await runRepositoryModule(build, k6Source, (module) => module.k6ScriptBundle(), { ownUrl: true });
  return [
    { source: validatorSource, contents: validator, resolveDir: join(repoRoot, "core/settings") },
    { source: templatesSource, contents: `export const namespacePlaceholders = ${JSON.stringify(templates.placeholders)};\nexport function dashboardTemplates() { return ${JSON.stringify(templates.files)}; }\n` },
    { source: k6Source, contents: `export function k6ScriptBundle() { return ${JSON.stringify(k6Bundle)}; }\n` },
  ];
}

/** esbuild's filter for a repository file, whichever separator the platform uses. */
function pathFilter(source) {
  return new RegExp(`(^|[\\\\/])${source.split("/").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\\\/]")}$`);
}

function swaps(precomputed) {
  return {
    name: "swaps",
    setup(b) {
      for (const { source, contents, resolveDir } of precomputed) b.onLoad({ filter: pathFilter(source) }, () => ({ contents, loader: "js", resolveDir }));
      b.onLoad({ filter: /field-catalog\.json$/ }, async (args) => ({ contents: await readFile(args.path, "utf8"), loader: "text" }));
      // kubernetes-models words schema errors in English only (localize.en): the bundle carries
      // that one of ajv-i18n's thirty-odd languages.
      b.onResolve({ filter: /^ajv-i18n$/ }, () => ({ path: "ajv-i18n-english", namespace: "swaps" }));
      b.onLoad({ filter: /^ajv-i18n-english$/, namespace: "swaps" }, () => ({ contents: 'import en from "ajv-i18n/localize/en/index.js";\nexport default { en };\n', loader: "js", resolveDir: repoRoot }));
    },
  };
}

/** Entry of a bundle: exports main, and runs it when Node starts the bundle itself. */
function entry(module) {
  return `import { pathToFileURL } from "node:url";
import { main } from ${JSON.stringify(module)};
export { main };
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
`;
}

async function buildBundles(minify) {
  const started = performance.now();
  const { build } = await import("esbuild");
  mkdirSync(dist, { recursive: true });
  const plugins = [swaps(await precomputedModules(build))];
  await Promise.all(
    Object.entries(entryPoints).map(([command, module]) =>
      build({
        stdin: { contents: entry(module), resolveDir: repoRoot, sourcefile: `${command}-entry.ts`, loader: "ts" },
        outfile: cliBundles[command],
        absWorkingDir: repoRoot,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        // Some dependencies are CommonJS and call require(); give the ES module bundle one.
        banner: { js: requireShim },
        // Format checkers of kubernetes-models' validators import "punycode", which resolves to
        // Node's deprecated built-in (a warning on every run under Node 22+); the npm package of
        // the same code is what Node recommends instead.
        alias: { punycode: "punycode/" },
        minify,
        keepNames: true,
        logLevel: "warning",
        plugins,
      }),
    ),
  );
  process.stderr.write(`build: ${Object.values(cliBundlePaths).join(", ")} ready (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

/** Builds the bundles unless they are newer than every source. */
export async function ensureBuilt({ force = false, minify = true } = {}) {
  if (force || !upToDate()) await buildBundles(minify);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureBuilt({ force: process.argv.includes("--force"), minify: !process.argv.includes("--readable") });
}
