/**
 * A rendered stack as plain, secret-free data: what the plan compares. Pure: no Pulumi import.
 *
 * A snapshot is made in the child process that rendered the stack (`child.ts`) and travels to the
 * parent as JSON. Nothing secret crosses: every input that was a Pulumi secret, and the value of every
 * `sensitive` env var, is replaced by a keyed fingerprint (`{ $secret: "<hex>" }`) that shows whether a
 * value changed between base and head and nothing else. The fingerprint key is random per plan run.
 */
import * as crypto from "crypto";
import type { FeatureDecl } from "../apps/types";
import type { StackPlan } from "../model";
import type { PopulationSource } from "../rollout/exposure";

export const SNAPSHOT_VERSION = 1;

/** A masked value: equal fingerprints mean equal values (within one plan run). */
export interface MaskedSecret {
  $secret: string;
}

export function isMasked(value: unknown): value is MaskedSecret {
  return value !== null && typeof value === "object" && !Array.isArray(value) && typeof (value as MaskedSecret).$secret === "string";
}

export interface SnapshotResource {
  urn: string;
  type: string;
  name: string;
  /** Custom resources talk to a provider; components and the stack only group. */
  custom: boolean;
  /** Parent URN ("" for the stack itself). */
  parent: string;
  /** Inputs with secrets masked; a dynamic resource's serialized provider (`__provider`) is dropped. */
  inputs: Record<string, unknown>;
  /** Top-level inputs that were masked. */
  masked: string[];
  options: {
    protect: boolean;
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    importId: string;
    replaceOnChanges: string[];
  };
}

/** The part of the stack file the report reads directly (data, independent of the tree's code). */
export interface StackFileFacts {
  /** Project-relative path, e.g. `stacks/Pulumi.prod.yaml`. */
  path: string;
  apps: string[];
  /** `<app>/<feature>` → rung (numbers normalised to strings). */
  phases: Record<string, string>;
  previewPhases: Record<string, string>;
  /** Secret config keys (`secure:` values) → fingerprint of the ciphertext. */
  secrets: Record<string, string>;
  /** ESC environments the stack file imports (their values are not available offline). */
  environments: string[];
}

export interface PlanSnapshot {
  version: typeof SNAPSHOT_VERSION;
  stack: string;
  project: string;
  /** Null when the tree has no stack file for this stack (everything the head declares is "added"). */
  stackFile: StackFileFacts | null;
  /** The tree's own feature declarations by `<app>/<feature>` (for describing moves), when it has a catalog. */
  features: Record<string, FeatureDecl> | null;
  /**
   * The tree's population declarations by app (for exposure counts), or null when the tree has no
   * catalog. Only the stack's apps that declare one (and a database) are listed.
   */
  populations: Record<string, PopulationSource> | null;
  resources: SnapshotResource[];
  /** Stack outputs; secret outputs are masked. */
  outputs: Record<string, unknown>;
  /** What the program logged through `pulumi.log` (warnings, errors). */
  logs: { severity: string; message: string }[];
  /** Secret config keys that were missing from the file and got a placeholder (e.g. provided by ESC). */
  placeholders: string[];
  /** The tree's stack model (`planStack`); null when the tree's code predates it or it has no stack file. */
  model: StackPlan | null;
}

/** What a rendered resource looks like to this module (the harness's `RecordedResource`). */
export interface RecordedLike {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, any>;
  secretInputs: string[];
  opts: {
    parent: string;
    protect: boolean | undefined;
    deleteBeforeReplace: boolean;
    importId: string;
    retainOnDelete: boolean | undefined;
    replaceOnChanges: string[];
  };
}

/** A keyed fingerprint: 16 hex characters of HMAC-SHA256. */
export function fingerprint(key: string, value: unknown): string {
  return crypto
    .createHmac("sha256", key)
    .update(typeof value === "string" ? value : JSON.stringify(value))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Which top-level inputs to mask: those Pulumi marks secret. (The Vercel SDK marks every env var's
 * `value` secret, so env values never appear here; the report reads them from the stack model,
 * which holds no secret.)
 */
export function maskedInputs(r: RecordedLike): string[] {
  return [...new Set(r.secretInputs)].filter((k) => k in r.inputs).sort();
}

/** One recorded resource as snapshot data, secrets masked. */
export function snapshotResource(r: RecordedLike, fingerprintKey: string): SnapshotResource {
  const masked = maskedInputs(r);
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.inputs)) {
    if (k === "__provider") continue; // the dynamic provider's code: large, and its changes trigger nothing
    inputs[k] = masked.includes(k) ? { $secret: fingerprint(fingerprintKey, v) } : v;
  }
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    parent: r.opts.parent,
    inputs,
    masked,
    options: {
      protect: r.opts.protect === true,
      deleteBeforeReplace: r.opts.deleteBeforeReplace,
      retainOnDelete: r.opts.retainOnDelete === true,
      importId: r.opts.importId,
      replaceOnChanges: [...r.opts.replaceOnChanges].sort(),
    },
  };
}

/** Stack outputs as snapshot data: secret outputs masked. */
export function snapshotOutputs(outputs: Record<string, unknown>, secretOutputs: readonly string[], fingerprintKey: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, secretOutputs.includes(k) ? { $secret: fingerprint(fingerprintKey, v) } : v]));
}
