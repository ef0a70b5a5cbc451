/**
 * Errors shared by the command-line tools and the modules they call. Kept apart from `infra/cli/` so
 * that pure modules (e.g. `infra/rollout/commands.ts`) can throw them without importing a CLI.
 */

/** A mistake in how a command was called: the CLIs print it with a pointer to `--help` and exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
