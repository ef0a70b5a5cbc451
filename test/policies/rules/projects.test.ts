import { describe, expect, it } from "vitest";
import { vercelProjectNames } from "../../../policies/rules/projects";
import { TYPES } from "../../../policies/rules/support";
import { UNKNOWN, runResourcePolicy } from "../harness";

const project = (name: unknown) => ({ type: TYPES.project, name: "chat-sessions-project", props: { name, framework: "nextjs" } });

// terraform-provider-vercel v5.4.1 vercel/resource_project.go: LengthBetween(1, 52) and ^[a-z0-9\-]{0,100}$.
describe("vercel-project-name", () => {
  const policy = vercelProjectNames();

  it.each(["chat-sessions", "chat-sessions-staging", "a", "x".repeat(52)])("passes %s", async (name) => {
    expect(await runResourcePolicy(policy, project(name))).toEqual({ violations: [] });
  });

  it.each([
    ["x".repeat(53), "is 53 characters; the provider allows 1 to 52"],
    ["", "is 0 characters; the provider allows 1 to 52"],
    ["chat_sessions", 'may hold only lowercase letters, digits and "-"'],
    ["chat.sessions", 'may hold only lowercase letters, digits and "-"'],
    ["Chat-Sessions", 'may hold only lowercase letters, digits and "-"'],
  ])("flags %j", async (name, what) => {
    const out = await runResourcePolicy(policy, project(name));
    expect(out.violations.map((v) => v.message)).toEqual([`Vercel project chat-sessions-project: name ${JSON.stringify(name)} ${what}.`]);
  });

  it("reports an unknown name as unknown, and skips other types", async () => {
    expect(await runResourcePolicy(policy, project(UNKNOWN.string))).toEqual({ violations: [], unknown: "string value at .name can't be known during preview" });
    expect((await runResourcePolicy(policy, { type: TYPES.envVar, name: "v", props: {} })).notApplicable).toContain(TYPES.project);
  });
});
