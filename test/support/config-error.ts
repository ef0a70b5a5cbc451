import { expect } from "vitest";
import { ConfigError } from "../../infra/config-error";

/** The problems of the ConfigError `fn` throws (fails the test when it throws anything else, or nothing). */
export function configProblems(fn: () => unknown): { key: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}
