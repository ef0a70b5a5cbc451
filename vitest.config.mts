import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure modules and Pulumi mocks; no network, no database) and `integration`
// (a real embedded Postgres that each suite starts itself). `npm test` runs both.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.int.test.ts", "test/engine/**", "**/node_modules/**"],
          testTimeout: 60_000,
          // Setup hooks render whole stacks under mocks (several seconds each on two busy cores).
          hookTimeout: 60_000,
          // Vitest 4 requires distinct group orders for projects with different maxWorkers.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.int.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file starts its own Postgres; two cores: keep it to two at a time.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
