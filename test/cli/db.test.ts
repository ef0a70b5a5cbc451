/** `npm run db` argument handling and URL checks (no database needed: these exit before connecting). */
import { describe, expect, it } from "vitest";
import { checkDatabaseUrl, main, maskUrl } from "../../infra/cli/db";
import { captureIo } from "../support/io";

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string; stdout: string[]; stderr: string[] }> {
  const c = captureIo({ env });
  const code = await main(argv, c.io);
  return { code, output: c.all(), stdout: c.out, stderr: c.err };
}

describe("npm run db: usage errors exit 2", () => {
  it.each([
    [[], "missing command"],
    [["migrate"], 'unknown command "migrate"'],
    [["push", "--dir", "migrations/x"], "missing --database-url (or ROLLOUT_MIGRATIONS_DATABASE_URL)"],
    [["push", "--database-url", "postgresql://h/db"], "missing --dir"],
    [["status", "--database-url", "postgresql://h/db", "--dir", "d", "--dry-run"], "--dry-run is an option of push"],
    [["status", "--database-url", "postgresql://h/db", "--dir", "d", "--include-all"], "--include-all is an option of push"],
    [["repair", "--database-url", "postgresql://h/db", "--dir", "d"], "repair needs --applied V... or --reverted V..."],
    [["repair", "--database-url", "postgresql://h/db", "--dir", "d", "--applied", "v1"], '"v1" is not a migration version'],
    [["push", "--database-url", "postgresql://h/db", "--dir", "d", "--applied", "1"], "--applied is an option of repair"],
    [["push", "--database-url", "postgresql://h/db", "--dir", "d", "--verbose"], 'unknown option "--verbose"'],
    [["push", "--database-url"], "--database-url needs a value"],
    [["push", "--database-url", "postgresql://h/db", "--dir", "d", "extra"], 'unexpected argument "extra"'],
    [["repair", "--database-url", "postgresql://h/db", "--dir", "d", "--applied", "1", "--reverted", "2"], "give either --applied or --reverted, once"],
    [["push", "--database-url", "not a url", "--dir", "d"], "is not a URL (expected postgresql://user:password@host:port/database)"],
  ])("%j → %s", async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toEqual([]);
    expect(stderr[0]).toMatch(/^db: /);
    expect(stderr[0]).toContain(message);
    expect(stderr[1]).toBe("run `npm run db -- --help` for usage");
  });
});

describe("npm run db --help", () => {
  it.each([[["--help"]], [["-h"]], [["push", "--bogus", "--help"]]])("%j prints the usage on stdout and exits 0", async (argv) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    expect(stdout.join("\n")).toMatch(/^usage: npm run db -- <command> --database-url URL --dir DIR \[options\]/);
    expect(stdout.join("\n")).toContain("ROLLOUT_MIGRATIONS_DATABASE_URL");
    expect(stdout.join("\n")).toContain("DATABASE_URL              its old name");
  });
});

describe("the migration owner's URL from the environment", () => {
  const pooler = (password: string) => `postgresql://postgres.abcdefghijklmnopqrst:${password}@aws-0-eu-west-1.pooler.supabase.com:6543/postgres`;

  it("reads ROLLOUT_MIGRATIONS_DATABASE_URL, quietly", async () => {
    const { code, stderr } = await run(["push", "--dir", "d"], { ROLLOUT_MIGRATIONS_DATABASE_URL: pooler("new-pass") });
    // The pooler refusal shows the URL was read.
    expect(code).toBe(1);
    expect(stderr.join("\n")).toContain("transaction pooler (port 6543)");
    expect(stderr.join("\n")).not.toContain("deprecated");
  });

  it("prefers it over DATABASE_URL, which is then not mentioned", async () => {
    const { stderr } = await run(["push", "--dir", "d"], { ROLLOUT_MIGRATIONS_DATABASE_URL: pooler("new-pass"), DATABASE_URL: "postgresql://old@h/db" });
    expect(stderr.join("\n")).not.toContain("deprecated");
    expect(stderr.join("\n")).toContain("pooler.supabase.com");
  });

  it("falls back to DATABASE_URL with a one-line notice naming the variables, not the value", async () => {
    const { code, stderr } = await run(["push", "--dir", "d"], { DATABASE_URL: pooler("old-pass") });
    expect(code).toBe(1);
    expect(stderr[0]).toBe("db: notice: DATABASE_URL is deprecated; set ROLLOUT_MIGRATIONS_DATABASE_URL instead (the old name is read until the next release)");
    expect(stderr.join("\n")).toContain("transaction pooler (port 6543)");
    expect(stderr.join("\n")).not.toContain("old-pass");
  });

  it("--database-url wins, and no notice is printed for an unused DATABASE_URL", async () => {
    const { stderr } = await run(["push", "--dir", "d", "--database-url", pooler("cli-pass")], { DATABASE_URL: "postgresql://old@h/db" });
    expect(stderr.join("\n")).not.toContain("deprecated");
    expect(stderr.join("\n")).not.toContain("cli-pass");
  });
});

describe("the transaction pooler", () => {
  it("is refused with the fix, and the password never appears", async () => {
    const url = "postgresql://postgres.abcdefghijklmnopqrst:s3cr3t-pass@aws-0-eu-west-1.pooler.supabase.com:6543/postgres";
    const { code, output } = await run(["push", "--dir", "migrations/chat-sessions"], { ROLLOUT_MIGRATIONS_DATABASE_URL: url });
    expect(code).toBe(1);
    expect(output).toContain("transaction pooler (port 6543)");
    expect(output).toContain("use the session pooler (port 5432 on the pooler host) or the direct host");
    expect(output).not.toContain("s3cr3t-pass");
  });

  it("accepts the session pooler and direct hosts", () => {
    expect(checkDatabaseUrl("postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres")).toBeUndefined();
    expect(checkDatabaseUrl("postgres://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres")).toBeUndefined();
    expect(checkDatabaseUrl("mysql://x@h/db")).toContain("has protocol mysql: (expected postgresql:)");
  });

  it("masks passwords in URLs it prints", () => {
    expect(maskUrl("postgresql://postgres:hunter2@127.0.0.1:5432/db")).toBe("postgresql://postgres:***@127.0.0.1:5432/db");
  });
});
