/** A real stack file's config with fake secrets, for renders outside vitest (no vitest import here). */
import { loadStackConfigFile } from "../../infra/config";
import { stackFileConfig, type ProgramConfig } from "../support/pulumi";

export function realStackConfigForHost(stack: string): ProgramConfig {
  const parsed = loadStackConfigFile(stack);
  const required = Object.entries(parsed.secrets)
    .filter(([, v]) => !v.known)
    .map(([k]) => `rollout-stack:${k}`);
  return stackFileConfig(stack, required);
}
