import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { precomputedFilters, precomputedModules } from "./generator/build.mjs";

/**
 * The tests load the modules the CLI bundles precompute (generator/build.mjs) in the same form:
 * the settings validator precompiled, the dashboard templates as JSON, the k6 script's bundle as
 * text. Computed once per run from the current sources, in this process; every test file then
 * imports them in milliseconds instead of compiling the schema, loading the Grafana SDK and
 * running esbuild itself (~0.4 s per file).
 */
function precomputed(): Plugin {
  let modules: ReturnType<typeof precomputedModules> | undefined;
  return {
    name: "precomputed-modules",
    enforce: "pre",
    async load(id) {
      const file = id.split("?")[0]!;
      if (!Object.values(precomputedFilters).some((filter) => filter.test(file))) return null;
      modules ??= import("esbuild").then(({ build }) => precomputedModules(build));
      const { contents } = (await modules).find(({ filter }) => filter.test(file))!;
      // ajv's standalone code calls require() for its runtime helpers; vitest's ES modules have none.
      return `import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);\n${contents}`;
    },
  };
}

/**
 * Files that spend most of their time waiting (on engines' start-up, failovers and backoffs, or
 * on the compiler), longest first. Started first, the CPU-bound files fill their waits. vitest
 * orders by the last run's durations when it has them; a clean clone (CI) has none, and without
 * this hint it would start the largest files first and the type-check last.
 */
const startFirst = ["redis-sentinel", "adding-a-workload", "order-tee-chaos", "prometheus-exporters", "postgres", "typecheck", "concurrent-render", "grafana-dashboards"].map((name) => `/test/${name}.test.ts`);

class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = startFirst.findIndex((suffix) => file.moduleId.endsWith(suffix));
      return index === -1 ? startFirst.length : index;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Files that need a process of their own: the order service's (gRPC and pg compare errors and
 * buffers by class across modules that a VM context would split) and mermaid's (an ES module
 * graph VM contexts do not load).
 */
const realmBound = ["test/order-*.test.ts", "test/environment-summary.test.ts"];

export default defineConfig({
  plugins: [precomputed()],
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    projects: [
      // Most files run in VM contexts of long-lived workers (a fresh context per file, no new
      // process): half the start-up cost of a file. Errors from Node's own modules then come
      // from another realm, so product code tells them apart by isNativeError and code, never
      // instanceof Error.
      { extends: true, test: { name: "vm", pool: "vmForks", include: ["test/**/*.test.ts"], exclude: realmBound } },
      { extends: true, test: { name: "process", include: realmBound } },
    ],
    // Engine tests start real servers; give them room. Most of a test file's time is spent
    // waiting on those servers (start-up, failover, backoff), so four files run at once even on
    // 2 cores (vitest's default would be one: cores - 1; four measured 10 % faster than three);
    // timing assertions allow for it.
    maxWorkers: 4,
    sequence: { sequencer: WaitingFilesFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
