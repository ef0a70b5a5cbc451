/** The markdown of a report (summary line, marker, escaping, folding) and the redactor applied to output. */
import { describe, expect, it } from "vitest";
import { code, planMarker, prose, renderMarkdown } from "../../infra/plan/markdown";
import { MIN_REDACTED_LENGTH, redactor, secretsInEnvironment, secretsInStackFile } from "../../infra/plan/redact";
import { loadStackConfigFile } from "../../infra/config";
import { planStack, type StackPlan } from "../../infra/model";
import { buildReport } from "../../infra/plan/report";
import { SNAPSHOT_VERSION, type PlanSnapshot } from "../../infra/plan/snapshot";
import { TYPES } from "../../infra/vercel/resource-types";

function snap(resources: PlanSnapshot["resources"], phases: Record<string, string> = {}, model: StackPlan | null = null): PlanSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    stack: "prod",
    project: "rollout-stack",
    stackFile: { path: "stacks/Pulumi.prod.yaml", apps: [], phases, previewPhases: {}, secrets: {}, environments: [] },
    features: null,
    populations: null,
    resources,
    outputs: {},
    logs: [],
    placeholders: [],
    model,
  };
}

describe("code spans", () => {
  it.each([
    ["plain", "`plain`"],
    ["a|b", "`a\\|b`"],
    ["has `tick`", "`` has `tick` ``"],
    ["two\nlines", "`two ⏎ lines`"],
    ["", "`  `"],
  ])("%j", (text, expected) => {
    expect(code(text)).toBe(expected);
  });

  it("cuts long values", () => {
    expect(code("x".repeat(500), 10)).toBe(`\`${"x".repeat(9)}…\``);
  });
});

describe("renderMarkdown", () => {
  it("starts with the summary line, then the marker; sections only for what changed", () => {
    const env = (value: string) => ({
      urn: "urn:e",
      type: TYPES.env,
      name: "a-env-K",
      custom: true,
      parent: "urn:app",
      inputs: { key: "K", targets: ["production"], value: { $secret: value }, sensitive: false },
      masked: ["value"],
      options: { protect: false, deleteBeforeReplace: true, retainOnDelete: false, importId: "", replaceOnChanges: [] },
    });
    const app = { ...env("x"), urn: "urn:app", type: TYPES.app, name: "a", custom: false, parent: "", inputs: {}, masked: [] };
    /** The prod model with chat-sessions' Supabase URL (a setting on every target) set to `url`. */
    const model = (url: string): StackPlan => {
      const m: StackPlan = JSON.parse(JSON.stringify(planStack(loadStackConfigFile("prod"))));
      const v = m.apps.find((a) => a.app === "chat-sessions")!.vercel!.env.find((e) => e.key === "NEXT_PUBLIC_SUPABASE_URL")!;
      v.value = { kind: "plain", value: url };
      return m;
    };
    const report = buildReport({
      stack: "prod",
      base: snap([app, env("1")], { "a/f": "off" }, model("https://1|pipe")),
      head: snap([app, env("2")], { "a/f": "on" }, model("https://2|pipe")),
      baseInfo: { ref: "main", commit: "abcdef0123456789abcdef0123456789abcdef01", stackFile: true },
      headInfo: { commit: null, dirty: true },
    });
    const md = renderMarkdown(report);
    const lines = md.split("\n");
    expect(lines[0]).toBe(
      "**Plan** · stack prod against main (abcdef012345): 1 phase moved; 3 env values changed; 1 production redeploy (chat-sessions); resources: 0 to add, 1 to update, 0 to replace, 0 to remove",
    );
    expect(lines[1]).toBe(planMarker("prod"));
    expect(planMarker("prod")).toBe("<!-- rollout-stack:plan stack=prod -->");
    expect(md).toContain("- `a/f`: off → on");
    expect(md).toContain("| production | `NEXT_PUBLIC_SUPABASE_URL` | `https://1\\|pipe` | `https://2\\|pipe` |");
    expect(md).toContain('**Production redeploy:** yes: `production env changed: NEXT_PUBLIC_SUPABASE_URL "https://1\\|pipe" → "https://2\\|pipe"`');
    expect(md).not.toContain("#### Databases");
    expect(md).not.toContain("#### Secrets");
    expect(md.endsWith("</sub>\n")).toBe(true);
  });
});

describe("crons in the markdown", () => {
  const report = (mutate: (m: StackPlan) => void) => {
    const base: StackPlan = JSON.parse(JSON.stringify(planStack(loadStackConfigFile("prod"))));
    const head: StackPlan = JSON.parse(JSON.stringify(base));
    mutate(head);
    return buildReport({
      stack: "prod",
      base: snap([], {}, base),
      head: snap([], {}, head),
      baseInfo: { ref: "main", commit: "abcdef0123456789abcdef0123456789abcdef01", stackFile: true },
      headInfo: { commit: null, dirty: true },
    });
  };

  it("states whether crons run and why, and what they were", () => {
    const md = renderMarkdown(
      report((m) => {
        const crons = m.apps.find((a) => a.app === "chat-sessions")!.vercel!.crons;
        crons.enabled = false;
        crons.reason = "disabled: no CRON_SECRET targets production";
      }),
    );
    expect(md).toContain("- crons disabled: no CRON\\_SECRET targets production (were enabled)");
  });

  it("states the state also when only a schedule moves", () => {
    const md = renderMarkdown(
      report((m) => {
        const vercel = m.apps.find((a) => a.app === "chat-sessions")!.vercel!;
        vercel.crons = { ...vercel.crons, jobs: [{ path: "/api/admin/cleanup-sessions", schedule: "0 3 * * *" }] };
      }),
    );
    expect(md).toContain("- crons enabled: the generated CRON\\_SECRET targets production");
    expect(md).toContain("- `/api/admin/cleanup-sessions`: `0 2 * * *` → `0 3 * * *` (UTC)");
  });
});

describe("values a fork controls", () => {
  const HOSTILE = 'https://x.test/<img src=x onerror=alert(1)>@octocat #1 [click](https://evil.test) \u001b]0;owned\u0007\u001b[31m\u202e';
  /** A base and head whose chat-sessions Supabase URL (a setting) moves to a hostile value; the program logs one too. */
  const hostileReport = () => {
    const model = (url: string): StackPlan => {
      const m: StackPlan = JSON.parse(JSON.stringify(planStack(loadStackConfigFile("prod"))));
      m.apps.find((a) => a.app === "chat-sessions")!.vercel!.env.find((e) => e.key === "NEXT_PUBLIC_SUPABASE_URL")!.value = { kind: "plain", value: url };
      return m;
    };
    const head = snap([], { "a/f": HOSTILE }, model(HOSTILE));
    head.logs = [{ severity: "warning", message: `setting is ${HOSTILE}` }];
    return buildReport({
      stack: "prod",
      base: snap([], { "a/f": "off" }, model("https://ok.test")),
      head,
      baseInfo: { ref: "main", commit: "abcdef0123456789abcdef0123456789abcdef01", stackFile: true },
      headInfo: { commit: null, dirty: true },
    });
  };

  it("reach the markdown escaped everywhere: no HTML, no mention, no link, no terminal escape", () => {
    const md = renderMarkdown(hostileReport());
    // The value appears in the env table and the redeploy line (code spans, where markdown, HTML and
    // mentions are not interpreted) and in the warning and the phase line (escaped prose), but inert.
    expect(md).toContain("https://x.test/");
    const outsideCode = md.replace(/(`+)[^`]*?\1/g, "");
    expect(outsideCode).toContain("https://x.test/");
    expect(outsideCode).not.toMatch(/<img/i);
    expect(outsideCode).not.toMatch(/@octocat/);
    expect(outsideCode).not.toMatch(/[^\\]\[click\]\(https:\/\/evil/);
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(md).toContain("&lt;img src=x onerror=alert(1)&gt;@\u200boctocat #\u200b1 \\[click\\](https://evil.test)");
    expect(md).toMatch(/\*\*Production redeploy:\*\* yes: `production env changed: NEXT_PUBLIC_SUPABASE_URL "https:\/\/ok.test" → "https:\/\/x.test\/<img/);
  });

  it("prose escapes markdown and HTML and keeps ordinary text as it is", () => {
    expect(prose("10% → 50% of production users (advance)")).toBe("10% → 50% of production users (advance)");
    expect(prose("a_b *c* `d` <e> & [f]")).toBe("a\\_b \\*c\\* \\`d\\` &lt;e&gt; &amp; \\[f\\]");
    expect(prose("line\nbreak\u001b[2J")).toBe("line break\ufffd\\[2J");
  });
});

describe("redaction", () => {
  const stackFile = `config:
  vercel:apiToken: plain-vercel-token-123
  vercel:team: acme
  rollout-stack:apps: [metadata-context]
  rollout-stack:metadata-context.OPENAI_API_KEY: sk-plaintext-by-mistake
  rollout-stack:metadata-context.REDIS_URL:
    secure: v1:AAAAciphertextAAAA
  rollout-stack:metadata-context.databaseUrl: postgres://u:p@h/db
  rollout-stack:settings:
    metadata-context/NEXT_PUBLIC_SUPABASE_URL: https://example.supabase.co
`;

  it("finds secure values, plaintext under secret keys and provider tokens, not ordinary settings", () => {
    expect(secretsInStackFile(stackFile).sort()).toEqual(["plain-vercel-token-123", "postgres://u:p@h/db", "sk-plaintext-by-mistake", "v1:AAAAciphertextAAAA"].sort());
    expect(secretsInStackFile("config: [unclosed")).toEqual([]);
  });

  it("finds secret-looking variables of the environment", () => {
    expect(secretsInEnvironment({ VERCEL_API_TOKEN: "t0k3n-value", PULUMI_CONFIG_PASSPHRASE: "pass-phrase", HOME: "/root", GITHUB_TOKEN: "ghs_x" }).sort()).toEqual(["ghs_x", "pass-phrase", "t0k3n-value"]);
  });

  it("replaces every occurrence, longest first, and leaves short strings alone", () => {
    const redact = redactor(["sk-plaintext-by-mistake", "sk-plaintext", "abc", " t0k3n-value "]);
    expect(redact("a sk-plaintext-by-mistake b sk-plaintext c t0k3n-value abc")).toBe("a [secret] b [secret] c [secret] abc");
    expect("abc".length).toBeLessThan(MIN_REDACTED_LENGTH);
    // The boundary: a value of MIN_REDACTED_LENGTH characters is redacted, one character shorter is not.
    const atMin = "s".repeat(MIN_REDACTED_LENGTH);
    const below = "b".repeat(MIN_REDACTED_LENGTH - 1);
    expect(redactor([atMin, below])(`${atMin} ${below}`)).toBe(`[secret] ${below}`);
    expect(redactor([])("unchanged")).toBe("unchanged");
  });
});
