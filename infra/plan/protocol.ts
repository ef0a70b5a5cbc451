/**
 * What the plan's parent process and its render child (`child.ts`) exchange. No Pulumi import: the
 * parent never loads the Pulumi SDK.
 */
import type { PlanSnapshot } from "./snapshot";

/** What the parent asks for. The fingerprint key comes through the environment, not this file. */
export interface ChildRequest {
  /** The source tree to render (a checkout or a worktree). */
  root: string;
  stack: string;
  /** Where to write the `ChildResult` JSON. */
  out: string;
}

/** `config`: the stack file is invalid (a ConfigError); `program`: the program threw; `setup`: the tree is unusable. */
export type ChildErrorKind = "config" | "program" | "setup";

export type ChildResult = { ok: true; snapshot: PlanSnapshot } | { ok: false; error: { kind: ChildErrorKind; message: string } };

/** Environment variable carrying the per-run fingerprint key from the parent. */
export const FINGERPRINT_ENV = "ROLLOUT_PLAN_FINGERPRINT_KEY";
