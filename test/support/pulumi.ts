/**
 * The shared Pulumi mock harness for tests. It lives in `infra/plan/render.ts` because the offline
 * `plan` command renders stacks with it too; this module keeps the tests' import path.
 */
export * from "../../infra/plan/render";
