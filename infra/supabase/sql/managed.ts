/**
 * Managed SQL: a unit we install and own (the rollout bucketing functions), versioned by a hash of its
 * text, with the version recorded as a marker at the end of its schema's comment. Pure: no I/O.
 */

/** SQL we install and manage as a unit (e.g. the bucketing functions), versioned by a hash of its text. */
export interface ManagedSqlSpec {
  /** e.g. `rollout-bucketing`. */
  name: string;
  /** The schema it creates; the version marker lives in that schema's comment. Never exposed. */
  schema: string;
  sql: string;
  /** A hash of `sql`. */
  version: string;
}

/** The marker of this version, at the end of the schema's comment: `[rollout-stack <name> <version>]`. */
export function managedSqlMarker(spec: Pick<ManagedSqlSpec, "name" | "version">): string {
  return `[rollout-stack ${spec.name} ${spec.version}]`;
}

/** Whether the schema's comment says this version is installed. */
export function managedSqlInstalled(spec: Pick<ManagedSqlSpec, "name" | "version">, comment: string | null | undefined): boolean {
  return !!comment?.endsWith(managedSqlMarker(spec));
}

/** The schema's comment (null: no comment, or no such schema), given SQL for the schema name. */
export function schemaCommentSql(schema: string): string {
  return `obj_description(to_regnamespace(${schema})::oid, 'pg_namespace')`;
}
