/**
 * Where a provider finds its database: the environment first, then the stack secret, then (local
 * stack only) the file `npm run local` writes. Messages name every way out and never the URL.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { databaseUrlEnvVar, LOCAL_URLS_FILE, localDatabaseUrlsFile, projectRoot, resolveDatabaseUrl, unusableUrlProblem } from "../../../infra/supabase/connection";
import { writeLocalDatabaseUrls } from "../../../infra/supabase/local-stack";
import type { LocalPostgres } from "../../../infra/supabase/local-postgres";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-connection-"));
fs.mkdirSync(path.join(root, ".local"));
fs.writeFileSync(path.join(root, LOCAL_URLS_FILE), JSON.stringify({ "health-companion": "postgresql://postgres:postgres@127.0.0.1:54322/health-companion" }));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const config = (values: Record<string, string>) => (key: string) => values[key];
const FROM_SECRET = "postgresql://postgres:s3cret@db.healthprodref0000000.supabase.co:5432/postgres";
const FROM_ENV = "postgresql://postgres:env-pass@127.0.0.1:5432/postgres";

describe("projectRoot", () => {
  it("is the folder of Pulumi.yaml from the program's folder up: the CLI starts providers in infra/, not the project root", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-root-"));
    try {
      fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: x\n");
      fs.mkdirSync(path.join(project, "infra", "deep"), { recursive: true });
      expect(projectRoot({ env: {} }, path.join(project, "infra"))).toBe(project);
      expect(projectRoot({ env: {} }, path.join(project, "infra", "deep"))).toBe(project);
      expect(projectRoot({ env: {} }, project)).toBe(project);
      // ROLLOUT_STACK_ROOT wins; with no Pulumi.yaml anywhere up, the working directory.
      expect(projectRoot({ env: { ROLLOUT_STACK_ROOT: "/elsewhere" } }, path.join(project, "infra"))).toBe("/elsewhere");
      expect(projectRoot({ env: {} }, os.tmpdir())).toBe(os.tmpdir());
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("resolveDatabaseUrl", () => {
  it("names the environment variable after the database", () => {
    expect(databaseUrlEnvVar("health-companion")).toBe("ROLLOUT_STACK_DB_URL_HEALTH_COMPANION");
  });

  it("prefers the environment, then the stack secret", () => {
    const secret = config({ "rollout-stack:health-companion.databaseUrl": FROM_SECRET });
    expect(resolveDatabaseUrl("health-companion", { env: { ROLLOUT_STACK_DB_URL_HEALTH_COMPANION: FROM_ENV }, config: secret })).toBe(FROM_ENV);
    expect(resolveDatabaseUrl("health-companion", { env: {}, config: secret })).toBe(FROM_SECRET);
  });

  it("reads .local/database-urls.json on the local stack only", () => {
    const env = { ROLLOUT_STACK_ROOT: root };
    expect(resolveDatabaseUrl("health-companion", { env, config: config({ "rollout-stack:mode": "local" }) })).toBe(
      "postgresql://postgres:postgres@127.0.0.1:54322/health-companion",
    );
    expect(() => resolveDatabaseUrl("health-companion", { env, config: config({ "rollout-stack:mode": "cloud" }) })).toThrow(
      'no database URL for "health-companion". Provide one of: the environment variable ROLLOUT_STACK_DB_URL_HEALTH_COMPANION; the stack secret `pulumi config set --secret health-companion.databaseUrl postgresql://...`; on the local stack, run `npm run local` first (it writes .local/database-urls.json)',
    );
  });

  it("refuses the transaction pooler without showing the URL", () => {
    const pooled = "postgresql://postgres.ref:p4ss@aws-0-eu.pooler.supabase.com:6543/postgres";
    expect(unusableUrlProblem(pooled)).toMatch(/transaction pooler \(port 6543\)/);
    const error = (() => {
      try {
        resolveDatabaseUrl("health-companion", { env: {}, config: config({ "rollout-stack:health-companion.databaseUrl": pooled }) });
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(error).toBe(
      'the database URL for "health-companion" from stack config rollout-stack:health-companion.databaseUrl points at the transaction pooler (port 6543), which keeps no session; use the session pooler (port 5432 on the pooler host) or the direct host',
    );
    expect(error).not.toContain("p4ss");
  });
});

describe("the local URLs file: one path for `npm run local` and the providers (localDatabaseUrlsFile)", () => {
  it("is <root>/.local/database-urls.json whatever the cluster directory (--dir D): written there, read there", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-urls-project-"));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-urls-cluster-"));
    try {
      expect(localDatabaseUrlsFile(project)).toBe(path.join(project, LOCAL_URLS_FILE));
      const url = "postgresql://postgres:postgres@127.0.0.1:54999/health-companion";
      const server = { url: (db: string) => url.replace("health-companion", db) } as unknown as LocalPostgres;
      const written = writeLocalDatabaseUrls(project, server, [{ name: "health-companion" } as never]);
      expect(written).toBe(localDatabaseUrlsFile(project));
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      const local = config({ "rollout-stack:mode": "local" });
      expect(resolveDatabaseUrl("health-companion", { env: { ROLLOUT_STACK_ROOT: project }, config: local })).toBe(url);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
