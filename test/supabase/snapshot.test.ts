/**
 * The pure half of convergence's one-round-trip read (infra/supabase/sql/snapshot.ts): the batch it
 * sends, and the planner that says, item by item, what a snapshot shows up to date. No database.
 */
import { describe, expect, it } from "vitest";
import { conversationRawStorage } from "../../infra/apps/conversation-raw-storage";
import type { DatabasePlan } from "../../infra/supabase/converge";
import { planDatabase } from "../../infra/supabase/declaration";
import { bucketMatches, bucketSpecOf, type BucketRow } from "../../infra/supabase/sql/buckets";
import { managedSqlInstalled } from "../../infra/supabase/sql/managed";
import { commentPolicySql, policyRecord, policySpecOf, policyUpToDate, type StoredPolicy } from "../../infra/supabase/sql/policies";
import { checkExpressionSql, parseSnapshot, planFromSnapshot, snapshotSql, type DatabaseSnapshot, type PolicySnapshotRow } from "../../infra/supabase/sql/snapshot";

const MANAGED = { name: "rollout-bucketing", schema: "rollout", sql: "select 1", version: "v1" };

function plan(): DatabasePlan {
  return planDatabase(
    {
      name: "app-db",
      schemas: [{ name: "app", exposed: true, usage: ["authenticated"], grants: { notes: { authenticated: ["select"] } } }],
      buckets: [{ id: "files", public: false, fileSizeLimit: "5MB", allowedMimeTypes: ["image/*"] }],
      policies: [{ name: "notes_select", on: "app.notes", command: "select", roles: ["authenticated"], using: "(select auth.uid()) = user_id" }],
      checks: [
        { name: "one", sql: "select true" },
        { name: "two", sql: "select true;" },
      ],
    },
    { managedSql: [MANAGED] },
  );
}

const STORED: StoredPolicy = { permissive: "PERMISSIVE", roles: ["authenticated"], cmd: "SELECT", qual: "(( SELECT auth.uid() AS uid) = user_id)", with_check: null };

/** A snapshot of a database where everything matches `plan()`. */
function upToDate(p = plan()): DatabaseSnapshot {
  const policy: PolicySnapshotRow = { schema: "app", table: "notes", name: "notes_select", ...STORED, comment: policyRecord(p.policies[0], STORED) };
  return {
    schemas: [{ exists: true, usage: ["authenticated"], tables: ["notes"], grants: [{ table: "notes", role: "authenticated", privilege: "select" }] }],
    buckets: [{ id: "files", name: "files", public: false, file_size_limit: 5_000_000, allowed_mime_types: ["image/*"] }],
    policies: [policy],
    managedSql: ["bucketing functions [rollout-stack rollout-bucketing v1]"],
    rlsDisabled: [],
    viewsNotInvoker: [],
    grantsWithoutPolicy: [],
    checks: [true, true],
  };
}

describe("planFromSnapshot", () => {
  it("says everything is up to date, and that verification passed with every check, when the snapshot matches", () => {
    expect(planFromSnapshot(plan(), upToDate())).toEqual({
      schemas: [true],
      buckets: [true],
      policies: [true],
      managedSql: [true],
      verified: ["one", "two"],
    });
  });

  it("marks a schema whose grants or usage differ, or whose declared table is missing (the step then says so)", () => {
    const grants = upToDate();
    grants.schemas[0].grants.push({ table: "notes", role: "anon", privilege: "select" });
    expect(planFromSnapshot(plan(), grants).schemas).toEqual([false]);
    const usage = upToDate();
    usage.schemas[0].usage = [];
    expect(planFromSnapshot(plan(), usage).schemas).toEqual([false]);
    const missing = upToDate();
    missing.schemas[0].tables = [];
    expect(planFromSnapshot(plan(), missing).schemas).toEqual([false]);
  });

  it.each<[string, Partial<BucketRow> | "missing"]>([
    ["public", { public: true }],
    ["size limit", { file_size_limit: null }],
    ["MIME types", { allowed_mime_types: ["image/png"] }],
    ["MIME types, none stored", { allowed_mime_types: null }],
    ["name", { name: "other" }],
    ["absent", "missing"],
  ])("marks a bucket that differs: %s", (_what, change) => {
    const s = upToDate();
    s.buckets = change === "missing" ? [] : [{ ...s.buckets[0], ...change }];
    expect(planFromSnapshot(plan(), s).buckets).toEqual([false]);
  });

  it("marks a policy that is missing, never recorded, recorded for another declaration, or edited since (ALTER POLICY)", () => {
    const p = plan();
    const missing = upToDate();
    missing.policies = [];
    expect(planFromSnapshot(p, missing).policies).toEqual([false]);
    const unrecorded = upToDate();
    unrecorded.policies[0].comment = null;
    expect(planFromSnapshot(p, unrecorded).policies).toEqual([false]);
    const otherDeclaration = upToDate();
    otherDeclaration.policies[0].comment = policyRecord({ ...p.policies[0], using: "true" }, STORED);
    expect(planFromSnapshot(p, otherDeclaration).policies).toEqual([false]);
    const edited = upToDate();
    edited.policies[0].qual = "false";
    expect(planFromSnapshot(p, edited).policies).toEqual([false]);
    const elsewhere = upToDate();
    elsewhere.policies[0].table = "other";
    expect(planFromSnapshot(p, elsewhere).policies).toEqual([false]);
  });

  it("marks managed SQL whose version marker is missing or another version", () => {
    for (const comment of [null, "bucketing functions [rollout-stack rollout-bucketing v0]", "[rollout-stack rollout-bucketing v1] and more"]) {
      const s = upToDate();
      s.managedSql = [comment];
      expect(planFromSnapshot(plan(), s).managedSql).toEqual([false]);
    }
  });

  it.each<[string, (s: DatabaseSnapshot) => void]>([
    ["a table without RLS", (s) => s.rlsDisabled.push({ name: "app.leaky" })],
    ["a plain view", (s) => s.viewsNotInvoker.push({ name: "app.all" })],
    ["a grant without a policy", (s) => s.grantsWithoutPolicy.push({ table: "app.notes", role: "anon", privilege: "truncate" })],
    ["a check that did not pass", (s) => (s.checks = [true, false])],
    ["checks left out of the read", (s) => (s.checks = null)],
  ])("leaves verification to verifyDatabase (no `verified`) on %s", (_what, change) => {
    const s = upToDate();
    change(s);
    const result = planFromSnapshot(plan(), s);
    expect(result.verified).toBeUndefined();
    expect(result.schemas).toEqual([true]);
  });
});

describe("parseSnapshot", () => {
  it("accepts the shape snapshotSql produces, and nothing else", () => {
    const p = plan();
    expect(parseSnapshot(p, upToDate())).toEqual(upToDate());
    expect(parseSnapshot(p, { ...upToDate(), checks: null })).toBeDefined();
    expect(parseSnapshot(p, null)).toBeUndefined();
    expect(parseSnapshot(p, "x")).toBeUndefined();
    expect(parseSnapshot(p, { ...upToDate(), schemas: [] })).toBeUndefined();
    expect(parseSnapshot(p, { ...upToDate(), checks: [true] })).toBeUndefined();
    expect(parseSnapshot(p, { ...upToDate(), managedSql: [] })).toBeUndefined();
    expect(parseSnapshot(p, { ...upToDate(), buckets: undefined })).toBeUndefined();
  });
});

describe("snapshotSql", () => {
  it("is one read-only batch with inlined literals and no parameters", () => {
    const sql = snapshotSql(planDatabase(conversationRawStorage.database!));
    expect(sql.startsWith("begin read only;\nselect json_build_object(")).toBe(true);
    expect(sql.endsWith(") as snapshot;\nrollback")).toBe(true);
    expect(sql).not.toMatch(/\$\d/);
    expect(sql).toContain("id = any (ARRAY['conversation-files']::text[])");
    expect(sql).toContain("('storage', 'objects', 'raw_own_folder_select')");
  });

  it("reads no storage table when no bucket is declared, no policy when none is", () => {
    const sql = snapshotSql({ ...plan(), buckets: [], policies: [] });
    expect(sql).not.toContain("storage.buckets");
    expect(sql).not.toContain("from pg_policies where (schemaname");
  });

  it("leaves the checks out (null) when one cannot be pasted safely", () => {
    const sql = snapshotSql({ ...plan(), checks: [{ name: "two statements", sql: "select true; select false" }] });
    expect(sql).toContain("'checks', null::json");
  });

  it("quotes what it inlines", () => {
    const sql = snapshotSql({ ...plan(), buckets: [bucketSpecOf({ id: "it's", public: false })] });
    expect(sql).toContain("ARRAY['it''s']::text[]");
  });
});

describe("checkExpressionSql", () => {
  it("pastes the check on lines of its own, trailing semicolons dropped", () => {
    expect(checkExpressionSql("select true -- fine\n;  \n")).toBe(
      "(select count(*) = 1 and coalesce(bool_and(pg_typeof(c.v) = 'boolean'::regtype and c.v::text = 'true'), false)\n   from (\nselect true -- fine\n) as c(v))",
    );
  });

  it("refuses a check with a semicolon inside (it could end the statement)", () => {
    expect(checkExpressionSql("select true; delete from t")).toBeUndefined();
    expect(checkExpressionSql("select ';' = ';'")).toBeUndefined();
  });
});

describe("policy records", () => {
  const spec = policySpecOf({ name: "p", on: "app.notes", command: "select", roles: ["b", "a"], using: "true" });

  it("hash the declaration and the stored form, roles as a set", () => {
    const record = policyRecord(spec, STORED);
    expect(record).toMatch(/^rollout-stack spec=[0-9a-f]{16} stored=[0-9a-f]{16}$/);
    expect(policyRecord({ ...spec, roles: ["a", "b"] }, { ...STORED, roles: ["authenticated"] })).toBe(record);
    expect(policyRecord({ ...spec, using: "false" }, STORED).split(" ")[2]).toBe(record.split(" ")[2]);
    expect(policyRecord({ ...spec, using: "false" }, STORED)).not.toBe(record);
    expect(policyRecord(spec, { ...STORED, qual: "false" }).split(" ")[1]).toBe(record.split(" ")[1]);
    expect(policyRecord(spec, { ...STORED, qual: "false" })).not.toBe(record);
  });

  it("decide up-to-date from a read alone", () => {
    expect(policyUpToDate(spec, { ...STORED, comment: policyRecord(spec, STORED) })).toBe(true);
    expect(policyUpToDate(spec, { ...STORED, comment: null })).toBe(false);
    expect(policyUpToDate(spec, undefined)).toBe(false);
  });

  it("are written with quoted names and a quoted literal", () => {
    expect(commentPolicySql({ name: 'my "p"', schema: "app", table: "notes" }, "rollout-stack spec=a stored=b")).toBe(
      `comment on policy "my ""p""" on "app"."notes" is 'rollout-stack spec=a stored=b'`,
    );
  });
});

describe("buckets and managed SQL compared in TypeScript", () => {
  it("a bucket matches when every stored setting equals the declared one", () => {
    const spec = bucketSpecOf({ id: "files", public: false, fileSizeLimit: "5MB" });
    expect(bucketMatches(spec, { id: "files", name: "files", public: false, file_size_limit: 5_000_000, allowed_mime_types: null })).toBe(true);
    expect(bucketMatches(spec, { id: "files", name: "files", public: false, file_size_limit: 5_000_000, allowed_mime_types: [] })).toBe(false);
    expect(bucketMatches(spec, undefined)).toBe(false);
  });

  it("managed SQL is installed when the schema comment ends with this version's marker", () => {
    expect(managedSqlInstalled(MANAGED, "x [rollout-stack rollout-bucketing v1]")).toBe(true);
    expect(managedSqlInstalled(MANAGED, null)).toBe(false);
  });
});
