/** The migration benches' files: the same one-table migrations in each tool's naming convention. */
import * as fs from "fs";
import * as path from "path";

function writeFiles(dir: string, naming: (i: number) => string, count: number): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(4, "0");
    fs.writeFileSync(path.join(dir, naming(i)), `create table t_${n} (id integer primary key, note text);\n`);
  }
}

/**
 * Writes `count` migrations under `parent` twice: `ours/` with 14-digit UTC versions (ours, the
 * Supabase CLI's), `node-pg-migrate/` with a millisecond timestamp prefix (node-pg-migrate's).
 */
export function writeBenchMigrations(parent: string, count: number, label = "t"): { oursDir: string; npmDir: string } {
  const oursDir = path.join(parent, "ours");
  const npmDir = path.join(parent, "node-pg-migrate");
  writeFiles(oursDir, (i) => `2025010100${String(i).padStart(4, "0")}_${label}_${i}.sql`, count);
  writeFiles(npmDir, (i) => `${1735689600000 + i}_${label}_${i}.sql`, count);
  return { oursDir, npmDir };
}
