// Mutation testing (npm run mutation): Stryker changes the source one small edit at a time and
// runs the tests that cover it; a mutant the tests do not notice ("survived") is a gap in them.
// Not part of npm test: a full run takes long on 2 cores. Scope with --mutate, e.g.
//   npm run mutation -- --mutate "policies/rules/**/*.ts"
// Reports: reports/mutation/index.html (per file, per mutant) and mutation.json.
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.config.ts" },
  mutate: [
    "policies/**/*.ts",
    "generator/**/*.ts",
    "services/order-persistence/src/**/*.ts",
    // Benchmarks and the CLI's process entry are measured or run, not specified by tests.
    "!generator/bench*.ts",
    "!**/*.d.ts",
  ],
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants) would each need every test run again.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 60_000,
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
