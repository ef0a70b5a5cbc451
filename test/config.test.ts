import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ConfigError, decodeConfigValue, isNamespaceTypo, loadPulumiStackConfig, loadStackConfigFile, parseStackConfig, SecretValue, type RawEntry } from "../infra/config";
import { CATALOG } from "../infra/apps";
import { rawEntriesFromYaml } from "../infra/stack-file";

const STACKS = path.resolve(__dirname, "../stacks");

/** A minimal valid cloud stack managing one app, as raw entries (what a YAML file or the engine gives). */
function baseRaw(): Record<string, RawEntry> {
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

/** A raw entry as the stack file or the engine gives a plain (non-secret) value. */
const plain = (value: unknown): RawEntry => ({ value, secret: false });
const SERVICE_ROLE = "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY";

/** A switch as a stack file writes it (a boolean) and as the engine or `config set --path` hands it over (a string). */
const SWITCH_VALUES: [boolean | string, boolean][] = [
  [true, true],
  [false, false],
  ["true", true],
  ["false", false],
];

describe("parseStackConfig: switches read from a stack file or from the engine", () => {
  it.each(SWITCH_VALUES)("prometheus: %j means %j (a boolean in a stack file, a string from the engine)", (value, expected) => {
    const raw = baseRaw();
    raw["rollout-stack:prometheus"] = plain(value);
    expect(parseStackConfig("test", raw).prometheus).toBe(expected);
  });

  it("prometheus is off unless the stack turns it on", () => {
    expect(parseStackConfig("test", baseRaw()).prometheus).toBe(false);
  });

  it.each(SWITCH_VALUES)("databases.<db>.includeAll: %j means %j (`pulumi config set --path` without --type bool writes a string)", (value, expected) => {
    const raw = baseRaw();
    raw["rollout-stack:databases"] = plain({ "chat-sessions": { includeAll: value } });
    expect(parseStackConfig("test", raw).databases["chat-sessions"].includeAll).toBe(expected);
  });

  it("a key written without a namespace is the project's (rollout-stack), as Pulumi reads it", () => {
    const raw = baseRaw();
    delete raw["rollout-stack:apps"];
    raw["apps"] = plain(["chat-sessions"]);
    expect(parseStackConfig("test", raw).apps.map((a) => a.name)).toEqual(["chat-sessions"]);
  });

  it("a key with an empty namespace (\":apps\") does not stand in for rollout-stack:apps", () => {
    const raw = baseRaw();
    delete raw["rollout-stack:apps"];
    raw[":apps"] = plain(["chat-sessions"]);
    expect(problemsOf(raw).map((p) => p.key)).toContain("rollout-stack:apps");
  });
});

describe("parseStackConfig: secrets", () => {
  it("a secret the engine decrypted is known; one read from a stack file is a placeholder", () => {
    expect(parseStackConfig("test", baseRaw()).secrets["chat-sessions.SUPABASE_SERVICE_ROLE_KEY"].known).toBe(true);
    const raw = baseRaw();
    raw[SERVICE_ROLE] = { value: undefined, secret: true, secure: "v1:AAAABBBBcccc" };
    const secret = parseStackConfig("test", raw).secrets["chat-sessions.SUPABASE_SERVICE_ROLE_KEY"];
    expect(secret.known).toBe(false);
    expect(secret.key).toBe(SERVICE_ROLE);
  });

  it.each([
    ["null", null],
    ["null", undefined],
    ["a list", ["v1:AAAA"]],
    ["a map", { ciphertext: "v1:AAAA" }],
    ["a number", 42],
    ["a boolean", true],
    ["empty", ""],
    ["empty", "  \n"],
  ])("a secure: value that is %s is reported on its key, with the command that sets it again", (shape, secure) => {
    const raw = baseRaw();
    raw[SERVICE_ROLE] = { value: undefined, secret: true, secure };
    expect(problemsOf(raw)).toEqual([
      {
        key: SERVICE_ROLE,
        code: "bad-secure-value",
        message: `its secure: value is ${shape}, not a ciphertext; set the secret again with \`pulumi config set --secret chat-sessions.SUPABASE_SERVICE_ROLE_KEY <value> --stack test\``,
      },
    ]);
  });

  it("a malformed secure: value is described by its shape only, never its content", () => {
    const raw = baseRaw();
    raw[SERVICE_ROLE] = { value: undefined, secret: true, secure: { plaintext: "hunter2-leaked" } };
    const problems = problemsOf(raw);
    expect(problems.map((p) => p.key)).toEqual([SERVICE_ROLE]);
    expect(JSON.stringify(problems)).not.toContain("hunter2-leaked");
  });

  it("inspecting a secret (console.log, util.inspect) names its key and hides its value", () => {
    const s = new SecretValue("rollout-stack:a.B", "hunter2");
    expect(require("util").inspect(s)).toBe("SecretValue(rollout-stack:a.B)");
    expect(require("util").inspect({ token: s })).toBe("{ token: SecretValue(rollout-stack:a.B) }");
  });

  it("a secure: leaf anywhere in a structured value is reported on the top-level key, even among plain values", () => {
    const raw = baseRaw();
    raw["rollout-stack:settings"] = plain({
      "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co",
      "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": { secure: "v1:AAAA" },
    });
    const hit = problemsOf(raw).find((p) => p.key === "rollout-stack:settings");
    expect(hit?.message).toMatch(/holds a secure: value inside a structured value.*put each secret in its own top-level key/);
  });

  it("a setting left blank (null, as YAML reads `KEY:` with no value) is one problem on that key; the settings beside it still count", () => {
    const raw = baseRaw();
    raw["rollout-stack:settings"] = plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": null, "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon" });
    expect(problemsOf(raw)).toEqual([
      { key: "rollout-stack:settings.chat-sessions/NEXT_PUBLIC_SUPABASE_URL", message: "must be a plain value (text, a number or true/false)" },
    ]);
  });

  it("a phase left blank is one problem on that key, not also a missing phase; the other phases still count", () => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = plain({ "chat-sessions/early-session-creation": null, "chat-sessions/cleanup": "dry-run" });
    expect(problemsOf(raw)).toEqual([
      { key: "rollout-stack:phases.chat-sessions/early-session-creation", message: 'must be a rung: a name such as "off" or "live", or a whole percent such as 10' },
    ]);
  });

  it("a malformed entry in a non-map key (an edgeConfig with a bad store) falls back to the key's default", () => {
    const raw = baseRaw();
    raw["rollout-stack:edgeConfig"] = plain({ store: "nope", item: "rollout_dev" });
    expect(problemsOf(raw).map((p) => p.key)).toEqual(["rollout-stack:edgeConfig.store"]);
  });

  it("a structured key set to null is a problem on that key, not a crash", () => {
    const raw = baseRaw();
    raw["rollout-stack:previewPhases"] = plain(null);
    expect(problemsOf(raw).map((p) => p.key)).toEqual(["rollout-stack:previewPhases"]);
  });
});

describe("parseStackConfig: namespaces", () => {
  it("a mistyped namespace is reported with the key to rename it to", () => {
    const raw = baseRaw();
    delete raw["rollout-stack:apps"];
    raw["rolout-stack:apps"] = plain(["chat-sessions"]);
    expect(problemsOf(raw)).toContainEqual({
      key: "rolout-stack:apps",
      code: "namespace-typo",
      message: 'namespace "rolout-stack" is not "rollout-stack" (a typo?): as written this key belongs to no one and is ignored; rename it to rollout-stack:apps',
    });
  });

  it("an empty namespace (`:apps`, which Pulumi accepts and nothing reads) is reported the same way", () => {
    const raw = baseRaw();
    raw[":previewPhases"] = plain({});
    expect(problemsOf(raw)).toEqual([
      {
        key: ":previewPhases",
        code: "namespace-typo",
        message: 'namespace "" is not "rollout-stack" (a typo?): as written this key belongs to no one and is ignored; rename it to rollout-stack:previewPhases',
      },
    ]);
  });

  it("our own namespace is not a typo of itself", () => {
    expect(isNamespaceTypo("rollout-stack")).toBe(false);
  });

  it.each(["rallaut-stick", "rolot-stak", "rollout-stackxyz", "rollout-stacks", "ROLLOUT-STACK"])("%s is ours mistyped (at most 3 edits away)", (ns) => {
    expect(isNamespaceTypo(ns)).toBe(true);
  });

  it.each(["rollout-stxyzw", "kubernetes", "cloudflare", "digitalocean", "azure-native", "google-native", "aws-native", "docker-build"])(
    "%s is not ours: 4 or more edits away, like every provider namespace",
    (ns) => {
      expect(isNamespaceTypo(ns)).toBe(false);
    },
  );
});

describe("parseStackConfig: reserved names as keys", () => {
  const MESSAGE = (key: string) => `"${key}" is a reserved name that a JavaScript object cannot hold as a key (it would vanish); remove the line or correct the key`;
  const reserved = (raw: Record<string, RawEntry>) => problemsOf(raw).filter((p) => (p as { code?: string }).code === "reserved-key");

  it("a reserved name in a map the engine passes as JSON is reported with its full path", () => {
    const raw = baseRaw();
    raw["rollout-stack:imports"] = plain(decodeConfigValue('{"chat-sessions": {"env": {"__proto__": "prj_abc/env_def"}}}'));
    expect(reserved(raw)).toEqual([{ key: "rollout-stack:imports.chat-sessions.env.__proto__", code: "reserved-key", message: MESSAGE("__proto__") }]);
  });

  it("a reserved name inside a list item is reported with the item's index", () => {
    const raw = baseRaw();
    raw["rollout-stack:apps"] = plain(decodeConfigValue('["chat-sessions", {"constructor": "x"}]'));
    expect(reserved(raw)).toEqual([{ key: "rollout-stack:apps[1].constructor", code: "reserved-key", message: MESSAGE("constructor") }]);
  });

  /** `levels` nested maps (`{"a": {"a": ...}}`), or lists when `list`, around a map holding `__proto__`. */
  const nested = (levels: number, list: boolean) => {
    let json = '{"__proto__": 1}';
    for (let i = 0; i < levels; i++) json = list ? `[${json}]` : `{"a": ${json}}`;
    return decodeConfigValue(json);
  };

  it.each([
    [63, false],
    [63, true],
  ])("a reserved name %i levels down (list: %s), 64 levels with its map, the stack file's nesting limit, is still reported", (levels, list) => {
    const raw = baseRaw();
    raw["rollout-stack:previewPhases"] = plain(nested(levels, list));
    expect(reserved(raw)).toHaveLength(1);
  });

  it.each([
    [64, false],
    [64, true],
    [10_000, false],
    [10_000, true],
  ])("a value nested past the limit (%i levels around a map, list: %s) is one too-deep problem on its key, not walked", (levels, list) => {
    const raw = baseRaw();
    raw["rollout-stack:previewPhases"] = plain(nested(levels, list));
    expect(problemsOf(raw)).toEqual([
      { key: "rollout-stack:previewPhases", code: "too-deep", message: "nests maps or lists more than 64 levels deep; a stack config value nests a few levels" },
    ]);
  });
});

describe("parseStackConfig: apps, keys and branch, each problem saying what to do", () => {
  it("a stack file without rollout-stack:apps gets one problem with an example, and nothing else", () => {
    expect(problemsOf({})).toEqual([
      { key: "rollout-stack:apps", message: "missing; list the apps this stack manages, e.g. `rollout-stack:apps: [chat-sessions]` (or [] for none)" },
    ]);
  });

  it("apps given as one string instead of a list is one problem on rollout-stack:apps (no crash, no app invented)", () => {
    expect(problemsOf({ "rollout-stack:apps": plain("chat-sessions") }).map((p) => p.key)).toEqual(["rollout-stack:apps"]);
  });

  it("an app listed twice is reported at its second place", () => {
    const raw = baseRaw();
    raw["rollout-stack:apps"] = plain(["chat-sessions", "chat-sessions"]);
    expect(problemsOf(raw)).toEqual([{ key: "rollout-stack:apps[1]", message: '"chat-sessions" is listed twice' }]);
  });

  it("an unknown key in our namespace lists the known keys", () => {
    const raw = baseRaw();
    raw["rollout-stack:colour"] = plain("blue");
    const hit = problemsOf(raw).find((p) => p.key === "rollout-stack:colour");
    expect(hit?.message).toMatch(
      /^unknown key in the rollout-stack namespace \(a typo\?\); known keys: apps, mode, vercelTeam, .*, phases, previewPhases, settings, .*, edgeConfig, <app>\.<ENV_KEY>\[\.preview\] and <database>\.databaseUrl secrets$/,
    );
  });

  it("an unknown key inside a structured value is reported with its full path", () => {
    const raw = baseRaw();
    raw["rollout-stack:databases"] = plain({ "chat-sessions": { projectref: "abcdefghijklmnopqrst" } });
    expect(problemsOf(raw)).toEqual([{ key: "rollout-stack:databases.chat-sessions.projectref", code: "unknown-key", message: "unknown key (a typo?)" }]);
  });

  it("a production branch git would refuse is reported with git's rules and an example", () => {
    const raw = baseRaw();
    raw["rollout-stack:productionBranch"] = plain("release 2024");
    expect(problemsOf(raw)).toEqual([
      {
        key: "rollout-stack:productionBranch",
        code: "bad-branch-name",
        message:
          "is not a valid git branch name (git check-ref-format --branch: no spaces, control characters, .. or ~^:?*[\\, not starting with - or ., not ending with / . or .lock); set the branch pulumi up deploys from, e.g. main",
      },
    ]);
  });

  it.each([
    ["nosuch-app/cleanup", "not an <app>/<feature> of this stack's apps"],
    ["chat-sessions/cleanup/extra", "not an <app>/<feature> of this stack's apps"],
    ["metadata-context/enhanced-context", 'app "metadata-context" is not in rollout-stack:apps; add it there or remove this line'],
  ])("a phase for %s says why it is not one of this stack's features", (key, message) => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = plain({ "chat-sessions/early-session-creation": "off", "chat-sessions/cleanup": "dry-run", [key]: "off" });
    expect(problemsOf(raw)).toEqual([{ key: `rollout-stack:phases.${key}`, message }]);
  });
});

describe("parseStackConfig: phases name the ladder, and hint at the percent limit", () => {
  /** The problem a single bad phase value gives, the other phases of the base stack being fine. */
  const phaseProblem = (key: string, value: unknown) => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = plain({ "chat-sessions/early-session-creation": "off", "chat-sessions/cleanup": "dry-run", [key]: value });
    return problemsOf(raw);
  };

  it("a feature the app does not have is named, with the app's features", () => {
    expect(phaseProblem("chat-sessions/cleanp", "live")).toEqual([
      { key: "rollout-stack:phases.chat-sessions/cleanp", message: '"chat-sessions" has no feature "cleanp" (features: early-session-creation, cleanup)' },
    ]);
  });

  it.each([
    ["chat-sessions/early-session-creation", "5O", '"5O" is not a phase of this ladder (off, 10, 50, 100)'],
    ["chat-sessions/early-session-creation", 7, "7 is not a phase of this ladder (off, 10, 50, 100)"],
    ["chat-sessions/early-session-creation", 101, "101 is not a phase of this ladder (off, 10, 50, 100) (a percent is at most 100)"],
    ["chat-sessions/early-session-creation", "150", '"150" is not a phase of this ladder (off, 10, 50, 100) (a percent is at most 100)'],
    ["chat-sessions/cleanup", 100, "100 is not a phase of this ladder (dry-run, live)"],
    ["chat-sessions/cleanup", "100", '"100" is not a phase of this ladder (dry-run, live)'],
    // The hint is for whole numbers only: rungs are whole percents, and these are not one.
    ["chat-sessions/early-session-creation", "150.5", '"150.5" is not a phase of this ladder (off, 10, 50, 100)'],
    ["chat-sessions/early-session-creation", "1e3", '"1e3" is not a phase of this ladder (off, 10, 50, 100)'],
  ])("%s: %j is refused with the ladder's rungs, and the percent hint only above 100", (key, value, message) => {
    expect(phaseProblem(key, value)).toEqual([{ key: `rollout-stack:phases.${key}`, message }]);
  });

  it("a missing phase gives an example with the first rung, and lists the rungs", () => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = plain({ "chat-sessions/early-session-creation": "off" });
    expect(problemsOf(raw)).toEqual([
      { key: "rollout-stack:phases.chat-sessions/cleanup", message: 'missing; every feature needs a phase, e.g. `chat-sessions/cleanup: "dry-run"` (rungs: dry-run, live)' },
    ]);
  });

  it("a missing phase is still reported beside an unrelated problem on another key", () => {
    const raw = baseRaw();
    raw["rollout-stack:phases"] = plain({ "chat-sessions/early-session-creation": "off" });
    raw["rollout-stack:settngs"] = plain({});
    expect(problemsOf(raw).map((p) => p.key).sort()).toEqual(["rollout-stack:phases.chat-sessions/cleanup", "rollout-stack:settngs"]);
  });
});

describe("parseStackConfig: settings name the app's settings and secrets", () => {
  const settingProblems = (extra: Record<string, unknown>, apps = ["chat-sessions"], options = {}) => {
    const raw = baseRaw();
    raw["rollout-stack:apps"] = plain(apps);
    raw["rollout-stack:settings"] = plain({ ...(raw["rollout-stack:settings"].value as object), ...extra });
    return problemsOf(raw, options).filter((p) => p.key.startsWith("rollout-stack:settings."));
  };

  it("a setting the app does not declare lists the app's settings", () => {
    expect(settingProblems({ "chat-sessions/SESSION_TTL": "5" })).toEqual([
      {
        key: "rollout-stack:settings.chat-sessions/SESSION_TTL",
        message: '"chat-sessions" has no setting "SESSION_TTL" (settings: SESSION_CLEANUP_THRESHOLD_HOURS, NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY)',
      },
    ]);
  });

  it("CRON_SECRET is generated by the stack: as a setting it is not one, and not called a secret to set", () => {
    expect(settingProblems({ "chat-sessions/CRON_SECRET": "x" })).toEqual([
      {
        key: "rollout-stack:settings.chat-sessions/CRON_SECRET",
        message: '"chat-sessions" has no setting "CRON_SECRET" (settings: SESSION_CLEANUP_THRESHOLD_HOURS, NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY)',
      },
    ]);
  });

  it("an app that declares no settings says so", () => {
    const bare = CATALOG.filter((a) => a.name === "chat-sessions").map((a) => ({ ...a, env: a.env.filter((e) => e.source.from !== "setting") }));
    const raw = baseRaw();
    raw["rollout-stack:settings"] = plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co" });
    expect(problemsOf(raw, { catalog: bare })).toEqual([
      { key: "rollout-stack:settings.chat-sessions/NEXT_PUBLIC_SUPABASE_URL", message: '"chat-sessions" has no setting "NEXT_PUBLIC_SUPABASE_URL" (settings: none)' },
    ]);
  });

  it("a setting for an app the stack does not manage lists the stack's apps", () => {
    const raw = baseRaw();
    raw["rollout-stack:apps"] = plain(["chat-sessions", "health-companion"]);
    raw["rollout-stack:phases"] = plain({ "chat-sessions/early-session-creation": "off", "chat-sessions/cleanup": "dry-run", "health-companion/multi-thread-chat": "off" });
    raw["rollout-stack:settings"] = plain({
      ...(baseRaw()["rollout-stack:settings"].value as object),
      "health-companion/NEXT_PUBLIC_SUPABASE_URL": "https://def.supabase.co",
      "health-companion/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon",
      "analy-ticket/NEXT_PUBLIC_SUPABASE_URL": "https://ghi.supabase.co",
    });
    expect(problemsOf(raw)).toEqual([
      { key: "rollout-stack:settings.analy-ticket/NEXT_PUBLIC_SUPABASE_URL", message: "not an <app>/<KEY> of this stack's apps (chat-sessions, health-companion)" },
    ]);
  });

  it("a setting in a stack that manages no app says the stack has none", () => {
    expect(problemsOf({ "rollout-stack:apps": plain([]), "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co" }) })).toEqual([
      { key: "rollout-stack:settings.chat-sessions/NEXT_PUBLIC_SUPABASE_URL", message: "not an <app>/<KEY> of this stack's apps (none)" },
    ]);
  });
});

describe("parseStackConfig: setting formats", () => {
  const withSetting = (key: string, value: unknown) => {
    const raw = baseRaw();
    raw["rollout-stack:settings"] = plain({ ...(raw["rollout-stack:settings"].value as object), [key]: value });
    return raw;
  };
  const HOURS = "chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS";
  const URL_KEY = "chat-sessions/NEXT_PUBLIC_SUPABASE_URL";

  it.each([["1"], ["5"], [24], ["168"], ["1000"]])("an integer setting accepts the positive whole number %j", (value) => {
    expect(parseStackConfig("test", withSetting(HOURS, value)).settings[HOURS]).toBe(String(value));
  });

  it.each([["0"], ["012"], ["-5"], [-5], ["12h"], ["1.5"], [" 24"]])("an integer setting refuses %j, naming the key", (value) => {
    expect(problemsOf(withSetting(HOURS, value))).toEqual([{ key: `rollout-stack:settings.${HOURS}`, message: `${JSON.stringify(value)} is not a positive whole number` }]);
  });

  it.each([["https://abc.supabase.co"], ["http://127.0.0.1:54321"]])("a URL setting accepts %s", (value) => {
    expect(parseStackConfig("test", withSetting(URL_KEY, value)).settings[URL_KEY]).toBe(value);
  });

  it.each([["abc.supabase.co"], ["ftp://abc.supabase.co"], ["https://abc supabase.co"], ["https://"], ["xhttps://abc.supabase.co"], [" https://abc.supabase.co"]])("a URL setting refuses %j, naming the key", (value) => {
    expect(problemsOf(withSetting(URL_KEY, value))).toEqual([{ key: `rollout-stack:settings.${URL_KEY}`, message: `${JSON.stringify(value)} is not an http(s) URL` }]);
  });
});

describe("parseStackConfig: required settings", () => {
  it("a required setting without a default, when absent, is missing: the message shows where to set it and what it is", () => {
    const raw = baseRaw();
    raw["rollout-stack:settings"] = plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon" });
    expect(problemsOf(raw)).toEqual([
      {
        key: "rollout-stack:settings.chat-sessions/NEXT_PUBLIC_SUPABASE_URL",
        message: "missing; set it, e.g. `chat-sessions/NEXT_PUBLIC_SUPABASE_URL: <value>` under rollout-stack:settings (Supabase project URL (public; inlined at build time).)",
      },
    ]);
  });

  it("a setting with a default keeps the stack's value; the default fills it only when absent", () => {
    const raw = baseRaw();
    raw["rollout-stack:settings"] = plain({ ...(raw["rollout-stack:settings"].value as object), "chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS": 48 });
    expect(parseStackConfig("test", raw).settings["chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS"]).toBe("48");
    expect(parseStackConfig("test", baseRaw()).settings["chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS"]).toBe("24");
  });
});

describe("parseStackConfig: secret keys and database URLs", () => {
  const secret = (value: string | undefined): RawEntry => ({ value, secret: true });
  /** A local stack (databases only): no phases, settings or env secrets are required. */
  const localRaw = (apps: string[], extra: Record<string, RawEntry> = {}): Record<string, RawEntry> => ({
    "rollout-stack:mode": plain("local"),
    "rollout-stack:apps": plain(apps),
    ...extra,
  });

  it("a database URL secret and the database's project ref land on the same database", () => {
    const raw = baseRaw();
    raw["rollout-stack:chat-sessions.databaseUrl"] = secret("postgres://u:p@db/x");
    raw["rollout-stack:databases"] = plain({ "chat-sessions": { projectRef: "abcdefghijklmnopqrst" } });
    const db = parseStackConfig("test", raw).databases["chat-sessions"];
    expect(db.projectRef).toBe("abcdefghijklmnopqrst");
    expect(db.url?.reveal()).toBe("postgres://u:p@db/x");
    expect(db.url?.key).toBe("rollout-stack:chat-sessions.databaseUrl");
  });

  it("a database URL read from a stack file is a placeholder (known: false)", () => {
    const raw = localRaw(["chat-sessions"], { "rollout-stack:chat-sessions.databaseUrl": { value: undefined, secret: true, secure: "v1:AAAA" } });
    expect(parseStackConfig("local", raw).databases["chat-sessions"].url?.known).toBe(false);
  });

  it.each([
    [["chat-sessions"], "(databases: chat-sessions)"],
    [["chat-sessions", "health-companion"], "(databases: chat-sessions, health-companion)"],
    [[], "(databases: none)"],
  ])("a database URL for a database no managed app declares lists the stack's databases (apps %j)", (apps, list) => {
    const raw = localRaw(apps, { "rollout-stack:analy-ticket.databaseUrl": secret("postgres://u:p@db/x") });
    expect(problemsOf(raw)).toEqual([{ key: "rollout-stack:analy-ticket.databaseUrl", message: `no managed app declares database "analy-ticket" ${list}` }]);
  });

  it("an app without a database declares none", () => {
    const catalog = CATALOG.filter((a) => a.name === "health-companion").map((a) => ({ ...a, database: undefined }));
    const raw = localRaw(["health-companion"], { "rollout-stack:health-companion.databaseUrl": secret("postgres://u:p@db/x") });
    expect(problemsOf(raw, { catalog })).toEqual([{ key: "rollout-stack:health-companion.databaseUrl", message: 'no managed app declares database "health-companion" (databases: none)' }]);
  });

  it.each([
    ["metadata-context", "metadata-context.OPENAI_KEY", '"metadata-context" declares no secret env var OPENAI_KEY (secrets: SUPABASE_SERVICE_ROLE_KEY, OPENAI_API_KEY, REDIS_URL)'],
    ["chat-sessions", "chat-sessions.NEXT_PUBLIC_SUPABASE_URL", '"chat-sessions" declares no secret env var NEXT_PUBLIC_SUPABASE_URL (secrets: SUPABASE_SERVICE_ROLE_KEY)'],
    ["chat-sessions", "analy-ticket.SUPABASE_SERVICE_ROLE_KEY", '"analy-ticket" is not in rollout-stack:apps'],
  ])("a secret key no managed app declares as a secret is refused, listing what the app does declare (apps: %s)", (app, name, message) => {
    const raw = localRaw([app], { [`rollout-stack:${name}`]: secret("value-not-shown") });
    expect(problemsOf(raw)).toEqual([{ key: `rollout-stack:${name}`, message }]);
  });

  it("an app that declares no secret env var says so", () => {
    const catalog = CATALOG.filter((a) => a.name === "health-companion").map((a) => ({ ...a, env: a.env.filter((e) => e.source.from !== "secret") }));
    const raw = localRaw(["health-companion"], { "rollout-stack:health-companion.SUPABASE_SERVICE_ROLE_KEY": secret("value-not-shown") });
    expect(problemsOf(raw, { catalog })).toEqual([
      { key: "rollout-stack:health-companion.SUPABASE_SERVICE_ROLE_KEY", message: '"health-companion" declares no secret env var SUPABASE_SERVICE_ROLE_KEY (secrets: none)' },
    ]);
  });

  it("a local stack (no Vercel) neither requires the apps' env secrets nor makes placeholders for them", () => {
    const c = parseStackConfig("local", localRaw(["chat-sessions"]), { requireSecrets: true });
    expect(c.secrets).toEqual({});
  });
});

describe("parseStackConfig: databases, imports and CRON_SECRET rotation belong to managed apps", () => {
  const localRaw = (apps: string[], extra: Record<string, unknown>): Record<string, RawEntry> => {
    const raw: Record<string, RawEntry> = { "rollout-stack:mode": plain("local"), "rollout-stack:apps": plain(apps) };
    for (const [key, value] of Object.entries(extra)) raw[`rollout-stack:${key}`] = plain(value);
    return raw;
  };

  it.each([
    [["chat-sessions"], "(databases: chat-sessions)"],
    [["chat-sessions", "health-companion"], "(databases: chat-sessions, health-companion)"],
    [[], "(databases: none)"],
  ])("databases.<db> for a database no managed app declares lists the stack's databases (apps %j)", (apps, list) => {
    expect(problemsOf(localRaw(apps, { databases: { "analy-ticket": { includeAll: true } } }))).toEqual([
      { key: "rollout-stack:databases.analy-ticket", message: `no managed app declares database "analy-ticket" ${list}` },
    ]);
  });

  it("imports of a managed app are kept: the project and each env var (bare, per target, or a feature's delivery var)", () => {
    const env = {
      SUPABASE_SERVICE_ROLE_KEY: "prj_abc/env_1",
      "NEXT_PUBLIC_SUPABASE_URL.preview": "prj_abc/env_2",
      "NEXT_PUBLIC_SUPABASE_URL.production": "prj_abc/env_3",
      "NEXT_PUBLIC_SUPABASE_URL.development": "prj_abc/env_4",
      SESSION_CLEANUP_DRY_RUN: "prj_abc/env_5",
      "NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT.preview": "prj_abc/env_6",
    };
    const c = parseStackConfig("local", localRaw(["chat-sessions"], { imports: { "chat-sessions": { project: "prj_abc", env } } }));
    expect(c.imports).toEqual({ "chat-sessions": { project: "prj_abc", env } });
  });

  it.each([["NOT_AN_ENV_VAR"], ["SUPABASE_SERVICE_ROLE_KEY.staging"], ["SUPABASE_SERVICE_ROLE_KEY.preview.extra"], ["NOT_AN_ENV_VAR.preview"]])(
    "an import for %s, not an env var of the app (or its target), is refused with the form to write",
    (envKey) => {
      expect(problemsOf(localRaw(["chat-sessions"], { imports: { "chat-sessions": { env: { [envKey]: "prj_abc/env_1" } } } }))).toEqual([
        { key: `rollout-stack:imports.chat-sessions.env.${envKey}`, message: 'not an env var of "chat-sessions" (write <KEY> or <KEY>.<target>)' },
      ]);
    },
  );

  it("imports for an app the stack does not manage are refused", () => {
    expect(problemsOf(localRaw(["chat-sessions"], { imports: { "analy-ticket": { project: "prj_abc" } } }))).toEqual([
      { key: "rollout-stack:imports.analy-ticket", message: '"analy-ticket" is not in rollout-stack:apps' },
    ]);
  });

  it.each([
    [0, 0],
    [3, 3],
    ["3", 3],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("cronSecretRotation %j is the counter %j", (value, counter) => {
    expect(parseStackConfig("local", localRaw(["chat-sessions"], { cronSecretRotation: { "chat-sessions": value } })).cronSecretRotation).toEqual({ "chat-sessions": counter });
  });

  it.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1], ["9007199254740993"]])("cronSecretRotation %j is refused with the range and how to rotate", (value) => {
    expect(problemsOf(localRaw(["chat-sessions"], { cronSecretRotation: { "chat-sessions": value } }))).toEqual([
      {
        key: "rollout-stack:cronSecretRotation.chat-sessions",
        code: "bad-rotation-counter",
        message: "must be a whole number from 0 to 9007199254740991 (2^53-1); bump it by one to rotate the secret",
      },
    ]);
  });

  it.each([
    [["health-companion"], "health-companion"],
    [["chat-sessions"], "analy-ticket"],
  ])("cronSecretRotation for an app without a CRON_SECRET, or not managed, is refused (apps %j, key %s)", (apps, app) => {
    expect(problemsOf(localRaw(apps, { cronSecretRotation: { [app]: 1 } }))).toEqual([
      { key: `rollout-stack:cronSecretRotation.${app}`, message: `"${app}" is not a managed app with a CRON_SECRET` },
    ]);
  });
});

describe("parseStackConfig: many unknown keys", () => {
  it.each([
    [21, "… and 1 more unknown key (the first 20 are listed above)"],
    [22, "… and 2 more unknown keys (the first 20 are listed above)"],
  ])("%i unknown keys: 20 listed, then the rest counted in one line", (count, line) => {
    const raw = baseRaw();
    for (let i = 0; i < count; i++) raw[`rollout-stack:unknown${i}`] = plain("x");
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(21);
    expect(problems[20]).toEqual({ key: "rollout-stack:…", code: "unknown-key", message: line });
  });

  it("exactly 20 unknown keys are all listed, with no count line", () => {
    const raw = baseRaw();
    for (let i = 0; i < 20; i++) raw[`rollout-stack:unknown${i}`] = plain("x");
    expect(problemsOf(raw).map((p) => p.key)).toEqual(Array.from({ length: 20 }, (_, i) => `rollout-stack:unknown${i}`));
  });
});

describe("reading config: the stack file, and the engine's values", () => {
  it("a stack with no stack file says how to create it", () => {
    const file = path.join(os.tmpdir(), `no-such-dir-${process.pid}`, "Pulumi.qa.yaml");
    let error: unknown;
    try {
      loadStackConfigFile("qa", { file });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{ key: file, message: "no stack file; create it (pulumi stack init qa) or check --stack" }]);
  });

  it.each([
    ["10", "10"],
    ["true", "true"],
    ["pro", "pro"],
    ["null", "null"],
    ['"quoted"', '"quoted"'],
    ["  main ", "  main "],
  ])("a plain value %j stays the string the engine gave (the schema reads numbers and booleans from strings)", (text, value) => {
    expect(decodeConfigValue(text)).toBe(value);
  });

  it.each([
    [' ["chat-sessions"]\n', ["chat-sessions"]],
    ['\n{"chat-sessions/cleanup": "live"} ', { "chat-sessions/cleanup": "live" }],
  ])("a structured value is JSON even with surrounding whitespace (%j)", (text, value) => {
    expect(decodeConfigValue(text)).toEqual(value);
  });
});

describe("loadPulumiStackConfig: the program's config, as the engine passes it", () => {
  /** Sets the engine's view: values as strings (structured ones as JSON) and the secret keys. */
  const engine = async (raw: Record<string, RawEntry>) => {
    const pulumi = await import("@pulumi/pulumi");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "rollout-stack", "prod", false);
    const values: Record<string, string> = {};
    for (const [key, entry] of Object.entries(raw)) values[key] = typeof entry.value === "string" ? entry.value : JSON.stringify(entry.value);
    pulumi.runtime.setAllConfig(values, Object.keys(raw).filter((key) => raw[key].secret));
  };

  it("decodes the engine's strings, marks secrets by the engine's secret keys, and names the stack", async () => {
    await engine(baseRaw());
    const c = loadPulumiStackConfig();
    expect(c.stack).toBe("prod");
    expect(c.apps.map((a) => a.name)).toEqual(["chat-sessions"]);
    expect(c.phases["chat-sessions/cleanup"]).toBe("dry-run");
    expect(c.secrets["chat-sessions.SUPABASE_SERVICE_ROLE_KEY"].reveal()).toBe("service-role-value");
  });

  it("requires every declared secret (pulumi up never deploys a placeholder), unless the caller says otherwise", async () => {
    const raw = baseRaw();
    delete raw["rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY"];
    await engine(raw);
    let error: unknown;
    try {
      loadPulumiStackConfig();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.key)).toEqual(["rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY"]);
    expect(loadPulumiStackConfig({ requireSecrets: false }).secrets["chat-sessions.SUPABASE_SERVICE_ROLE_KEY"].known).toBe(false);
  });
});
