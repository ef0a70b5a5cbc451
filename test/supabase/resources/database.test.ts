/**
 * `SupabaseDatabase` under strict mocks: the whole program rendered for real stack files, resource
 * options recorded. Each policy and bucket is its own resource with the expected inputs; everything
 * holding data is retained on delete; the order of convergence is in `dependsOn`; the Data API
 * exposure exists only where it can; credentials never appear; moving a phase touches no database
 * resource.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../../infra/apps";
import type { DatabaseDecl } from "../../../infra/apps/types";
import { loadStackConfigFile } from "../../../infra/config";
import { createPolicySql, policySpecOf } from "../../../infra/supabase/sql/policies";
import { TYPES } from "../../../infra/supabase/resources";
import { diffRenders, renderProgram, withConfig, type RecordedResource, type Render } from "../../support/pulumi";
import { realStackConfig, renderStack } from "../../program/render";

const ROOT = path.resolve(__dirname, "../../..");
const COMPONENT = "rollout-stack:supabase:Database";
const DATABASES = CATALOG.filter((a) => a.database).map((a) => a.database!);
const renders: Record<string, Render> = {};

/** Inputs without the serialized provider (a long string checked elsewhere). */
function inputs(r: RecordedResource): Record<string, unknown> {
  const { __provider, ...rest } = r.inputs;
  expect(typeof __provider).toBe("string");
  return rest;
}

function children(render: Render, database: string, type: string): RecordedResource[] {
  const parent = render.get(COMPONENT, database).urn;
  return render.ofType(type).filter((r) => r.opts.parent === parent);
}

beforeAll(async () => {
  for (const stack of ["local", "dev", "prod"]) renders[stack] = await renderStack(stack);
});

describe.each(["local", "prod"])("the %s stack", (stack) => {
  const r = () => renders[stack];

  it("has one SupabaseDatabase per declared database, each with its typed dynamic resources", () => {
    expect(r().ofType(COMPONENT).map((c) => c.name).sort()).toEqual(DATABASES.map((d) => d.name).sort());
    // Ours: the Supabase dynamic types (the Vercel live item is the Vercel side's).
    const dynamic = r().resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/supabase:"));
    // Every type once at least; the Data API exposure only off the local stack.
    const expected = Object.values(TYPES).filter((t) => stack !== "local" || t !== TYPES.DataApiExposure);
    expect([...new Set(dynamic.map((x) => x.type))].sort()).toEqual([...expected].sort());
    for (const x of dynamic) expect(r().resources.find((c) => c.urn === x.opts.parent)?.type).toBe(COMPONENT);
  });

  it("gives Migrations every file of migrations/<database>/ as {version, name, sha256}, retained on delete", () => {
    for (const db of DATABASES) {
      const [m] = children(r(), db.name, TYPES.Migrations);
      const dir = path.join(ROOT, "migrations", db.name);
      const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".sql"))
        .sort()
        .map((f) => {
          const [, version, name] = /^(\d+)_(.*)\.sql$/.exec(f)!;
          return { version, name, sha256: createHash("sha256").update(fs.readFileSync(path.join(dir, f))).digest("hex") };
        });
      expect(files.length).toBeGreaterThan(0);
      expect(inputs(m)).toEqual({ database: db.name, dir: `migrations/${db.name}`, files });
      expect(m.name).toBe(`${db.name}-migrations`);
      expect(m.opts.retainOnDelete).toBe(true);
    }
  });

  it("makes each policy its own RlsPolicy whose inputs carry the create policy statement, after migrations and schemas", () => {
    for (const db of DATABASES) {
      const policies = children(r(), db.name, TYPES.RlsPolicy);
      expect(policies.map((p) => p.name).sort()).toEqual(db.policies.map((p) => `${db.name}-policy-${p.on}.${p.name}`).sort());
      const migrations = children(r(), db.name, TYPES.Migrations)[0].urn;
      const schemas = children(r(), db.name, TYPES.Schema).map((s) => s.urn);
      for (const decl of db.policies) {
        const p = r().get(TYPES.RlsPolicy, `${db.name}-policy-${decl.on}.${decl.name}`);
        const spec = policySpecOf(decl);
        expect(inputs(p)).toEqual({ database: db.name, ...spec, statement: createPolicySql(spec) });
        expect(p.opts.dependsOn).toEqual([migrations, ...schemas].sort());
        // Deleting a policy resource drops the policy: no retainOnDelete.
        expect(p.opts.retainOnDelete).not.toBe(true);
      }
    }
    const insert = r().get(TYPES.RlsPolicy, "health-companion-policy-health_companion.threads.threads_owner_insert");
    expect(insert.inputs.statement).toBe(
      'create policy "threads_owner_insert" on "health_companion"."threads" as permissive for insert to "authenticated" with check ((select auth.uid()) = user_id)',
    );
  });

  it("makes each bucket its own Bucket, private unless declared public, retained on delete", () => {
    const buckets = r().ofType(TYPES.Bucket);
    expect(buckets.map((b) => b.name)).toEqual(["conversation-raw-storage-bucket-conversation-files"]);
    expect(inputs(buckets[0])).toEqual({
      database: "conversation-raw-storage",
      bucketId: "conversation-files",
      name: "conversation-files",
      public: false,
      fileSizeLimit: null,
      allowedMimeTypes: null,
    });
    expect(buckets[0].opts.retainOnDelete).toBe(true);
  });

  it("converges schemas after migrations with their declared USAGE and grants, retained on delete", () => {
    const hc = r().get(TYPES.Schema, "health-companion-schema-health_companion");
    expect(inputs(hc)).toEqual({
      database: "health-companion",
      name: "health_companion",
      exposed: true,
      usage: ["authenticated", "service_role"],
      grants: { threads: { authenticated: ["select", "insert", "update", "delete"], service_role: ["select", "insert", "update", "delete"] } },
      lastActions: undefined,
    });
    expect(hc.opts.dependsOn).toEqual([children(r(), "health-companion", TYPES.Migrations)[0].urn]);
    for (const s of r().ofType(TYPES.Schema)) expect(s.opts.retainOnDelete).toBe(true);
    expect(inputs(r().get(TYPES.Schema, "chat-sessions-schema-public"))).toMatchObject({ usage: ["anon", "authenticated", "service_role"], grants: {} });
  });

  it("installs the bucketing functions in the non-exposed schema rollout, retained on delete", () => {
    for (const db of DATABASES) {
      const [sql] = children(r(), db.name, TYPES.ManagedSql);
      expect(inputs(sql)).toMatchObject({ database: db.name, name: "rollout-bucketing", schema: "rollout" });
      expect(sql.inputs.sql).toContain("create or replace function \"rollout\".bucket(feature text, id text)");
      expect(sql.inputs.version).toBe(createHash("sha256").update(sql.inputs.sql).digest("hex").slice(0, 16));
      expect(sql.opts.retainOnDelete).toBe(true);
    }
  });

  it("runs the checks last: after every other database resource, with the exposed schemas and the declared checks", () => {
    for (const db of DATABASES) {
      const [checks] = children(r(), db.name, TYPES.Checks);
      const others = r()
        .resources.filter((x) => x.opts.parent === r().get(COMPONENT, db.name).urn && x.type !== TYPES.Checks && x.type !== TYPES.DataApiExposure)
        .map((x) => x.urn)
        .sort();
      expect(checks.opts.dependsOn).toEqual(others);
      expect(inputs(checks)).toMatchObject({
        database: db.name,
        exposedSchemas: db.schemas.filter((s) => s.exposed).map((s) => s.name),
        checks: db.checks,
      });
      expect(checks.inputs.declaration).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("never passes a credential: no URL, no secret, in any database resource's inputs", () => {
    const config = realStackConfig(stack);
    const secrets = Object.values(config).filter((e) => e.secret).map((e) => String(e.value));
    for (const x of r().resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/supabase:"))) {
      // The serialized provider is code (its messages mention postgresql://); the inputs are data.
      const text = JSON.stringify(inputs(x));
      expect(text).not.toMatch(/postgres(ql)?:\/\//);
      for (const s of secrets) expect(text).not.toContain(s);
      expect(x.secretInputs).toEqual([]);
    }
  });
});

describe("the Data API exposure", () => {
  it("on prod: one resource for the database exposing a schema beyond the defaults, after its checks", () => {
    const r = renders.prod;
    const exposures = r.ofType(TYPES.DataApiExposure);
    expect(exposures.map((e) => e.name)).toEqual(["health-companion-data-api"]);
    expect(inputs(exposures[0])).toEqual({ projectRef: "healthprodref0000000", schemas: ["health_companion", "public"], dbSchema: undefined, added: undefined });
    expect(exposures[0].opts.dependsOn).toEqual([r.get(TYPES.Checks, "health-companion-checks").urn]);
    expect(r.outputs.supabase["health-companion"].dataApi).toEqual(["health_companion", "public"]);
    expect(r.outputs.supabase["chat-sessions"].dataApi).toBe("not needed (public exposed by default)");
  });

  it("is absent on the local stack", () => {
    expect(renders.local.ofType(TYPES.DataApiExposure)).toEqual([]);
    expect(renders.local.outputs.supabase["health-companion"].dataApi).toBe("not managed on the local stack (no Data API)");
  });

  it("without a project ref: absent, with a warning naming the config key", async () => {
    expect(loadStackConfigFile("dev").databases["health-companion"]?.projectRef).toBeDefined();
    const withoutRef = withConfig(realStackConfig("dev"), "rollout-stack:databases", (dbs) => {
      const { ["health-companion"]: _dropped, ...rest } = dbs as Record<string, unknown>;
      return rest;
    });
    const r = await renderStack("dev", withoutRef);
    expect(renders.dev.ofType(TYPES.DataApiExposure).length).toBeGreaterThan(0);
    expect(r.ofType(TYPES.DataApiExposure)).toEqual([]);
    expect(r.logs).toContainEqual({
      severity: "warning",
      message: 'database "health-companion": not managed: set rollout-stack:databases.health-companion.projectRef to expose health_companion',
    });
  });
});

describe("a phase move", () => {
  it("touches no database resource (and does change the app's Vercel env)", async () => {
    const config = realStackConfig("prod");
    const moved = withConfig(config, "rollout-stack:phases", (phases) => ({ ...phases, "conversation-raw-storage/raw-storage": "10", "health-companion/multi-thread-chat": "on" }));
    const after = await renderStack("prod", moved);
    const diff = diffRenders(renders.prod, after);
    const touched = [...diff.added, ...diff.removed, ...Object.keys(diff.changed), ...Object.keys(diff.optionsChanged)];
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((urn) => urn.includes("supabase"))).toEqual([]);
    expect(Object.keys(diff.changed).some((urn) => urn.includes("conversation-raw-storage-env-RAW_RESPONSE_STORAGE_PERCENT"))).toBe(true);
  });
});

describe("the checks' declaration digest", () => {
  it("changes when a policy, schema grant or bucket is redeclared, so the checks run again; stays for the same declaration", async () => {
    const { SupabaseDatabase } = await import("../../../infra/supabase/database");
    const config = loadStackConfigFile("local");
    const base = DATABASES.find((d) => d.name === "health-companion")!;
    const digest = async (database: DatabaseDecl) => {
      const r = await renderProgram({ stack: "local", program: () => void new SupabaseDatabase(database.name, { database, config }) });
      return r.get(TYPES.Checks, `${database.name}-checks`).inputs.declaration as string;
    };
    const before = await digest(base);
    expect(await digest(JSON.parse(JSON.stringify(base)))).toBe(before);
    const variants: DatabaseDecl[] = [
      { ...base, policies: base.policies.map((p, i) => (i === 0 ? { ...p, roles: [...p.roles, "service_role"] } : p)) },
      { ...base, schemas: base.schemas.map((s) => ({ ...s, usage: ["authenticated"] })) },
      { ...base, buckets: [...base.buckets, { id: "extra", public: false }] },
    ];
    const after = await Promise.all(variants.map(digest));
    for (const d of after) expect(d).not.toBe(before);
    expect(new Set(after).size).toBe(variants.length);
  });
});

describe("a bad declaration", () => {
  it("fails the program naming the database, the bucket and each problem", async () => {
    const { SupabaseDatabase } = await import("../../../infra/supabase/database");
    const database: DatabaseDecl = {
      name: "broken",
      schemas: [{ name: "rollout", exposed: true }],
      buckets: [{ id: "raw/files", public: false, fileSizeLimit: "10 MiB" }],
      policies: [{ name: "p", on: "threads", command: "insert", roles: ["authenticated"], using: "true" }],
      checks: [],
    };
    const config = loadStackConfigFile("local");
    await expect(renderProgram({ stack: "local", program: () => void new SupabaseDatabase("broken", { database, config }) })).rejects.toThrow(
      [
        'database "broken" is declared with 6 problems:',
        '  - schema "rollout" holds the managed SQL "rollout-bucketing" and must not be exposed: functions in an exposed schema are callable by anyone through the Data API',
        '  - bucket "raw/files": id contains "/" (allowed: letters, digits, space and _ ! . * \' ( ) & $ @ = ; : + , ? -)',
        '  - bucket "raw/files": fileSizeLimit "10 MiB" is not a size (write bytes, or a number with B, KB, MB or GB, e.g. "50MB")',
        '  - policy "p" on threads: "on" must be schema.table (plain identifiers), e.g. "health_companion.threads"',
        '  - policy "p" on threads: an insert policy takes only withCheck (Postgres rejects USING for INSERT)',
        '  - policy "p" on threads: an insert policy needs withCheck (the rows a role may add)',
      ].join("\n"),
    );
  });
});
