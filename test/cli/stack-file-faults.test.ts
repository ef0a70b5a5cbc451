/**
 * Hostile stack files through the real CLIs (`rollout status`, `crons --check`, `plan`, `plan --base`):
 * each exits 1 with a message naming the file and line (or the key), never with a stack trace, and
 * never printing a value of the broken file. The fault classes are the table of `test/stack-file.test.ts`.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as crons } from "../../infra/cli/crons";
import { planRepo, REGISTER, type PlanRepo } from "../plan/fixture";
import { captureIo } from "../support/io";
import { FAULTS, SENTINELS, type Fault } from "../support/stack-file-faults";

const DEV = "stacks/Pulumi.dev.yaml";
const NUMBERS = ["9007199254740993", "9007199254740992"];

let repo: PlanRepo;
let base: string;
beforeAll(() => {
  repo = planRepo();
  base = repo.commit("base: the project as checked in");
});
afterAll(() => repo?.cleanup());

function writeRaw(rel: string, content: string | Buffer): void {
  fs.writeFileSync(path.join(repo.dir, rel), content);
}

/** Runs one of the repository copy's CLIs in it, as `npm run <cli>` does. */
function cli(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", REGISTER, path.join(repo.dir, "infra/cli", script), ...args], {
      cwd: repo.dir,
      env: { ...process.env, TS_NODE_PROJECT: path.join(repo.dir, "tsconfig.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** What every failure must look like: a clear reason, no trace, no value of the file. */
function expectCleanFailure(output: string, fault: Fault, file = DEV): void {
  expect(output).toContain("config problem");
  expect(output).not.toMatch(/unexpected error|\n\s+at .+:\d+:\d+\)?\n/);
  for (const s of [...SENTINELS, ...NUMBERS]) expect(output).not.toContain(s);
  if (fault.level === "file") expect(output).toContain(fault.line === undefined ? `${file}: ` : `${file}:${fault.line}`);
  else expect(output).toContain(`${fault.key}: `);
}

describe("rollout status on a hostile stack file", () => {
  it("every fault class: exit 1, the file and line (or key), no trace, no value", async () => {
    const dirs: string[] = [];
    // One copy of the stacks per fault, so that the runs can go two at a time.
    const runs = FAULTS.map((fault, i) => {
      const dir = fs.mkdtempSync(path.join(repo.dir, "..", `faults-${i}-`));
      dirs.push(dir);
      fs.mkdirSync(path.join(dir, "stacks"));
      fs.writeFileSync(path.join(dir, DEV), fault.text());
      return { fault, dir };
    });
    try {
      for (let i = 0; i < runs.length; i += 2) {
        const batch = runs.slice(i, i + 2);
        const results = await Promise.all(batch.map(({ dir }) => cli("rollout.ts", ["status", "--stack", "dev", "--cwd", dir])));
        results.forEach((r, j) => {
          const { fault } = batch[j];
          expect(r.code, `${fault.name}\n${r.output}`).toBe(1);
          expectCleanFailure(r.output, fault);
        });
      }
    } finally {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("crons --check with a hostile stack file among the stacks", () => {
  /** The fault's file as another stack (`zz`) that does not mention analy-ticket. */
  const asOtherStack = (fault: Fault) => {
    const text = fault.text();
    return typeof text === "string" ? text.replaceAll("analy-ticket", "analy-tixket") : Buffer.from(text.toString("latin1").replaceAll("analy-ticket", "analy-tixket"), "latin1");
  };

  it.each(FAULTS.map((f) => [f.name, f] as const))("%s: fails the apps it may manage, not the others", async (_name, fault) => {
    const root = fs.mkdtempSync(path.join(repo.dir, "..", "crons-root-"));
    try {
      fs.cpSync(path.join(repo.dir, "stacks"), path.join(root, "stacks"), { recursive: true });
      const content = asOtherStack(fault);
      fs.writeFileSync(path.join(root, "stacks/Pulumi.zz.yaml"), content);
      const mentionsChat = content.includes("chat-sessions");

      const other = captureIo({ cwd: root });
      expect(await crons(["--app", "analy-ticket", "--check", "vercel.json"], other.io, { root }), other.all()).toBe(0);
      expect(other.err.join("\n")).toContain('stack "zz" is not valid and does not manage analy-ticket, so it was skipped');

      const own = captureIo({ cwd: root });
      const code = await crons(["--app", "chat-sessions", "--check", "vercel.json"], own.io, { root });
      if (mentionsChat) {
        expect(code, own.all()).toBe(1);
        expectCleanFailure(own.all(), fault, path.join(root, "stacks/Pulumi.zz.yaml"));
      } else {
        // A file that names no app cannot manage chat-sessions: skipped too (its vercel.json is missing: 1).
        expect(own.all()).toContain('stack "zz" is not valid and does not manage chat-sessions');
        expect(own.all()).not.toContain("config problem");
        expect(code).toBe(1);
      }
      for (const s of [...SENTINELS, ...NUMBERS]) expect(other.all() + own.all()).not.toContain(s);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("as a user runs it: exit 0 for an app the broken stack does not manage, 1 with the reason for one it does", async () => {
    const fault = FAULTS.find((f) => f.name === "unterminated quote in a secure value")!;
    writeRaw("stacks/Pulumi.zz.yaml", asOtherStack(fault));
    try {
      const other = await cli("crons.ts", ["--app", "analy-ticket", "--check", "vercel.json"]);
      expect(other.code, other.output).toBe(0);
      expect(other.output).toContain("crons match analy-ticket");
      const own = await cli("crons.ts", ["--app", "chat-sessions", "--check", "vercel.json"]);
      expect(own.code, own.output).toBe(1);
      expectCleanFailure(own.output, fault, "stacks/Pulumi.zz.yaml");
      for (const s of SENTINELS) expect(other.output).not.toContain(s);
    } finally {
      repo.restore(base);
    }
  }, 120_000);
});

describe("plan on a hostile stack file", () => {
  const byName = (name: string) => FAULTS.find((f) => f.name === name)!;

  // A few classes only: each plan run renders in a child process (the rest are covered in-process).
  it.each(["unterminated quote in a secure value", "alias bomb", "productionBranch with a NUL"])(
    "head: %s: exit 1, the reason on stderr, nothing on stdout",
    (name) => {
      const fault = byName(name);
      writeRaw(DEV, fault.text());
      try {
        const run = repo.plan(["--stack", "dev"]);
        expect(run.code, run.stderr).toBe(1);
        expect(run.stdout).toBe("");
        expectCleanFailure(run.stderr, fault);
      } finally {
        repo.restore(base);
      }
    },
    240_000,
  );

  it.each(["unterminated quote in a secure value", "two documents"])(
    "--base with a broken base: %s: exit 1 saying the base cannot be read, not everything added",
    (name) => {
      const fault = byName(name);
      writeRaw(DEV, fault.text());
      const broken = repo.commit(`a broken base: ${name}`);
      repo.git(["reset", "-q", "--hard", base]);
      try {
        const run = repo.plan(["--stack", "dev", "--base", broken]);
        expect(run.code, run.stderr).toBe(1);
        expect(run.stdout).toBe("");
        expect(run.stderr).toContain(`the base ${broken} has a stack file that cannot be read`);
        expectCleanFailure(run.stderr, fault, `${DEV}@${broken}`);
        // The worktree of the base is gone.
        expect(spawnSync("git", ["worktree", "list"], { cwd: repo.dir, encoding: "utf8" }).stdout.trim().split("\n")).toHaveLength(1);
      } finally {
        repo.git(["reset", "-q", "--hard", base]);
      }
    },
    240_000,
  );
});
