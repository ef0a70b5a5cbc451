/**
 * Who a change's phase moves reach: for each move of a stack file (production or preview), the
 * exposure of its app's population (`exposure.ts`), counted one query per move. Shared by `npm run plan`
 * (moves between the base and the head render) and `rollout exposure` (moves between two commits'
 * stack files, for the trusted pull-request job).
 *
 * The population query is passed in by the caller, who decides which code it trusts: the plan and the
 * pull-request job take the base commit's declaration, never the head's, so a job holding a database URL
 * runs no SQL a pull request wrote. The head contributes data only: its rungs.
 */
import type { FeatureDecl } from "../apps/types";
import { UsageError } from "../errors";
import { exposureOfMove, type Exposure, type ExposureOptions, type PopulationSource } from "./exposure";
import { GATES_DATABASE_URL_PREFIX } from "./gates";
import { shareOf } from "./live";
import type { PhaseMove } from "./moves";

export interface MoveReach extends PhaseMove {
  exposure: Exposure;
}

export interface ReachSources {
  /** The feature's declaration (its ladder turns a rung into a share). */
  feature(key: string): FeatureDecl | undefined;
  /**
   * The app's population: a source to count on, a reason there is none that a reviewer should read
   * (e.g. the base commit declares none yet), or undefined when the app declares no population at all
   * (its moves get no reach line).
   */
  population(app: string): PopulationSource | string | undefined;
}

function shareOrUndefined(feature: FeatureDecl, rung: string): string | undefined {
  try {
    return shareOf(feature, rung);
  } catch {
    return undefined;
  }
}

/**
 * The exposure of every move whose app has a population, in the moves' order. A feature that leaves
 * the stack has no reach (its app decides what happens); one that is new starts from its first rung
 * (the share an unlisted feature has). Counts run one after the other, one query per move.
 */
export async function reachOfMoves(moves: readonly PhaseMove[], sources: ReachSources, options: ExposureOptions): Promise<MoveReach[]> {
  const planned = moves.flatMap((m) => {
    if (m.to === null) return [];
    const source = sources.population(m.key.split("/")[0]);
    return source === undefined ? [] : [{ move: m, source }];
  });
  if (options.databaseUrl) {
    const databases = new Set(planned.flatMap((p) => (typeof p.source === "string" ? [] : [p.source.database])));
    if (databases.size > 1) {
      throw new UsageError(`--database-url applies to one database, and these moves are counted on ${databases.size} (${[...databases].sort().join(", ")}); set ${GATES_DATABASE_URL_PREFIX}<DATABASE> for each instead`);
    }
  }
  const out: MoveReach[] = [];
  for (const { move, source } of planned) {
    const reach = (exposure: Exposure) => out.push({ ...move, exposure });
    if (typeof source === "string") {
      reach({ kind: "error", text: source });
      continue;
    }
    const feature = sources.feature(move.key);
    if (!feature) {
      reach({ kind: "error", text: `${move.key} is not a feature the population's code declares` });
      continue;
    }
    const from = shareOrUndefined(feature, move.from ?? feature.rungs[0].name);
    const to = shareOrUndefined(feature, move.to!);
    if (from === undefined || to === undefined) {
      reach({ kind: "error", text: `"${from === undefined ? move.from : move.to}" is not a rung of ${move.key} in the code the population comes from` });
      continue;
    }
    reach(await exposureOfMove(source, { feature: move.key, from, to }, options));
  }
  return out;
}
