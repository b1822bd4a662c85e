import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    // Engine tests start real servers; give them room. Most of a test file's time is spent
    // waiting on those servers (start-up, failover, backoff), so three files run at once even on
    // 2 cores (vitest's default would be one: cores - 1); timing assertions allow for it.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
