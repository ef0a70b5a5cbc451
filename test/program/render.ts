/** Renders the real program (`infra/index.ts`) for a real stack file under the mock harness. */
import { vi } from "vitest";
import { renderProgram, type ProgramConfig, type Render } from "../support/pulumi";
import { realStackConfigForHost as realStackConfig } from "./host-config";

/** The stack file's raw config, with fake values for every secret it needs (the program requires them). */
export { realStackConfig };

export const STACKS = ["local", "dev", "staging", "prod"] as const;

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
