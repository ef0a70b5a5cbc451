/** Where the sql gates' read-only database URL comes from (no database needed). */
import { describe, expect, it } from "vitest";
import { databaseUrlEnvName, databaseUrlFor, deprecatedDatabaseUrlEnvName, evaluateGates } from "../../infra/rollout/gates";

describe("the gates' database URL", () => {
  it("is named after its role, per database", () => {
    expect(databaseUrlEnvName("chat-sessions")).toBe("ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS");
    expect(deprecatedDatabaseUrlEnvName("conversation-raw-storage")).toBe("ROLLOUT_DATABASE_URL_CONVERSATION_RAW_STORAGE");
  });

  it("comes from --database-url, else the new variable, else the old one with a notice naming both (never the value)", () => {
    const notices: string[] = [];
    const notice = (l: string) => notices.push(l);
    const both = { ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS: "postgresql://new", ROLLOUT_DATABASE_URL_CHAT_SESSIONS: "postgresql://old" };
    expect(databaseUrlFor("chat-sessions", "postgresql://flag", both, notice)).toBe("postgresql://flag");
    expect(databaseUrlFor("chat-sessions", undefined, both, notice)).toBe("postgresql://new");
    expect(notices).toEqual([]);
    expect(databaseUrlFor("chat-sessions", undefined, { ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS: "", ROLLOUT_DATABASE_URL_CHAT_SESSIONS: "postgresql://old" }, notice)).toBe(
      "postgresql://old",
    );
    expect(notices).toEqual(["ROLLOUT_DATABASE_URL_CHAT_SESSIONS is deprecated; rename it to ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS (the old name is read until the next release)"]);
    expect(databaseUrlFor("chat-sessions", undefined, {}, notice)).toBeUndefined();
  });

  it("an sql gate without one is unchecked, naming the new variable", async () => {
    const [r] = await evaluateGates([{ kind: "sql", name: "g", description: "d", query: "select 1", op: ">=", threshold: 1 }], {
      acks: new Map(),
      databaseUrlEnv: databaseUrlEnvName("chat-sessions"),
    });
    expect(r).toMatchObject({ status: "unchecked", detail: "no database URL (pass --database-url or set ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS); d" });
  });
});
