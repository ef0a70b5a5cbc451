/**
 * App declarations: plain, typed data. An app is declared once here; stacks choose which apps they
 * manage and at which rung each feature stands (`stacks/Pulumi.<stack>.yaml`).
 *
 * Nothing in this file (or in `infra/apps/`) imports Pulumi: the declarations are read by the Pulumi
 * program, by the CLIs and by the tests alike.
 */

/** A Vercel deployment target. Rollout phases apply to `production`; `preview` follows unless the stack says otherwise. */
export type Target = "production" | "preview" | "development";
export const TARGETS: readonly Target[] = ["production", "preview", "development"];

/**
 * Where an env var's value comes from.
 * - `setting`: a non-secret per-app value, `rollout-stack:settings` key `<app>/<KEY>` (default below);
 *   the preview target may override it with `rollout-stack:previewSettings`.
 * - `secret`: a top-level secret key `rollout-stack:<app>.<KEY>` (and `<app>.<KEY>.preview` for a
 *   different preview value). Set with `pulumi config set --secret`.
 * - `cronSecret`: the app's generated `CRON_SECRET` (a `random.RandomPassword`).
 */
export type EnvSource =
  | { from: "setting"; default?: string; format?: "integer" | "url" | "text" }
  | { from: "secret" }
  | { from: "cronSecret" };

/** A static env var of an app (feature-driven vars are declared by the feature's `delivery`). */
export interface EnvVarDecl {
  /** The env var name, e.g. `SESSION_CLEANUP_THRESHOLD_HOURS`. */
  key: string;
  source: EnvSource;
  /**
   * Targets that receive the var. Vercel forbids `sensitive` vars on `development`.
   * @default ["production", "preview", "development"] for settings, ["production", "preview"] for secrets
   */
  targets?: Target[];
  /** Vercel `sensitive` (write-only in the dashboard). Secrets are always sensitive. */
  sensitive: boolean;
  /** Seed step IDs this var answers (README table). */
  seedSteps?: string[];
  description: string;
}

/**
 * How a feature's rung becomes env values (`deliveredValues` in `infra/rollout/ladder.ts`).
 * - `enabled`: `"true"` on every rung except the first (the off rung), where it is `"false"`.
 * - `percent`: the share of users the rung covers, as the app's bucketing reads it:
 *   `"0"` (first rung), `"10"`, `"beta"`, `"beta+25"`, `"100"` (a named rung past the first counts as 100).
 * - `map`: an explicit value per rung name (every rung must have one).
 */
export type Delivery = (
  | { kind: "enabled"; key: string }
  | { kind: "percent"; key: string }
  | { kind: "map"; key: string; values: Record<string, string> }
) & {
  /** Targets that receive the value. @default ["production", "preview", "development"] */
  targets?: Target[];
};

/**
 * A read-only query on the app's database returning one row with one numeric column, compared with a
 * threshold: `value <op> threshold`. NULL or no row means "no data". As a gate it passes when the
 * comparison holds (no data: hold, not pass); as a kill trigger it trips when it holds (no data: never
 * a trip).
 */
export interface SqlCheckDecl {
  kind: "sql";
  name: string;
  query: string;
  op: ">=" | "<=" | ">" | "<" | "=";
  threshold: number;
  description: string;
}

/**
 * A PromQL instant query against the stack's Prometheus (or anything speaking its query API), compared
 * with a threshold: `value <op> threshold`. `{{feature}}`, `{{app}}` and `{{stack}}` may stand inside
 * quoted strings (filled in escaped), `{{window}}` where a duration goes. Only exactly one finite, fresh
 * sample is judged; no series, several, NaN or a stale sample is no data (see `infra/rollout/prometheus.ts`).
 * In a stack that declares no Prometheus (`rollout-stack:prometheus`), a gate of this kind is an
 * `attest` gate of the same name (a person checks the number), and a trigger is not evaluated.
 */
export interface PrometheusCheckDecl {
  kind: "prometheus";
  name: string;
  query: string;
  op: ">=" | "<=" | ">" | "<" | "=";
  threshold: number;
  /** What `{{window}}` stands for. @default "15m" */
  window?: string;
  /** A sample older than this, in seconds, is stale: no data. @default 300 */
  freshSeconds?: number;
  description: string;
}

/** Gates a rung must pass before the feature may advance past it (checked by `rollout`, issue 6). */
export type GateDecl =
  | SqlCheckDecl
  | PrometheusCheckDecl
  | {
      kind: "attest";
      name: string;
      /** What the person acknowledging must have looked at, e.g. "error rate < 1% over 48 h". */
      description: string;
    };

/**
 * A kill trigger, evaluated by `rollout watch` while the feature stands on the rung: it trips when
 * `value <op> threshold` holds, and the feature is killed (to its first rung). A query returns NULL
 * (SQL) or no single fresh sample (Prometheus) while there is too little data to judge: never a trip.
 */
export type KillTriggerDecl = SqlCheckDecl | PrometheusCheckDecl;

export interface RungDecl {
  /** `off`, a percent (`"10"`), a name (`"dry-run"`), a cohort (`"beta"`); see `infra/rollout/ladder.ts`. */
  name: string;
  /** Minimum time to stay on this rung before advancing, in hours. @default 0 */
  soakHours?: number;
  /** Gates checked before advancing past this rung. @default [] */
  gates?: GateDecl[];
  /** Checked by `rollout watch` while the feature stands on this rung; a trip kills it. @default [] */
  killTriggers?: KillTriggerDecl[];
}

export interface FeatureDecl {
  /** `<app>/<name>` is the key in `rollout-stack:phases`. */
  name: string;
  description: string;
  /** Rungs in order. The first is the kill target (off, dry-run, ...). */
  rungs: RungDecl[];
  /** Extra allowed forward moves besides "one rung forward", e.g. `off → 100` ("all at once", seed 000). */
  shortcuts?: Array<[from: string, to: string]>;
  /** Env values the current rung produces. */
  delivery: Delivery[];
  /** Named user cohorts the app knows (`beta`). */
  cohorts?: string[];
  /**
   * Live: the share (`"0"`, `"10"`, `"beta+25"`, …) is also written to the stack's Edge Config item and
   * read by server code at request time, so a kill takes seconds instead of a build. Server-read values
   * only: a `NEXT_PUBLIC_*` delivery is inlined at build time and cannot be live.
   * @default false
   */
  live?: boolean;
  seedSteps?: string[];
}

export interface CronDecl {
  /** Path of the route Vercel calls (with `Authorization: Bearer $CRON_SECRET`). */
  path: string;
  /** Five-field cron expression, UTC. */
  schedule: string;
}

/** An app's database, declared as data (so the Vercel half can be planned without the SQL half). */
export interface DatabaseDecl {
  /** Migrations live in `migrations/<name>/`; apps may share a database. */
  name: string;
  /** `exposed` = served by the Data API (PostgREST `db_schema`). */
  schemas: {
    name: string;
    exposed: boolean;
    /**
     * Roles granted USAGE on the schema; the API roles (`anon`, `authenticated`, `service_role`) not
     * listed lose it. @default the three API roles when exposed; not managed otherwise
     */
    usage?: string[];
    /**
     * Per-table privileges by role, converged after the migrations: each API role ends up with exactly
     * what is listed (nothing when absent); other roles get what is listed. Tables not listed are
     * left alone. e.g. `{ threads: { authenticated: ["select", "insert", "update", "delete"] } }`
     * @default {}
     */
    grants?: Record<string, Record<string, ("select" | "insert" | "update" | "delete" | "truncate" | "references" | "trigger")[]>>;
  }[];
  buckets: { id: string; public: boolean; fileSizeLimit?: string; allowedMimeTypes?: string[] }[];
  policies: {
    name: string;
    /** `schema.table` */
    on: string;
    command: "select" | "insert" | "update" | "delete" | "all";
    roles: string[];
    using?: string;
    withCheck?: string;
  }[];
  /** Must return true after convergence (the seeds' verify queries). */
  checks: { name: string; sql: string }[];
}

export interface VercelProjectDecl {
  framework: "nextjs";
  gitRepository: { type: "github" | "gitlab" | "bitbucket"; repo: string };
}

/**
 * Who an app buckets, for exposure counts ("+4,812 users of 12,030"): a read-only query on the app's
 * database returning one row per ID the app passes to `inRollout`, as `(id text, cohorts text[])`, e.g.
 * the users active in the last 7 days and the cohorts each belongs to (so `beta` rungs count).
 */
export interface PopulationDecl {
  query: string;
  /** What the population is, in words (printed with the counts), e.g. "users with a session in the last 7 days". */
  description: string;
}

export interface AppDecl {
  /** Catalog name, used in stack files and as the Vercel project name in `prod`. */
  name: string;
  /** Seed guide this app comes from, e.g. `000`. */
  seed: string;
  description: string;
  vercel: VercelProjectDecl;
  env: EnvVarDecl[];
  features: FeatureDecl[];
  crons: CronDecl[];
  database?: DatabaseDecl;
  /** The IDs the app buckets, for exposure counts of a move (needs `database`). */
  population?: PopulationDecl;
}
