/**
 * The hostile stack files: one per fault class, each the dev stack with one broken part, with
 * secret-looking sentinel values on the broken line. Used in-process (`test/stack-file.test.ts`) and
 * through the CLIs (`test/cli/stack-file-faults.test.ts`).
 */
import * as fs from "fs";
import * as path from "path";
import { propertySize } from "./property";

const DEV = fs.readFileSync(path.resolve(__dirname, "../../stacks/Pulumi.dev.yaml"), "utf8");
const devLines = DEV.split("\n").length;

/** Secret-looking values placed in the broken lines; none may appear in any error. */
export const SENTINELS = ["sk_live_SENTINEL51f0c3a9", "SENTINELvalue9d7e22"] as const;
const [S, V] = SENTINELS;
/** The dev stack with `lines` inserted right after `config:` (line 2), so they start at line 3. */
const atLine3 = (lines: string) => DEV.replace("config:\n", `config:\n${lines}`);
/** The dev stack with `lines` inserted after the `rollout-stack:phases:` line. */
export const inPhases = (lines: string) => DEV.replace("  rollout-stack:phases:\n", `  rollout-stack:phases:\n${lines}`);
const withBranch = (yaml: string) => atLine3(`  rollout-stack:productionBranch: ${yaml}\n`);

export interface Fault {
  name: string;
  text: () => string | Buffer;
  /** `file`: the text is not usable data (StackFileError); `config`: usable data that breaks a rule. */
  level: "file" | "config";
  code: string;
  /** file level: the line the error must name (undefined: the file only). */
  line?: number;
  /** config level: the key the error must name; file level: a key path the message must name. */
  key?: string;
}

/** How many unknown keys the "many unknown keys" fault carries (fewer under the mutation profile). */
export const UNKNOWN_KEYS = propertySize(20_000, 500);

const bomb = [
  `  bomb:a: &a [${V}, ${V}, ${V}, ${V}, ${V}, ${V}, ${V}, ${V}, ${V}]`,
  `  bomb:b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]`,
  `  bomb:c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]`,
  `  bomb:d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]`,
].join("\n");

export const FAULTS: Fault[] = [
  // The parser notices the unclosed list on the next line, inside the key whose value it is.
  { name: "syntax error (unclosed flow list)", text: () => atLine3(`  rollout-stack:previewPhases: [${V}, ${S}\n`), level: "file", code: "syntax", line: 4 },
  {
    name: "unterminated quote in a secure value",
    text: () => atLine3(`  rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY: { secure: "${S} }\n`),
    level: "file",
    code: "syntax",
    line: 3,
    key: "config.rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY.secure",
  },
  { name: "duplicate key", text: () => `${DEV}  rollout-stack:vercelTeam: ${V}\n`, level: "file", code: "duplicate-key", line: devLines, key: "config.rollout-stack:vercelTeam" },
  { name: "two documents", text: () => `${DEV}---\nconfig:\n  x: ${S}\n`, level: "file", code: "multiple-documents", line: devLines },
  { name: "undefined alias", text: () => atLine3(`  rollout-stack:mode: *${S}\n`), level: "file", code: "undefined-alias", line: 3 },
  { name: "alias bomb", text: () => atLine3(`${bomb}\n`), level: "file", code: "too-many-aliases", line: 5 },
  { name: "deep nesting (5000 levels)", text: () => atLine3(`  deep:x: ${"[".repeat(5000)}${S}${"]".repeat(5000)}\n`), level: "file", code: "too-deep", line: 3 },
  { name: "deep nesting (65 levels)", text: () => atLine3(`  deep:x: ${"[".repeat(65)}${S}${"]".repeat(65)}\n`), level: "file", code: "too-deep", line: 3 },
  { name: "NUL byte", text: () => atLine3(`  rollout-stack:vercelPlan2: ${V}\u0000${S}\n`), level: "file", code: "control-character", line: 3 },
  {
    name: "invalid UTF-8 byte",
    text: () => Buffer.concat([Buffer.from(atLine3(`  x:y: ${V}`).split(`${V}`)[0] + V), Buffer.from([0xff, 0xfe]), Buffer.from(`${S}\n` + DEV.split("config:\n")[1])]),
    level: "file",
    code: "invalid-utf8",
    line: 3,
  },
  { name: "oversize file", text: () => `${DEV}# ${"x".repeat(1024 * 1024)} ${S}\n`, level: "file", code: "too-large" },
  { name: "the document is a list", text: () => `- ${S}\n- ${V}\n`, level: "file", code: "not-a-map", line: 1 },
  { name: "config: is not a map", text: () => `# a comment\nconfig: ${S}\n`, level: "file", code: "config-not-a-map", line: 2 },
  { name: "config: is a list", text: () => `config:\n  - ${S}\n`, level: "file", code: "config-not-a-map", line: 1 },
  { name: "namespace typo (rolout-stack)", text: () => atLine3(`  rolout-stack:previewPhases:\n    chat-sessions/cleanup: ${V}\n`), level: "config", code: "namespace-typo", key: "rolout-stack:previewPhases" },
  { name: "namespace typo (Rollout-Stack)", text: () => atLine3(`  Rollout-Stack:settings:\n    chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS: ${V}\n`), level: "config", code: "namespace-typo", key: "Rollout-Stack:settings" },
  { name: "__proto__ phase key", text: () => inPhases(`    __proto__: ${V}\n`), level: "config", code: "reserved-key", key: "rollout-stack:phases.__proto__" },
  { name: "constructor setting key", text: () => DEV.replace("  rollout-stack:settings:\n", `  rollout-stack:settings:\n    constructor: ${V}\n`), level: "config", code: "reserved-key", key: "rollout-stack:settings.constructor" },
  { name: "empty secure value", text: () => atLine3(`  rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY: { secure: "" } # ${S}\n`), level: "config", code: "bad-secure-value", key: "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY" },
  { name: "null secure value", text: () => atLine3(`  vercel:apiToken: { secure: null } # ${S}\n`), level: "config", code: "bad-secure-value", key: "vercel:apiToken" },
  { name: "list secure value", text: () => atLine3(`  rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY: { secure: [${S}, ${V}] }\n`), level: "config", code: "bad-secure-value", key: "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY" },
  { name: 'productionBranch " "', text: () => withBranch(`" " # ${S}`), level: "config", code: "bad-branch-name", key: "rollout-stack:productionBranch" },
  { name: "productionBranch main..x", text: () => withBranch(`main..${V}`), level: "config", code: "bad-branch-name", key: "rollout-stack:productionBranch" },
  { name: "productionBranch -rf", text: () => withBranch(`-rf${V}`), level: "config", code: "bad-branch-name", key: "rollout-stack:productionBranch" },
  { name: "productionBranch with a control character", text: () => withBranch(`"main\\a${V}"`), level: "config", code: "bad-branch-name", key: "rollout-stack:productionBranch" },
  { name: "productionBranch with a NUL", text: () => withBranch(`"main\\0${S}"`), level: "config", code: "bad-branch-name", key: "rollout-stack:productionBranch" },
  {
    name: "cronSecretRotation 2^53+1",
    text: () => atLine3(`  rollout-stack:cronSecretRotation:\n    chat-sessions: 9007199254740993 # ${S}\n`),
    level: "config",
    code: "bad-rotation-counter",
    key: "rollout-stack:cronSecretRotation.chat-sessions",
  },
  {
    name: 'cronSecretRotation "9007199254740993" (a string)',
    text: () => atLine3(`  rollout-stack:cronSecretRotation:\n    chat-sessions: "9007199254740993" # ${S}\n`),
    level: "config",
    code: "bad-rotation-counter",
    key: "rollout-stack:cronSecretRotation.chat-sessions",
  },
  {
    name: `${UNKNOWN_KEYS.toLocaleString("en")} unknown keys`,
    text: () => atLine3(Array.from({ length: UNKNOWN_KEYS }, (_, i) => `  rollout-stack:unknown${i}: ${i % 2 ? S : V}\n`).join("")),
    level: "config",
    code: "unknown-key",
    key: "rollout-stack:unknown0",
  },
];

