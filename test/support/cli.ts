/**
 * A CLI entry point run as `npm run <script>` runs it: its own `node` process under ts-node
 * (transpile-only), in the project root, stdout and stderr collected together in arrival order (and
 * stdout alone, for output a test parses).
 */
import { spawn } from "child_process";
import * as path from "path";

const PROJECT_ROOT = path.resolve(__dirname, "../..");

/** Runs `script` (project-relative, e.g. `infra/cli/db.ts`) with `args`; `env` is added to this process's environment. */
export function runCli(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_ROOT, script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output, stdout }));
  });
}
