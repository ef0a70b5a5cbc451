import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { AppDeclarationError } from "../../infra/vercel/declaration-error";
import {
  CronDeclarationError,
  cronsDiff,
  lineDiff,
  MAX_CRONS_PER_PROJECT,
  parseVercelJson,
  pathProblems,
  scheduleProblems,
  validateCrons,
  VercelJsonError,
  withCrons,
} from "../../infra/vercel/crons";

const app = (crons: { path: string; schedule: string }[]) => ({ name: "demo", crons });
const CLEANUP = { path: "/api/admin/cleanup-sessions", schedule: "0 2 * * *" };

describe("scheduleProblems: what Vercel accepts", () => {
  it.each([
    ["0 2 * * *", "hobby"],
    ["30 23 1 * *", "hobby"],
    ["0 9 * * 1-5", "hobby"],
    ["*/5 * * * *", "pro"],
    ["0 */6 * * *", "pro"],
    ["0,30 8-17 * 1,6 *", "enterprise"],
    ["59 23 31 12 *", "pro"],
    ["0 0 * * 0", "hobby"],
  ] as const)("accepts %s on %s", (schedule, plan) => {
    expect(scheduleProblems(schedule, plan)).toEqual([]);
  });

  it.each([
    ["0 2 * *", "pro", /has 4 fields; write five/],
    ["0 0 2 * * *", "pro", /has 6 fields/],
    ["@daily", "pro", /is a macro/],
    ["CRON_TZ=Europe/Paris 0 2 * * *", "pro", /UTC only/],
    ["TZ=UTC 0 2 * * *", "pro", /UTC only/],
    ["60 2 * * *", "pro", /minute 60 is outside 0-59/],
    ["0 24 * * *", "pro", /hour 24 is outside 0-23/],
    ["0 2 0 * *", "pro", /day of month 0 is outside 1-31/],
    ["0 2 * 13 *", "pro", /month 13 is outside 1-12/],
    ["0 2 * * 8", "pro", /day of week 8 is outside 0-7/],
    ["0 2 * * MON", "pro", /numbers only/],
    ["0 2 * JAN *", "pro", /numbers only/],
    ["0 2 L * *", "pro", /numbers only/],
    ["0 2 ? * *", "pro", /is not a number/],
    ["0 5-2 * * *", "pro", /runs backwards/],
    ["*/0 * * * *", "pro", /never fires/],
    ["*/5 * * * *", "hobby", /more than once a day.*hobby/],
    ["0 */12 * * *", "hobby", /more than once a day/],
    ["0 2,14 * * *", "hobby", /more than once a day/],
    ["* 2 * * *", "hobby", /more than once a day/],
    [" 0 2 * * *", "pro", /leading or trailing spaces/],
  ] as const)("rejects %j on %s", (schedule, plan, message) => {
    const problems = scheduleProblems(schedule, plan);
    expect(problems.join("\n")).toMatch(message);
  });

  // vercel/vercel packages/cli/src/commands/crons/add.ts validateCronSchedule: day of week 0-7,
  // at most 256 characters, and no rule against day of month with day of week; vercel.json's schema
  // (packages/cli/src/util/validate-config.ts, cronsSchema) bounds a schedule to 9-256 characters.
  it.each([
    ["0 2 * * 7", "hobby"],
    ["0 2 * * 5-7", "pro"],
    ["0 2 1 * 1", "pro"],
    ["0 2 1-7 * 1", "hobby"],
  ] as const)("accepts %s on %s as vercel/vercel packages/cli/src/commands/crons/add.ts validateCronSchedule does", (schedule, plan) => {
    expect(scheduleProblems(schedule, plan)).toEqual([]);
  });

  it("refuses a schedule over 256 characters (validateCronSchedule in packages/cli/src/commands/crons/add.ts; cronsSchema maxLength)", () => {
    const minutes = Array.from({ length: 60 }, (_, i) => i).join(",");
    const long = `${minutes} 0 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31 * *`;
    expect(long.length).toBeGreaterThan(256);
    expect(scheduleProblems(long, "pro")).toEqual([`is ${long.length} characters; Vercel allows 9 to 256`]);
  });

  it("checks paths", () => {
    expect(pathProblems("/api/x")).toEqual([]);
    expect(pathProblems("api/x")[0]).toMatch(/must start with "\/"/);
    expect(pathProblems("/api x")[0]).toMatch(/white space/);
    expect(pathProblems(`/${"a".repeat(600)}`)[0]).toMatch(/512/);
  });
});

describe("validateCrons", () => {
  it("passes every catalog app on the strictest plan (dev is hobby)", () => {
    for (const a of CATALOG) expect(validateCrons(a, "hobby")).toEqual(a.crons);
  });

  it("lists every problem at once, naming the entry", () => {
    const bad = app([
      { path: "cleanup", schedule: "0 2 * * *" },
      { path: "/a", schedule: "*/10 * * * *" },
      { path: "/a", schedule: "*/10 * * * *" },
    ]);
    try {
      validateCrons(bad, "hobby");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CronDeclarationError);
      // One error type for every declaration Vercel would reject: callers catch AppDeclarationError.
      expect(e).toBeInstanceOf(AppDeclarationError);
      expect((e as CronDeclarationError).name).toBe("CronDeclarationError");
      expect((e as CronDeclarationError).app).toBe("demo");
      // The duplicate counts twice: its schedule is also too frequent for hobby.
      expect((e as CronDeclarationError).problems.map((p) => p.slice(0, 8))).toEqual(["crons[0]", "crons[1]", "crons[2]", "crons[2]"]);
      const message = (e as Error).message;
      expect(message).toContain('app "demo" declares crons Vercel would reject');
      expect(message).toContain('crons[0] (cleanup "0 2 * * *"): path "cleanup" must start with "/"');
      expect(message).toMatch(/crons\[1\] \(\/a "\*\/10 \* \* \* \*"\): runs more than once a day/);
      expect(message).toMatch(/crons\[2\].*declared twice/);
    }
  });

  it(`refuses more than ${MAX_CRONS_PER_PROJECT} crons per project`, () => {
    const many = Array.from({ length: MAX_CRONS_PER_PROJECT + 1 }, (_, i) => ({ path: `/c/${i}`, schedule: "0 2 * * *" }));
    expect(() => validateCrons(app(many), "pro")).toThrow(/101 crons; Vercel allows 100 per project/);
    expect(validateCrons(app(many.slice(0, MAX_CRONS_PER_PROJECT)), "pro")).toHaveLength(100);
  });
});

describe("withCrons: only the crons member changes", () => {
  it("replaces an existing block in place, keeping the other members' text", () => {
    const text = '{\n    "framework": "nextjs",\n    "crons": [{"path": "/old", "schedule": "0 3 * * *"}],\n    "regions": ["iad1"]\n}\n';
    const out = withCrons(text, app([CLEANUP]));
    expect(out).toBe(
      '{\n    "framework": "nextjs",\n    "crons": [\n        {\n            "path": "/api/admin/cleanup-sessions",\n            "schedule": "0 2 * * *"\n        }\n    ],\n    "regions": ["iad1"]\n}\n',
    );
    expect(JSON.parse(out)).toEqual({ framework: "nextjs", crons: [CLEANUP], regions: ["iad1"] });
  });

  it("appends a block after the last member, in the file's indentation", () => {
    const text = '{\n\t"rewrites": [{ "source": "/a", "destination": "/b" }]\n}';
    const out = withCrons(text, app([CLEANUP]));
    expect(out).toBe('{\n\t"rewrites": [{ "source": "/a", "destination": "/b" }],\n\t"crons": [\n\t\t{\n\t\t\t"path": "/api/admin/cleanup-sessions",\n\t\t\t"schedule": "0 2 * * *"\n\t\t}\n\t]\n}');
  });

  it("keeps a one-line file on one line and CRLF files in CRLF", () => {
    expect(withCrons('{"a": 1}', app([CLEANUP]))).toBe('{"a": 1, "crons": [{"path":"/api/admin/cleanup-sessions","schedule":"0 2 * * *"}]}');
    const crlf = withCrons('{\r\n  "a": 1\r\n}\r\n', app([CLEANUP]));
    expect(crlf.replace(/\r\n/g, "")).not.toContain("\n");
    expect(JSON.parse(crlf)).toEqual({ a: 1, crons: [CLEANUP] });
  });

  it("removes the member when the app declares no crons, wherever it stands", () => {
    expect(withCrons('{\n  "crons": [],\n  "a": 1\n}\n', app([]))).toBe('{\n  "a": 1\n}\n');
    expect(withCrons('{\n  "a": 1,\n  "crons": [{"path": "/x", "schedule": "0 1 * * *"}]\n}\n', app([]))).toBe('{\n  "a": 1\n}\n');
    expect(withCrons('{ "crons": [] }', app([]))).toBe("{}");
    expect(withCrons('{\n  "a": 1\n}\n', app([]))).toBe('{\n  "a": 1\n}\n');
  });

  it("creates a file from nothing", () => {
    expect(withCrons(undefined, app([CLEANUP]))).toBe('{\n  "crons": [\n    {\n      "path": "/api/admin/cleanup-sessions",\n      "schedule": "0 2 * * *"\n    }\n  ]\n}\n');
    expect(withCrons("", app([]))).toBe("{}\n");
  });

  it("is not confused by braces, commas and a crons key inside strings or nested objects", () => {
    const text = '{\n  "headers": [{"source": "/{a,b}", "headers": [{"key": "x", "value": "\\"crons\\": ,"}]}],\n  "nested": {"crons": [1]}\n}\n';
    const out = withCrons(text, app([CLEANUP]));
    const parsed = JSON.parse(out);
    expect(parsed.headers).toEqual(JSON.parse(text).headers);
    expect(parsed.nested).toEqual({ crons: [1] });
    expect(parsed.crons).toEqual([CLEANUP]);
    expect(withCrons(out, app([CLEANUP]))).toBe(out);
  });

  it("refuses a file that is not a JSON object, naming it", () => {
    expect(() => withCrons("{ nope", app([CLEANUP]), "apps/web/vercel.json")).toThrow(VercelJsonError);
    expect(() => withCrons("{ nope", app([CLEANUP]), "apps/web/vercel.json")).toThrow(/apps\/web\/vercel.json is not valid JSON/);
    expect(() => parseVercelJson("[1]")).toThrow(/must hold a JSON object/);
  });
});

describe("cronsDiff", () => {
  it("is empty when the file agrees, and shows removed and added jobs otherwise", () => {
    expect(cronsDiff(JSON.stringify({ crons: [CLEANUP], x: 1 }), app([CLEANUP]))).toEqual([]);
    expect(cronsDiff(JSON.stringify({ x: 1 }), app([]))).toEqual([]);
    expect(cronsDiff(JSON.stringify({ crons: [{ path: "/old", schedule: "0 3 * * *" }] }), app([CLEANUP]))).toEqual([
      '- {"path":"/old","schedule":"0 3 * * *"}',
      '+ {"path":"/api/admin/cleanup-sessions","schedule":"0 2 * * *"}',
    ]);
    expect(cronsDiff(undefined, app([CLEANUP]))).toEqual(['+ {"path":"/api/admin/cleanup-sessions","schedule":"0 2 * * *"}']);
  });

  it("lineDiff keeps common lines", () => {
    expect(lineDiff(["a", "b", "c"], ["a", "c", "d"])).toEqual(["  a", "- b", "  c", "+ d"]);
    expect(lineDiff(["a"], ["a"])).toEqual([]);
  });
});
