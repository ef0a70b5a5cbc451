import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ConfigError, decodeConfigValue, loadStackConfigFile, parseStackConfig, SecretValue, type RawEntry } from "../infra/config";
import { rawEntriesFromYaml } from "../infra/stack-file";

const STACKS = path.resolve(__dirname, "../stacks");

/** A minimal valid cloud stack managing one app, as raw entries (what a YAML file or the engine gives). */
function baseRaw(): Record<string, RawEntry> {
  const plain = (value: unknown): RawEntry => ({ value, secret: false });
  return {
    "vercel:team": plain("acme"),
    "vercel:apiToken": { value: "tok-should-be-ignored", secret: true },
    "rollout-stack:vercelTeam": plain("acme"),
    "rollout-stack:apps": plain(["chat-sessions"]),
    "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "off", "chat-sessions/cleanup": "dry-run" }),
    "rollout-stack:settings": plain({
      "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co",
      "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon",
    }),
    "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY": { value: "service-role-value", secret: true },
  };
}

function problemsOf(raw: Record<string, RawEntry>, opts = {}): { key: string; message: string }[] {
  try {
    parseStackConfig("test", raw, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("parseStackConfig: a valid stack", () => {
  it("resolves apps, fills defaults, accepts provider keys and freezes the result", () => {
    const c = parseStackConfig("test", baseRaw(), { requireSecrets: true });
    expect(c.apps.map((a) => a.name)).toEqual(["chat-sessions"]);
    expect(c.vercel).toEqual({ team: "acme", plan: "pro", productionBranch: "main", sensitiveEnvPolicy: false });
    expect(c.settings["chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS"]).toBe("24");
    expect(c.phases).toEqual({ "chat-sessions/early-session-creation": "off", "chat-sessions/cleanup": "dry-run" });
    expect(Object.isFrozen(c.phases)).toBe(true);
    expect(() => ((c.phases as Record<string, string>)["x"] = "y")).toThrow();
    expect(c.secrets["chat-sessions.SUPABASE_SERVICE_ROLE_KEY"].reveal()).toBe("service-role-value");
  });

  it.each([
    [10, "10"],
    ["10", "10"],
  ])("accepts the percent rung %j as %s (pulumi config set --path writes integers)", (value, rung) => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = { value: { "chat-sessions/early-session-creation": value, "chat-sessions/cleanup": "live" }, secret: false };
    expect(parseStackConfig("test", raw).phases["chat-sessions/early-session-creation"]).toBe(rung);
  });

  it("decodes values as the Pulumi engine passes them (JSON strings for structured values)", () => {
    expect(decodeConfigValue('["a","b"]')).toEqual(["a", "b"]);
    expect(decodeConfigValue('{"x/y": 10}')).toEqual({ "x/y": 10 });
    expect(decodeConfigValue("pro")).toBe("pro");
    expect(decodeConfigValue("{not json")).toBe("{not json");
  });
});

describe("parseStackConfig: bad stack files name the key and the fix", () => {
  const cases: [string, (raw: Record<string, RawEntry>) => void, string, RegExp][] = [
    [
      "unknown key in our namespace",
      (r) => (r["rollout-stack:phase"] = { value: {}, secret: false }),
      "rollout-stack:phase",
      /unknown key in the rollout-stack namespace \(a typo\?\)/,
    ],
    [
      "unknown app",
      (r) => (r["rollout-stack:apps"] = { value: ["chat-sessions", "chat-sesions"], secret: false }),
      "rollout-stack:apps[1]",
      /"chat-sesions" is not an app of the catalog \(chat-sessions, analy-ticket/,
    ],
    [
      "a phase not in its ladder",
      (r) => (r["rollout-stack:phases"] = { value: { "chat-sessions/early-session-creation": "5O", "chat-sessions/cleanup": "dry-run" }, secret: false }),
      "rollout-stack:phases.chat-sessions/early-session-creation",
      /"5O" is not a phase of this ladder \(off, 10, 50, 100\)/,
    ],
    [
      "percent 150",
      (r) => (r["rollout-stack:phases"] = { value: { "chat-sessions/early-session-creation": 150, "chat-sessions/cleanup": "dry-run" }, secret: false }),
      "rollout-stack:phases.chat-sessions/early-session-creation",
      /150 is not a phase of this ladder \(off, 10, 50, 100\) \(a percent is at most 100\)/,
    ],
    [
      "a secret given in plaintext",
      (r) => (r["rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY"] = { value: "eyJplaintext", secret: false }),
      "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY",
      /stored in plain text: remove it from the stack file and run `pulumi config set --secret chat-sessions.SUPABASE_SERVICE_ROLE_KEY <value>`/,
    ],
    [
      "a structured value hiding a secure: leaf",
      (r) => (r["rollout-stack:settings"] = { value: { "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": { secure: "v1:abc" } }, secret: false }),
      "rollout-stack:settings",
      /secure: value inside a structured value.*top-level key/,
    ],
    [
      "a structured key marked secret by the engine",
      (r) => (r["rollout-stack:phases"] = { value: { "chat-sessions/cleanup": "live" }, secret: true }),
      "rollout-stack:phases",
      /must not be a secret/,
    ],
    [
      "a missing phase",
      (r) => (r["rollout-stack:phases"] = { value: { "chat-sessions/cleanup": "live" }, secret: false }),
      "rollout-stack:phases.chat-sessions/early-session-creation",
      /missing; every feature needs a phase, e.g. `chat-sessions\/early-session-creation: "off"`/,
    ],
    [
      "a phase of an app the stack does not manage",
      (r) => (r["rollout-stack:phases"] = { value: { "chat-sessions/early-session-creation": "off", "chat-sessions/cleanup": "live", "metadata-context/enhanced-context": "10" }, secret: false }),
      "rollout-stack:phases.metadata-context/enhanced-context",
      /app "metadata-context" is not in rollout-stack:apps/,
    ],
    [
      "a threshold that is not a number",
      (r) => (r["rollout-stack:settings"] = { value: { ...(r["rollout-stack:settings"].value as object), "chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS": "12h" }, secret: false }),
      "rollout-stack:settings.chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS",
      /"12h" is not a positive whole number/,
    ],
    [
      "a secret written as a setting",
      (r) => (r["rollout-stack:settings"] = { value: { ...(r["rollout-stack:settings"].value as object), "chat-sessions/SUPABASE_SERVICE_ROLE_KEY": "x" }, secret: false }),
      "rollout-stack:settings.chat-sessions/SUPABASE_SERVICE_ROLE_KEY",
      /is a secret: remove it here and run `pulumi config set --secret chat-sessions.SUPABASE_SERVICE_ROLE_KEY <value>`/,
    ],
    [
      "a wrong Vercel plan",
      (r) => (r["rollout-stack:vercelPlan"] = { value: "business", secret: false }),
      "rollout-stack:vercelPlan",
      /hobby|pro|enterprise/,
    ],
    [
      "a provider team that differs from ours",
      (r) => (r["vercel:team"] = { value: "other-team", secret: false }),
      "vercel:team",
      /"other-team" differs from rollout-stack:vercelTeam "acme"; set both to the same team/,
    ],
    [
      "a cloud stack without a Vercel team",
      (r) => delete r["rollout-stack:vercelTeam"],
      "rollout-stack:vercelTeam",
      /missing; set the Vercel team/,
    ],
  ];

  it.each(cases)("%s", (_name, mutate, key, message) => {
    const raw = baseRaw();
    mutate(raw);
    const problems = problemsOf(raw);
    const hit = problems.find((p) => p.key === key);
    expect(hit, JSON.stringify(problems)).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it("reports every problem at once, one line per key, in one ConfigError", () => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = { value: { "chat-sessions/early-session-creation": "5O", "chat-sessions/cleanup": "dry-run" }, secret: false };
    raw["rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY"] = { value: "plain", secret: false };
    raw["rollout-stack:colour"] = { value: "blue", secret: false };
    raw["rollout-stack:vercelPlan"] = { value: "business", secret: false };
    let error: ConfigError | undefined;
    try {
      parseStackConfig("prod", raw);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems.map((p) => p.key).sort()).toEqual([
      "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY",
      "rollout-stack:colour",
      "rollout-stack:phases.chat-sessions/early-session-creation",
      "rollout-stack:vercelPlan",
    ]);
    expect(error?.message.split("\n")[0]).toBe('stack "prod" has 4 config problems:');
    // Error printers (Pulumi's uncaught-error handler among them) show `stack`: it must stay the trace.
    expect(error?.stackName).toBe("prod");
    expect(error?.stack).toMatch(/^ConfigError: stack "prod" has 4 config problems:/);
  });

  it("never echoes a secret's value in an error, even a misplaced one", () => {
    const raw = baseRaw();
    raw["rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY"] = { value: "super-secret-value-123", secret: false };
    raw["rollout-stack:analy-ticket.SUPABASE_SERVICE_ROLE_KEY"] = { value: "other-secret-456", secret: true };
    const text = JSON.stringify(problemsOf(raw));
    expect(text).not.toContain("super-secret-value-123");
    expect(text).not.toContain("other-secret-456");
    expect(text).toContain("analy-ticket");
  });

  it("requires declared secrets in the program, and tells how to set them", () => {
    const raw = baseRaw();
    delete raw["rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY"];
    const problems = problemsOf(raw, { requireSecrets: true });
    expect(problems).toEqual([
      {
        key: "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY",
        message: "missing secret; run `pulumi config set --secret chat-sessions.SUPABASE_SERVICE_ROLE_KEY <value> --stack test` (or provide it from an ESC environment)",
      },
    ]);
    // Tools (plan, rollout) work from the file alone: the secret becomes a placeholder.
    const c = parseStackConfig("test", raw);
    expect(c.secrets["chat-sessions.SUPABASE_SERVICE_ROLE_KEY"].known).toBe(false);
  });
});

describe("SecretValue", () => {
  it("masks itself in strings, JSON and inspection", () => {
    const s = new SecretValue("rollout-stack:a.B", "hunter2");
    expect(`${s}`).toBe("[secret]");
    expect(JSON.stringify({ s })).toBe('{"s":"[secret]"}');
    expect(require("util").inspect(s)).not.toContain("hunter2");
    expect(s.reveal()).toBe("hunter2");
    expect(() => new SecretValue("rollout-stack:a.B", undefined).reveal()).toThrow(/not available here/);
  });
});

describe("the real stack files", () => {
  const files = fs.readdirSync(STACKS).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f));

  it("are the four environments", () => {
    expect(files.sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.local.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]);
  });

  it.each(files)("%s parses into a valid config and commits no plaintext secret", (file) => {
    const stack = file.replace(/^Pulumi\.|\.yaml$/g, "");
    const c = loadStackConfigFile(stack, { file: path.join(STACKS, file) });
    expect(c.stack).toBe(stack);
    expect(c.apps.length).toBeGreaterThan(0);
    const entries = rawEntriesFromYaml(fs.readFileSync(path.join(STACKS, file), "utf8"));
    for (const [key, entry] of Object.entries(entries)) {
      if (/^rollout-stack:[a-z0-9-]+\.(databaseUrl|[A-Z][A-Z0-9_]*)/.test(key)) expect(entry.secret, key).toBe(true);
    }
  });

  it("stage the seed rollouts: prod where the guides start, dev and staging further along", () => {
    const prod = loadStackConfigFile("prod").phases;
    expect(prod["chat-sessions/early-session-creation"]).toBe("off");
    expect(prod["chat-sessions/cleanup"]).toBe("dry-run");
    expect(prod["metadata-context/enhanced-context"]).toBe("10");
    expect(prod["analy-ticket/core"]).toBe("100");
    const order = (stack: string, key: string) => {
      const c = loadStackConfigFile(stack);
      const [appName, featureName] = key.split("/");
      const feature = c.apps.find((a) => a.name === appName)!.features.find((f) => f.name === featureName)!;
      return feature.rungs.findIndex((r) => r.name === c.phases[key]);
    };
    for (const key of Object.keys(prod)) {
      expect(order("staging", key), key).toBeGreaterThanOrEqual(order("prod", key));
      expect(order("dev", key), key).toBeGreaterThanOrEqual(order("staging", key));
    }
  });

  it("the local stack manages databases only", () => {
    const c = loadStackConfigFile("local");
    expect(c.mode).toBe("local");
    expect(c.apps.every((a) => a.database)).toBe(true);
  });
});
