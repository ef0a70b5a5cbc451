/** The Vercel side: the `VercelApp` component and the pure planning it is built on. */
export { VercelApp, summarize, type VercelAppArgs, type VercelAppSummary, type VercelAppTransforms } from "./app";
export * from "./crons";
export * from "./env-plan";
export { LiveItem, LiveValues, type LiveValuesArgs } from "./live";
export * from "./live-plan";
