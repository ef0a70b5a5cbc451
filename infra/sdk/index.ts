/**
 * What apps import from this package: the bucketing spec (`bucketing.ts`). Dependency-free; safe for the
 * browser, Edge middleware and Node. Example:
 * `import { inRollout } from "rollout-stack/infra/sdk"` (or copy `bucketing.ts` into the app).
 */
export * from "./bucketing";
