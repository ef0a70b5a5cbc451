/**
 * Property tests draw many inputs. Under `npm run mutation` every surviving mutant reruns the tests
 * that cover it, so there they draw fewer (ROLLOUT_TEST_PROFILE=mutation, set by
 * vitest.mutation.config.mts); `npm test` always runs the full size.
 */
const MUTATION_PROFILE = process.env.ROLLOUT_TEST_PROFILE === "mutation";

/** `full` normally, `light` under the mutation profile. */
export function propertySize(full: number, light: number): number {
  return MUTATION_PROFILE ? light : full;
}
