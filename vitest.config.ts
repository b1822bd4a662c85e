import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
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

export default defineConfig({
  plugins: [precomputed()],
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    // Engine tests start real servers; give them room. Most of a test file's time is spent
    // waiting on those servers (start-up, failover, backoff), so four files run at once even on
    // 2 cores (vitest's default would be one: cores - 1; four measured 10 % faster than three);
    // timing assertions allow for it.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
