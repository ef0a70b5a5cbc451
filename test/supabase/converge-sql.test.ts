/**
 * The pure parts of convergence: SQL builders (exact SQL asserted), validation as the Storage API
 * and Postgres validate, grant planning, and the declaration planner (merging, refusals).
 */
import { describe, expect, it } from "vitest";
import type { AppDecl, DatabaseDecl } from "../../infra/apps/types";
import { CATALOG } from "../../infra/apps";
import { describeStep } from "../../infra/supabase/converge";
import { databasesOf, DeclarationError, planDatabase, ROLLOUT_SCHEMA } from "../../infra/supabase/declaration";
import { bucketNameProblem, bucketSpecOf, mimeTypeProblem, parseFileSizeLimit, upsertBucketQuery } from "../../infra/supabase/sql/buckets";
import { planSchema, schemaSpecOf, type SchemaState } from "../../infra/supabase/sql/grants";
import { createPolicySql, dropPolicySql, policySpecOf, samePolicy } from "../../infra/supabase/sql/policies";
import { formatVerifyProblem } from "../../infra/supabase/sql/verify";

describe("bucket validation (as the Storage API)", () => {
  it.each([
    ["conversation-files", undefined],
    ["Avatars (2024) & co.", undefined],
    ["a".repeat(100), undefined],
    ["", "is empty"],
    [" padded", "has leading or trailing whitespace"],
    ["a".repeat(101), "is 101 characters long (at most 100)"],
    ["raw/files", 'contains "/" (allowed: letters, digits, space and _ ! . * \' ( ) & $ @ = ; : + , ? -)'],
    ["émoji", 'contains "é" (allowed: letters, digits, space and _ ! . * \' ( ) & $ @ = ; : + , ? -)'],
    ["lake--table-s3", 'ends with the reserved suffix "--table-s3"'],
  ])("name %j: %s", (name, problem) => {
    expect(bucketNameProblem(name)).toBe(problem);
  });

  // Storage's parseFileSizeToBytes (src/storage/limits.ts): decimal units, the number rounded to 3
  // significant digits (toPrecision(3)) before the unit is applied; a bare integer is bytes.
  it.each([
    ["50MB", 50_000_000],
    ["1.5GB", 1_500_000_000],
    ["100kb", 100_000],
    ["12B", 12],
    ["1048576", 1_048_576],
    ["0.0015MB", 1500],
    ["1536KB", 1_540_000],
    ["1234567B", 1_230_000],
    ["2.345MB", 2_350_000],
    ["0.1234KB", 123],
  ])("size %s is %d bytes, as parseFileSizeToBytes (storage src/storage/limits.ts) stores it", (text, bytes) => {
    expect(parseFileSizeLimit(text)).toBe(bytes);
  });

  it.each(["10 MB", "50MiB", "MB", "-1MB", "1e6"])("size %j is refused", (text) => {
    expect(() => parseFileSizeLimit(text)).toThrow(`"${text}" is not a size (write bytes, or a number with B, KB, MB or GB, e.g. "50MB")`);
  });

  it("refuses a size Storage would turn into a fraction of a byte (its bigint column refuses it)", () => {
    expect(() => parseFileSizeLimit("1.5B")).toThrow('"1.5B" is 1.5 bytes once rounded as Storage rounds it; write a whole number of bytes');
  });

  // Storage.validateMimeType (src/storage/storage.ts): each entry at most 1000 characters and matching
  // /^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+)(;\s*charset=[a-zA-Z0-9\-]+)?$|\*$/; stored as given.
  it.each([
    ["image/png", true],
    ["Image/PNG", true],
    ["image/*", true],
    ["application/vnd.api+json", true],
    ["text/plain;charset=utf-8", true],
    ["text/plain; charset=UTF-8", true],
    ["*", true],
    ["application/json; q=1", false],
    ['text/plain; charset="utf-8"', false],
    ["text", false],
    ["image/png ", false],
    ["image/png;charset", false],
    [`image/${"x".repeat(995)}`, false],
  ])("MIME type %j is %s by Storage.validateMimeType (storage src/storage/storage.ts)", (input, accepted) => {
    expect(mimeTypeProblem(input) === undefined).toBe(accepted);
  });

  it("keeps MIME types exactly as given (Storage matches uploads by exact type and subtype, case and parameters included)", () => {
    expect(bucketSpecOf({ id: "files", public: false, fileSizeLimit: "2MB", allowedMimeTypes: ["IMAGE/PNG", "image/png", "", "text/plain;charset=utf-8", "image/*"] })).toEqual({
      id: "files",
      name: "files",
      public: false,
      fileSizeLimit: 2_000_000,
      // Empty entries are dropped, as the bucket routes do; nothing else is changed.
      allowedMimeTypes: ["IMAGE/PNG", "image/png", "text/plain;charset=utf-8", "image/*"],
    });
    expect(bucketSpecOf({ id: "any", public: true, allowedMimeTypes: [] }).allowedMimeTypes).toBeNull();
  });

  it("refuses a limit above the project's global limit, and lists every problem", () => {
    expect(() => bucketSpecOf({ id: "big/", public: false, fileSizeLimit: "60MB", allowedMimeTypes: ["nope"] })).toThrow(
      [
        'bucket "big/": id contains "/" (allowed: letters, digits, space and _ ! . * \' ( ) & $ @ = ; : + , ? -)',
        'bucket "big/": fileSizeLimit 60MB (60000000 bytes) is above the project\'s upload limit of 52428800 bytes; lower it, or raise the project\'s limit (Storage settings) and the component\'s globalFileSizeLimit',
        'bucket "big/": allowedMimeTypes: "nope" is not a MIME type Storage accepts (write type/subtype, type/subtype;charset=x or type/*, e.g. "image/png", "image/*")',
      ].join("\n"),
    );
    expect(bucketSpecOf({ id: "big", public: false, fileSizeLimit: "60MB" }, 100_000_000).fileSizeLimit).toBe(60_000_000);
  });

  it("upserts with parameters only, writing the row only when it differs", () => {
    const q = upsertBucketQuery(bucketSpecOf({ id: "o'brien", public: false }));
    expect(q.values).toEqual(["o'brien", "o'brien", false, null, null]);
    expect(q.text).not.toContain("o'brien");
    expect(q.text).toContain("is distinct from (excluded.name, excluded.public, excluded.file_size_limit, excluded.allowed_mime_types)");
  });
});

describe("schemas and grants", () => {
  const state = (s: Partial<SchemaState>): SchemaState => ({ exists: true, usage: [], tables: [], grants: [], ...s });

  it("defaults USAGE to the API roles when exposed, leaves it unmanaged otherwise", () => {
    expect(schemaSpecOf({ name: "public", exposed: true }).usage).toEqual(["anon", "authenticated", "service_role"]);
    expect(schemaSpecOf({ name: "internal", exposed: false }).usage).toBeUndefined();
    expect(planSchema(schemaSpecOf({ name: "internal", exposed: false }), state({ usage: ["anon"] }))).toEqual([]);
  });

  it("plans exactly what differs, API roles exact, other roles only granted", () => {
    const spec = schemaSpecOf({
      name: "app",
      exposed: true,
      usage: ["authenticated", "reporting"],
      grants: { notes: { authenticated: ["insert", "select", "select"], reporting: ["select"] } },
    });
    expect(spec.grants.notes.authenticated).toEqual(["select", "insert"]);
    const plan = planSchema(
      spec,
      state({
        usage: ["anon", "authenticated"],
        tables: ["notes"],
        grants: [
          { table: "notes", role: "anon", privilege: "select" },
          { table: "notes", role: "authenticated", privilege: "select" },
          { table: "notes", role: "authenticated", privilege: "delete" },
          { table: "notes", role: "reporting", privilege: "update" },
        ],
      }),
    );
    expect(plan).toEqual([
      'grant usage on schema "app" to "reporting"',
      'revoke usage on schema "app" from "anon"',
      'revoke select on table "app"."notes" from "anon"',
      'grant insert on table "app"."notes" to "authenticated"',
      'revoke delete on table "app"."notes" from "authenticated"',
      'grant select on table "app"."notes" to "reporting"',
    ]);
  });

  it("creates a missing schema, quoting names", () => {
    expect(planSchema(schemaSpecOf({ name: "Mixed$Case", exposed: true, usage: ["authenticated"] }), state({ exists: false }))).toEqual([
      'create schema if not exists "Mixed$Case"',
      'grant usage on schema "Mixed$Case" to "authenticated"',
    ]);
  });

  it("refuses what is not a plain identifier or a privilege", () => {
    expect(() => schemaSpecOf({ name: "app", exposed: true, grants: { "app.notes": { anon: ["select", "read"] } } })).toThrow(
      'schema "app": table "app.notes" is not a plain identifier (write the table name alone, without the schema)\nschema "app": grants.app.notes.anon: "read" is not a table privilege (select, insert, update, delete, truncate, references, trigger)',
    );
  });
});

describe("policies", () => {
  it("builds create and drop statements with quoted names and the PUBLIC keyword", () => {
    const spec = policySpecOf({ name: "read all", on: "app.notes", command: "select", roles: ["public", "authenticated"], using: " true " });
    expect(createPolicySql(spec)).toBe('create policy "read all" on "app"."notes" as permissive for select to "authenticated", public using (true)');
    expect(dropPolicySql(spec)).toBe('drop policy if exists "read all" on "app"."notes"');
    const update = policySpecOf({ name: "own", on: "app.notes", command: "update", roles: ["authenticated"], using: "a", withCheck: "b" });
    expect(createPolicySql(update)).toBe('create policy "own" on "app"."notes" as permissive for update to "authenticated" using (a) with check (b)');
  });

  it("refuses what Postgres would refuse, naming the policy", () => {
    expect(() => policySpecOf({ name: "x".repeat(64), on: "app.notes", command: "delete", roles: [], withCheck: "true" })).toThrow(
      [
        `policy "${"x".repeat(64)}" on app.notes: the name must be 1–63 bytes (Postgres truncates longer names, and the policy could not be found again)`,
        `policy "${"x".repeat(64)}" on app.notes: roles is empty; name the roles it applies to (e.g. ["authenticated"])`,
        `policy "${"x".repeat(64)}" on app.notes: a delete policy takes only using (Postgres rejects WITH CHECK for DELETE)`,
        `policy "${"x".repeat(64)}" on app.notes: a delete policy needs using (the rows it applies to)`,
      ].join("\n"),
    );
  });

  it("compares stored policies, roles as a set", () => {
    const a = { permissive: "PERMISSIVE", roles: ["b", "a"], cmd: "SELECT", qual: "true", with_check: null };
    expect(samePolicy(a, { ...a, roles: ["a", "b"] })).toBe(true);
    expect(samePolicy(a, { ...a, qual: "false" })).toBe(false);
  });
});

describe("verification messages", () => {
  it("name the object and the fix", () => {
    expect(formatVerifyProblem({ kind: "rls-disabled", table: "public.t" })).toContain("alter table public.t enable row level security;");
    expect(formatVerifyProblem({ kind: "view-not-invoker", view: "public.v" })).toContain("alter view public.v set (security_invoker = true);");
    expect(formatVerifyProblem({ kind: "check-false", name: "c", got: "false" })).toBe('check "c" returned false, not true');
  });

  it("describe what a local run changed, one line per object", () => {
    expect(describeStep({ step: "policy", target: "p on s.t", changed: true, actions: ["create policy ..."] })).toBe("created policy p on s.t");
    expect(describeStep({ step: "policy", target: "p on s.t", changed: true, actions: ["drop ...", "create ..."] })).toBe("replaced policy p on s.t");
    expect(describeStep({ step: "schema", target: "app", changed: true, actions: ["a", "b"] })).toBe("schema app: a; b");
  });
});

describe("the declaration planner", () => {
  const app = (name: string, database: DatabaseDecl): AppDecl => ({ ...CATALOG[0], name, database });
  const decl = (over: Partial<DatabaseDecl> = {}): DatabaseDecl => ({ name: "shared", schemas: [{ name: "public", exposed: true }], buckets: [], policies: [], checks: [], ...over });

  it("plans every catalog database without a problem", () => {
    for (const d of databasesOf(CATALOG)) {
      const plan = planDatabase(d);
      expect(plan.managedSql.map((m) => m.schema)).toEqual([ROLLOUT_SCHEMA]);
      expect(plan.exposedSchemas).not.toContain(ROLLOUT_SCHEMA);
    }
  });

  it("merges apps sharing a database; identical declarations are shared", () => {
    const check = { name: "c", sql: "select true" };
    const merged = databasesOf([app("a", decl({ checks: [check] })), app("b", decl({ checks: [check, { name: "d", sql: "select true" }] }))]);
    expect(merged).toEqual([decl({ checks: [check, { name: "d", sql: "select true" }] })]);
  });

  it("refuses conflicting declarations of one database, naming both apps", () => {
    const a = app("a", decl({ buckets: [{ id: "files", public: false }] }));
    const b = app("b", decl({ buckets: [{ id: "files", public: true }] }));
    expect(() => databasesOf([a, b])).toThrow(DeclarationError);
    expect(() => databasesOf([a, b])).toThrow('bucket files is declared differently by a and b; declare it once, or make the declarations identical');
  });

  it("refuses duplicates and an exposed rollout schema", () => {
    expect(() =>
      planDatabase(decl({ schemas: [{ name: "rollout", exposed: true }, { name: "rollout", exposed: true }], checks: [{ name: "c", sql: " " }] })),
    ).toThrow(
      [
        'database "shared" is declared with 3 problems:',
        '  - schema "rollout" holds the managed SQL "rollout-bucketing" and must not be exposed: functions in an exposed schema are callable by anyone through the Data API',
        '  - schema "rollout" is declared twice',
        '  - check "c" has no SQL',
      ].join("\n"),
    );
  });
});
