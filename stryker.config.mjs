// Mutation testing (npm run mutation): Stryker changes the source one small edit at a time and
// runs the tests that cover it; a mutant the tests do not notice ("survived") is a gap in them.
// Not part of npm test: a whole run takes hours on 2 cores. Run one area at a time:
//   MUTATION_AREA=policy-rules npm run mutation
// (areas below), or scope by hand: npm run mutation -- --mutate "policies/rules/security.ts".
// Each area keeps its own report (reports/mutation/<area>/index.html, mutation.json) and its own
// incremental file, so later runs retest only what changed; `npm run mutation:score` adds the
// areas' reports up into the README's table.
export const areas = {
  "policy-rules": ["policies/rules/**/*.ts"],
  "policy-engine": ["policies/**/*.ts", "!policies/rules/**"],
  "render-output": ["generator/output.ts", "core/render-lock.ts"],
  // Benchmarks are measured, not specified by tests.
  generator: ["generator/**/*.ts", "!generator/output.ts", "!generator/bench*.ts"],
  // The order service in two parts: what its fast in-process specs decide (validation, money,
  // configuration, logs, metrics), and its I/O (spool, PostgreSQL, gRPC), which only the tests
  // with a real PostgreSQL and real processes decide — slow per mutant (tens of seconds).
  "order-service-logic": ["services/order-persistence/src/{config,email,health,log,messages,metrics,money,order,paths,proto}.ts"],
  "order-service-io": ["services/order-persistence/src/{db,main,migrate,persister,server,spool,store}.ts"],
};

const area = process.env.MUTATION_AREA;
if (area !== undefined && !(area in areas)) throw new Error(`MUTATION_AREA=${area}: expected one of ${Object.keys(areas).join(", ")}`);
const reportDir = area === undefined ? "reports/mutation" : `reports/mutation/${area}`;

export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  // The logic area is judged by its fast in-process specifications only (see that config).
  vitest: { configFile: area === "order-service-logic" ? "test/support/vitest-order-logic.config.ts" : "vitest.config.ts" },
  // core/ and apps/ are not mutated, but for the render lock: vitest.config.ts
  // serves three of their modules precomputed (settings validator, dashboard templates, k6
  // script), which a mutant would never reach.
  mutate: area === undefined ? ["policies/**/*.ts", "generator/**/*.ts", "core/render-lock.ts", "!generator/bench*.ts", "services/order-persistence/src/**/*.ts"] : areas[area],
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants) would each need every test run again.
  ignoreStatic: true,
  concurrency: 2,
  // A mutant that hangs a test (a loop that never ends, a wait never satisfied) counts as
  // detected once it overruns its test run by this much.
  timeoutMS: 15_000,
  incremental: true,
  incrementalFile: `${reportDir}/incremental.json`,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `${reportDir}/index.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  // Another area's sandbox or the reports are not part of the project under test.
  ignorePatterns: [".stryker-tmp*", "reports"],
  tempDirName: area === undefined ? ".stryker-tmp" : `.stryker-tmp-${area}`,
  cleanTempDir: "always",
};
