/** Renders the real program (`infra/index.ts`) for a real stack file under the mock harness. */
import { vi } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { renderProgram, stackFileConfig, type ProgramConfig, type Render } from "../support/pulumi";

export const STACKS = ["local", "dev", "staging", "prod"] as const;

/** The stack file's raw config, with fake values for every secret it needs (the program requires them). */
export function realStackConfig(stack: string): ProgramConfig {
  const parsed = loadStackConfigFile(stack);
  const required = Object.entries(parsed.secrets)
    .filter(([, v]) => !v.known)
    .map(([k]) => `rollout-stack:${k}`);
  return stackFileConfig(stack, required);
}

/** One render of the whole program, with a fresh copy of the project's modules. */
export function renderStack(stack: string, config: ProgramConfig = realStackConfig(stack)): Promise<Render> {
  return renderProgram({
    stack,
    config,
    program: async () => {
      vi.resetModules();
      return { ...(await import("../../infra/index")) };
    },
  });
}
