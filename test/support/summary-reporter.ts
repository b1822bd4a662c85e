// Prints the plain closing line CI reads: "N passed, N failed" (", N skipped" when any). Tests
// that never ran because their file failed count as failed, never as skipped.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      // In a file that failed (a hook such as beforeAll threw, or it did not load), tests that did
      // not pass failed with it: they never ran. A file that failed without a failing test counts once.
      const moduleFailed = module.state() === "failed";
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed" || moduleFailed) failedHere++;
        else skipped++;
      }
      failed += moduleFailed && failedHere === 0 ? 1 : failedHere;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  }
}
