import { defineConfig } from "vitest/config";

// `npm run test:engine`: the program under the real Pulumi CLI (infra/engine), on a file backend and
// an embedded Postgres per test file. Slow (each CLI command starts the engine, the language host and
// the dynamic-provider host), so it is its own tier, not part of `npm test`.
export default defineConfig({
  test: {
    name: "engine",
    include: ["test/engine/**/*.test.ts"],
    globalSetup: ["test/engine/setup.ts"],
    // The first build of the CLI happens in the global setup and takes minutes.
    hookTimeout: 1_800_000,
    testTimeout: 600_000,
    // Scenarios in a file build on each other's state; files run two at a time (two cores).
    maxWorkers: 2,
    sequence: { concurrent: false },
  },
});
