/**
 * Bucketing for the rollout tools: the app-facing module (`infra/sdk/bucketing.ts`, dependency-free) and
 * its SQL twin (`bucketing-sql.ts`) implement one spec; this file re-exports both for `infra/`.
 */
export { BUCKETING_SPEC, bucket, inRollout, parseShare, ShareError, type InRolloutOptions, type Share } from "../sdk/bucketing";
export { BUCKETING_SQL, bucketingSql, type BucketingSqlOptions } from "./bucketing-sql";
