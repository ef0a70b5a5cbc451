/** `npm run db` argument handling and URL checks (no database needed: these exit before connecting). */
import { describe, expect, it } from "vitest";
import { checkDatabaseUrl, maskUrl, runDb } from "../../infra/cli/db";

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runDb(argv, (l) => lines.push(l), env);
  return { code, output: lines.join("\n") };
}

describe("npm run db: usage errors exit 2", () => {
  it.each([
    [[], "missing command"],
    [["migrate"], 'unknown command "migrate"'],
    [["push", "--dir", "migrations/x"], "missing --database-url (or DATABASE_URL)"],
    [["push", "--database-url", "postgresql://h/db"], "missing --dir"],
    [["status", "--database-url", "postgresql://h/db", "--dir", "d", "--dry-run"], "--dry-run is an option of push"],
    [["repair", "--database-url", "postgresql://h/db", "--dir", "d"], "repair needs --applied V... or --reverted V..."],
    [["repair", "--database-url", "postgresql://h/db", "--dir", "d", "--applied", "v1"], '"v1" is not a migration version'],
    [["push", "--database-url", "postgresql://h/db", "--dir", "d", "--applied", "1"], "--applied is an option of repair"],
    [["push", "--database-url", "postgresql://h/db", "--dir", "d", "--verbose"], 'unknown option "--verbose"'],
    [["push", "--database-url", "not a url", "--dir", "d"], "is not a URL (expected postgresql://user:password@host:port/database)"],
  ])("%j → %s", async (argv, message) => {
    const { code, output } = await run(argv);
    expect(code).toBe(2);
    expect(output).toContain(message);
  });
});

describe("the transaction pooler", () => {
  it("is refused with the fix, and the password never appears", async () => {
    const url = "postgresql://postgres.abcdefghijklmnopqrst:s3cr3t-pass@aws-0-eu-west-1.pooler.supabase.com:6543/postgres";
    const { code, output } = await run(["push", "--dir", "migrations/chat-sessions"], { DATABASE_URL: url });
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
