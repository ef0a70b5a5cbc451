/**
 * The layering, checked on the import statements of `infra/`: data flows one way (stack file → config →
 * model → components), the pure layers load no Pulumi, and one module reads stack files.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const INFRA = path.join(ROOT, "infra");

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Every module a file imports (static `from "…"` and `require("…")`), relative ones resolved to project paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs = [...text.matchAll(/\bfrom\s+"([^"]+)"|\brequire\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.map((s) => (s.startsWith(".") ? path.relative(ROOT, path.resolve(path.dirname(file), s)).split(path.sep).join("/") : s));
}

const ALL = files(INFRA).map((f) => ({ rel: path.relative(ROOT, f).split(path.sep).join("/"), imports: importsOf(f) }));
const under = (prefix: string) => ALL.filter((f) => f.rel.startsWith(prefix));
/** `file imports target` pairs where target starts with one of `forbidden`. */
const violations = (sources: typeof ALL, forbidden: string[]) =>
  sources.flatMap((f) => f.imports.filter((i) => forbidden.some((p) => i === p || i.startsWith(`${p}/`))).map((i) => `${f.rel} imports ${i}`));

describe("layers", () => {
  it("reads the tree it checks", () => {
    expect(ALL.length).toBeGreaterThan(50);
    expect(ALL.find((f) => f.rel === "infra/rollout/bucketing-sql.ts")?.imports).toContain("infra/sql/quote");
  });

  it("infra/rollout knows no Vercel, no database code, no model, plan or CLI", () => {
    expect(violations(under("infra/rollout/"), ["infra/vercel", "infra/supabase", "infra/model", "infra/plan", "infra/cli"])).toEqual([]);
  });

  it("infra/sql depends on nothing of ours", () => {
    expect(under("infra/sql/").flatMap((f) => f.imports.filter((i) => i.startsWith("infra/")))).toEqual([]);
  });

  it("the vendors' planners and components never reach up into the model, the plan or the CLIs", () => {
    expect(violations([...under("infra/vercel/"), ...under("infra/supabase/")], ["infra/model", "infra/plan", "infra/cli"])).toEqual([]);
  });

  it("the model reaches neither the plan nor the CLIs", () => {
    expect(violations(under("infra/model/"), ["infra/plan", "infra/cli"])).toEqual([]);
  });

  it("pure modules load no Pulumi SDK", () => {
    const pure = [
      ...under("infra/model/"),
      ...under("infra/rollout/"),
      ...under("infra/sql/"),
      ...ALL.filter((f) =>
        ["infra/stack-file.ts", "infra/config.ts", "infra/vercel/env-plan.ts", "infra/vercel/resource-types.ts", "infra/supabase/declaration.ts", "infra/supabase/resources/types.ts", "infra/plan/report.ts", "infra/plan/markdown.ts", "infra/plan/snapshot.ts"].includes(f.rel),
      ),
    ];
    expect(pure.length).toBeGreaterThan(15);
    const sdk = (i: string) => i.startsWith("@pulumi/") || i.startsWith("@pulumiverse/");
    // The one exception: config.ts requires the SDK lazily, inside loadPulumiStackConfig (the program's entry).
    const lazy = (f: (typeof ALL)[number], i: string) => f.rel === "infra/config.ts" && new RegExp(`require\\("${i}"\\)`).test(fs.readFileSync(path.join(ROOT, f.rel), "utf8")) && !new RegExp(`from "${i}"`).test(fs.readFileSync(path.join(ROOT, f.rel), "utf8"));
    expect(pure.flatMap((f) => f.imports.filter((i) => sdk(i) && !lazy(f, i)).map((i) => `${f.rel} imports ${i}`))).toEqual([]);
  });

  it("one module parses stack files: only it (and the project file reader, for Pulumi.yaml) imports yaml", () => {
    expect(ALL.filter((f) => f.imports.includes("yaml")).map((f) => f.rel).sort()).toEqual(["infra/plan/project.ts", "infra/stack-file.ts"]);
  });
});
