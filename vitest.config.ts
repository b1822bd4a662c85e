import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { precomputedModules, precomputedSources, requireShim } from "./generator/build.mjs";

type Precomputed = Awaited<ReturnType<typeof precomputedModules>>;
// vitest loads this config once per project: the modules are kept on the process, not the plugin.
const cache = Symbol.for("online-boutique-gitops.precomputed-modules");
const processCache = globalThis as { [cache]?: Promise<Precomputed> };
const repoRoot = fileURLToPath(new URL(".", import.meta.url));
const precomputedFiles = new Set(precomputedSources.map((source) => join(repoRoot, source)));
// A precomputed module is built from its own folder (the schema beside the validator, the k6 script below its bundler).
const precomputedFolders = precomputedSources.map((source) => join(repoRoot, dirname(source), sep));

/**
 * The tests load the modules the CLI bundles precompute (generator/build.mjs) in the same form:
 * the settings validator precompiled, the dashboard templates as JSON, the k6 script's bundle as
 * text. Computed once per vitest process from the current sources (again after one of them
 * changes, in watch mode); every test file then imports them in milliseconds instead of compiling
 * the schema, loading the Grafana SDK and running esbuild itself (~0.4 s per file). Imports with
 * a query (?raw, ?url) get the file itself.
 */
function precomputedModulesPlugin(): Plugin {
  return {
    name: "precomputed-modules",
    enforce: "pre",
    async load(id) {
      if (!precomputedFiles.has(id)) return null;
      processCache[cache] ??= import("esbuild").then(({ build }) => precomputedModules(build));
      const { contents } = (await processCache[cache]).find(({ source }) => join(repoRoot, source) === id)!;
      // ajv's standalone code calls require() for its runtime helpers; vitest's ES modules have none.
      return `${requireShim}\n${contents}`;
    },
    watchChange(id) {
      if (precomputedFolders.some((folder) => id.startsWith(folder))) delete processCache[cache];
    },
  };
}

/**
 * Files that spend most of their time waiting (on engines' start-up, failovers and backoffs, or
 * on the compiler), longest first. Started first, the CPU-bound files fill their waits. vitest
 * orders by the last run's durations when it has them; a clean clone (CI) has none, and without
 * this hint it would start the largest files first and the type-check last.
 */
const startFirst = ["redis-sentinel", "adding-a-workload", "order-tee-chaos", "prometheus-exporters", "postgres", "typecheck", "concurrent-render", "grafana-dashboards"].map((name) => `test/${name}.test.ts`);
for (const file of startFirst) if (!existsSync(join(repoRoot, file))) throw new Error(`vitest.config.ts: startFirst names ${file}, which does not exist`);

class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = startFirst.findIndex((name) => file.moduleId === join(repoRoot, name));
      return index === -1 ? startFirst.length : index;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Files that need a process of their own: the order service's (gRPC and pg, with errors and
 * buffers compared by class across modules that a VM context would split) and mermaid's (an ES
 * module graph a VM context does not load). Other files that start the order service or use pg
 * (prometheus-exporters, grafana-dashboards, grafana-database) pass in VM contexts: the product
 * code they run asks isError(), and a process each measured slower (132 s against 124 s for
 * the whole suite, minutes apart).
 */
const ownProcess = ["test/order-*.test.ts", "test/environment-summary.test.ts"];

export default defineConfig({
  plugins: [precomputedModulesPlugin()],
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    projects: [
      // Most files run in VM contexts of long-lived workers (a fresh context per file, no new
      // process): half the start-up cost of a file. Errors from Node's own modules then come
      // from another realm: product code that inspects them asks isError() (core/errors.ts:
      // util.types.isNativeError or instanceof Error), not instanceof Error alone.
      { extends: true, test: { name: "vm", pool: "vmForks", include: ["test/**/*.test.ts"], exclude: ownProcess } },
      { extends: true, test: { name: "process", include: ownProcess } },
    ],
    // Engine tests start real servers; give them room. Most of a test file's time is spent
    // waiting on those servers (start-up, failover, backoff), so six files run at once even on
    // 2 cores (vitest's default would be one: cores - 1). Back to back on 2 cores: four 124 s,
    // six 113 and 117 s, eight 118 s. Timing assertions allow for it.
    maxWorkers: 6,
    sequence: { sequencer: WaitingFilesFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
