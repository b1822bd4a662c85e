// Mutation testing of the order service's logic (MUTATION_AREA=order-service-logic): only the
// in-process specifications (the pure modules' own, and the server's and persister's, which run
// the e-mail forwarding, health and metrics code against a PostgreSQL in the test process), none
// that starts the service as a child process (no mutant is active there). Minutes, not hours.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/order-rules.test.ts", "test/order-spool.test.ts", "test/order-server.test.ts", "test/order-persister.test.ts", "test/order-main.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    testTimeout: 60_000,
  },
});
