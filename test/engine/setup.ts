/**
 * Global setup of the engine tier: finds or builds the CLI once (`npm run engine`'s work, with its
 * progress on screen) and hands it to every test file.
 */
import type { TestProject } from "vitest/node";
import { ensureEngine } from "../../infra/engine/engine";

export default async function setup(project: TestProject): Promise<void> {
  const engine = await ensureEngine({ progress: (line) => console.log(`[engine] ${line}`) });
  console.log(`[engine] pulumi ${engine.version} (${engine.how}): ${engine.pulumi}`);
  project.provide("engine", engine);
}
