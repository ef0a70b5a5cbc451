import { defineConfig } from "vitest/config";
import { groups } from "./stryker.config.mjs";

// The unit tests `npm run mutation` runs against each mutant: those of the group named by
// ROLLOUT_MUTATION_GROUP (stryker.config.mjs), or all groups' tests. No Postgres, no Pulumi mocks,
// no child processes running our code (a mutant lives in this process only).
// ROLLOUT_TEST_PROFILE=mutation gives the property tests their lighter variant (test/support/property.ts).
const name = process.env.ROLLOUT_MUTATION_GROUP;
const include = [...new Set(Object.entries(groups).flatMap(([n, g]) => (name === undefined || n === name ? g.tests : [])))];

export default defineConfig({
  test: {
    include,
    testTimeout: 60_000,
    env: { ROLLOUT_TEST_PROFILE: "mutation" },
  },
});
