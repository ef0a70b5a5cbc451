/**
 * Renders one tree's stack in a child process (`child.ts` under ts-node, transpile-only), so that each
 * render has a fresh Pulumi runtime and module cache and the base tree's code never mixes with the
 * working tree's. The child gets a minimal environment: no credentials from this process reach the
 * program, and nothing it prints reaches the plan's output.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FINGERPRINT_ENV, type ChildErrorKind, type ChildRequest, type ChildResult } from "./protocol";
import type { PlanSnapshot } from "./snapshot";

/** A tree that could not be rendered: its config is invalid, its program failed, or the child crashed. */
export class RenderError extends Error {
  constructor(
    readonly kind: ChildErrorKind | "crash" | "timeout",
    message: string,
  ) {
    super(message);
    this.name = "RenderError";
  }
}

export interface RenderTreeOptions {
  /** The tree's project root (holds `Pulumi.yaml`). */
  root: string;
  stack: string;
  /** Key of the fingerprints that stand in for secret values (one per plan run). */
  fingerprintKey: string;
  /** @default 300000 (5 minutes) */
  timeoutMs?: number;
}

/** Variables a Node process needs to run at all; everything else (tokens, passphrases) stays out. */
const PASSED_ENV = ["PATH", "HOME", "TMPDIR", "TMP", "TEMP", "LANG", "LC_ALL", "SYSTEMROOT", "USERPROFILE"];
const MAX_CAPTURE = 64 * 1024;

const running = new Set<ChildProcess>();
const scratch = new Set<string>();

/** Kills the render processes still running and removes their scratch directories (for signal handlers). */
export function stopActiveRenders(): void {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
}

function childEnv(root: string, key: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  const tsconfig = path.join(root, "tsconfig.json");
  env.TS_NODE_PROJECT = fs.existsSync(tsconfig) ? tsconfig : path.resolve(__dirname, "../../tsconfig.json");
  env[FINGERPRINT_ENV] = key;
  return env;
}

/** Renders `options.stack` of the tree at `options.root`; throws `RenderError`. */
export async function renderTree(options: RenderTreeOptions): Promise<PlanSnapshot> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-plan-render-"));
  scratch.add(tmp);
  try {
    const request: ChildRequest = { root: options.root, stack: options.stack, out: path.join(tmp, "result.json") };
    const requestFile = path.join(tmp, "request.json");
    fs.writeFileSync(requestFile, JSON.stringify(request));
    const register = require.resolve("ts-node/register/transpile-only");
    const child = spawn(process.execPath, ["-r", register, path.join(__dirname, "child.ts"), requestFile], {
      cwd: options.root,
      env: childEnv(options.root, options.fingerprintKey),
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < MAX_CAPTURE) stderr += d;
    });
    // Whatever the program prints is not part of the plan.
    child.stdout.resume();
    const timeoutMs = options.timeoutMs ?? 300_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    }).finally(() => {
      clearTimeout(timer);
      running.delete(child);
    });
    if (timedOut) throw new RenderError("timeout", `the render did not finish within ${Math.round(timeoutMs / 1000)} s`);
    if (!fs.existsSync(request.out)) {
      throw new RenderError("crash", `the render process exited with code ${code} without a result${stderr.trim() ? `:\n${stderr.trim().split("\n").slice(-20).join("\n")}` : ""}`);
    }
    const result = JSON.parse(fs.readFileSync(request.out, "utf8")) as ChildResult;
    if (!result.ok) throw new RenderError(result.error.kind, result.error.message);
    return result.snapshot;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    scratch.delete(tmp);
  }
}
