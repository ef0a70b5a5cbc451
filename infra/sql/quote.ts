/**
 * SQL quoting, the lowest layer: the rollout bucketing SQL and the Supabase code both import it. Used
 * only where SQL must be built as text (simple-protocol batches, DDL, which takes no parameters);
 * everything else is parameterized.
 */

/** A string literal, safe whatever `standard_conforming_strings` says (as `pg`'s `escapeLiteral`). */
export function quoteLiteral(value: string): string {
  if (value.includes("\0")) throw new Error("a SQL string cannot contain a NUL character");
  const body = value.replace(/'/g, "''");
  return value.includes("\\") ? ` E'${body.replace(/\\/g, "\\\\")}'` : `'${body}'`;
}

/** An identifier, always quoted (so case and reserved words are kept). */
export function quoteIdent(name: string): string {
  if (name.includes("\0")) throw new Error("a SQL identifier cannot contain a NUL character");
  return `"${name.replace(/"/g, '""')}"`;
}

/** A `text[]` literal of `values`, e.g. `ARRAY['a','b']::text[]`. */
export function quoteTextArray(values: readonly string[]): string {
  return values.length === 0 ? "ARRAY[]::text[]" : `ARRAY[${values.map(quoteLiteral).join(",")}]::text[]`;
}
