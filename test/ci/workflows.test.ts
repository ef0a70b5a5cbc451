/**
 * The CI workflows parse, call only npm scripts that exist, and keep the properties the design relies
 * on: fork PRs get no secrets, the commenter never runs PR code, prod waits for an approval, and every
 * `pulumi up` runs after `rollout verify` and with the policy pack.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { CATALOG } from "../../infra/apps";
import { databaseUrlEnvName, deprecatedDatabaseUrlEnvName } from "../../infra/rollout/gates";

const ROOT = path.resolve(__dirname, "../..");
const GITHUB = path.join(ROOT, ".github");

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; shell?: string };
type Job = { name?: string; if?: string; needs?: string | string[]; "runs-on"?: string; environment?: string; permissions?: Record<string, string>; env?: Record<string, string>; steps: Step[] };
type Workflow = { name: string; on: Record<string, unknown>; permissions?: Record<string, string>; env?: Record<string, string>; jobs: Record<string, Job> };
type Action = { name: string; inputs?: Record<string, unknown>; runs: { using: string; steps: Step[] } };

function load<T>(file: string): T {
  const doc = parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) throw new Error(`${file}: ${[...doc.errors, ...doc.warnings].map((e) => e.message).join("\n")}`);
  return doc.toJS() as T;
}

const workflowFiles = fs.readdirSync(path.join(GITHUB, "workflows")).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = Object.fromEntries(workflowFiles.map((f) => [f, load<Workflow>(path.join(GITHUB, "workflows", f))]));
const actionFiles = fs.existsSync(path.join(GITHUB, "actions")) ? fs.readdirSync(path.join(GITHUB, "actions")).map((d) => path.join("actions", d, "action.yml")) : [];
const actions = Object.fromEntries(actionFiles.map((f) => [f, load<Action>(path.join(GITHUB, f))]));

/** Every step, with where it is. */
const allSteps: { where: string; step: Step }[] = [
  ...Object.entries(workflows).flatMap(([f, w]) => Object.entries(w.jobs).flatMap(([id, j]) => j.steps.map((step) => ({ where: `${f} ${id}`, step })))),
  ...Object.entries(actions).flatMap(([f, a]) => a.runs.steps.map((step) => ({ where: f, step }))),
];

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; dependencies: Record<string, string> };
const policiesPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8")) as { scripts?: Record<string, string> };

/** npm flags that take a value (the next word, unless written `--flag=value`). */
const NPM_VALUE_FLAGS = new Set(["--prefix", "-w", "--workspace", "-C"]);

/** `npm run [flags] NAME` (and `npm run-script`), with the package it runs in. */
function npmRuns(script: string): { name: string; prefix?: string }[] {
  const out: { name: string; prefix?: string }[] = [];
  for (const command of script.split(/&&|\|\||[;|\n]/)) {
    const words = command.trim().split(/\s+/).map((w) => w.replace(/^["']|["']$/g, ""));
    const at = words.findIndex((w, i) => w === "npm" && (words[i + 1] === "run" || words[i + 1] === "run-script"));
    if (at < 0) continue;
    let prefix: string | undefined;
    for (let i = at + 2; i < words.length; i++) {
      const w = words[i];
      if (w === "--") break;
      if (w.startsWith("-")) {
        const [flag, inline] = w.split("=", 2);
        const value = NPM_VALUE_FLAGS.has(flag) ? (inline ?? words[++i]) : undefined;
        if (flag === "--prefix" || flag === "-C") prefix = value;
        continue;
      }
      out.push({ name: w, ...(prefix ? { prefix } : {}) });
      break;
    }
  }
  return out;
}

describe("workflow files", () => {
  it("are the five the project needs, and each parses with jobs that have steps", () => {
    expect(workflowFiles).toEqual(["deploy.yml", "mutation.yml", "plan-comment.yml", "pull-request.yml", "rollout-watch.yml"]);
    for (const [f, w] of Object.entries(workflows)) {
      expect(w.name, f).toBeTruthy();
      expect(Object.keys(w.on ?? {}).length, f).toBeGreaterThan(0);
      for (const [id, job] of Object.entries(w.jobs)) {
        expect(job["runs-on"], `${f} ${id}`).toBe("ubuntu-latest");
        expect(job.steps.length, `${f} ${id}`).toBeGreaterThan(0);
      }
    }
    for (const { where, step } of allSteps) expect(Number(step.run !== undefined) + Number(step.uses !== undefined), where).toBe(1);
  });

  it("call only npm scripts that exist in package.json", () => {
    const used = allSteps.flatMap(({ where, step }) => npmRuns(step.run ?? "").map((r) => ({ ...r, where })));
    for (const { name, prefix, where } of used) {
      const scripts = prefix === "policies" ? (policiesPkg.scripts ?? {}) : pkg.scripts;
      expect(prefix === undefined || prefix === "policies", `${where}: npm --prefix ${prefix}`).toBe(true);
      expect(Object.keys(scripts), `${where}: npm run ${name}`).toContain(name);
    }
    // The check above is not vacuous: the workflows run the tools the design names.
    expect([...new Set(used.map((u) => u.name))].sort()).toEqual(["mutation", "plan", "rollout"]);
    expect(allSteps.some(({ step }) => /^npm test$/m.test(step.run ?? ""))).toBe(true);
  });

  it("recognise npm run forms", () => {
    expect(npmRuns('npm run --silent plan -- --stack "$STACK" --format md')).toEqual([{ name: "plan" }]);
    expect(npmRuns("npm run rollout -- verify")).toEqual([{ name: "rollout" }]);
    expect(npmRuns("npm run --prefix policies build && npm run-script bench")).toEqual([{ name: "build", prefix: "policies" }, { name: "bench" }]);
    expect(npmRuns("npm ci --prefix policies && npm test")).toEqual([]);
  });

  it("use versioned actions, and local actions that exist", () => {
    for (const { where, step } of allSteps) {
      if (step.uses === undefined) continue;
      if (step.uses.startsWith("./")) expect(fs.existsSync(path.join(ROOT, step.uses, "action.yml")), `${where}: ${step.uses}`).toBe(true);
      else expect(step.uses, where).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+(\/[a-z0-9-]+)*@(v\d+|[0-9a-f]{40})$/);
    }
  });

  it("never expand ${{ }} inside shell or script bodies (values reach them through env)", () => {
    for (const { where, step } of allSteps) {
      expect(step.run ?? "", where).not.toContain("${{");
      expect(String(step.with?.script ?? ""), where).not.toContain("${{");
    }
  });

  it("pin the Pulumi CLI to the SDK's release and point at the policy pack", () => {
    for (const f of ["pull-request.yml", "deploy.yml"]) expect(workflows[f].env?.PULUMI_CLI_VERSION, f).toBe(pkg.dependencies["@pulumi/pulumi"]);
    const pulumiSteps = allSteps.filter(({ step }) => step.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.map(({ step }) => step.with?.command).sort()).toEqual(["preview", "up"]);
    for (const { where, step } of pulumiSteps) {
      expect(step.uses, where).toBe("pulumi/actions@v7");
      expect(step.with?.policyPacks, where).toBe("./policies");
      expect(String(step.with?.diff), where).toBe("true");
    }
    expect(fs.existsSync(path.join(ROOT, "policies", "PulumiPolicy.yaml"))).toBe(true);
  });
});

describe("pull-request.yml", () => {
  const w = workflows["pull-request.yml"];

  it("runs on pull_request (never pull_request_target) with a read-only token", () => {
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect(w.permissions).toEqual({ contents: "read" });
  });

  it("runs npm ci and npm test, rollout verify per changed stack and the offline plan, uploaded as an artifact", () => {
    const runs = (job: string) => w.jobs[job].steps.map((s) => s.run ?? s.uses ?? "").join("\n");
    expect(runs("test")).toMatch(/npm ci[\s\S]*npm test/);
    expect(runs("changes")).toContain(".github/scripts/changed-stacks.sh");
    // No database on a PR (forks get no secrets): sql gates are skipped here and run before `pulumi up`.
    expect(runs("verify")).toContain('npm run rollout -- verify --stack "$STACK" --base "$BASE_SHA" --skip-sql-gates');
    expect(runs("plan")).toContain('npm run --silent plan -- --stack "$STACK" --base "$BASE_SHA" --format md');
    expect(runs("plan")).toContain("actions/upload-artifact@v4");
    expect(w.env?.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
  });

  it("gives secrets only to the same-repository preview job, which comments through pulumi/actions", () => {
    for (const [id, job] of Object.entries(w.jobs)) {
      const usesSecrets = JSON.stringify(job).includes("secrets.");
      expect(usesSecrets, id).toBe(id === "preview");
    }
    const preview = w.jobs.preview;
    expect(preview.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const pulumi = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions"))!;
    expect(pulumi.with).toMatchObject({ command: "preview", "comment-on-pr": true, diff: true });
  });
});

describe("plan-comment.yml", () => {
  const w = workflows["plan-comment.yml"];
  const checkouts = Object.entries(w.jobs).flatMap(([id, j]) => j.steps.filter((s) => s.uses?.startsWith("actions/checkout")).map((s) => ({ id, step: s })));

  it("comments from a workflow_run of the PR workflow and never checks out or runs PR code", () => {
    expect(w.on).toEqual({ workflow_run: { workflows: [workflows["pull-request.yml"].name], types: ["completed"] } });
    expect(w.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    // Two checkouts, both of reviewed code: the PR's base commit (as the API reports it, not the
    // artifact) for the counts, and the default branch (no ref) for the merge script.
    expect(checkouts.map(({ id, step }) => [id, step.with?.ref])).toEqual([
      ["reach", "${{ needs.pr.outputs.base }}"],
      ["comment", undefined],
    ]);
    const pr = String(w.jobs.pr.steps.find((s) => s.uses?.startsWith("actions/github-script"))!.with!.script);
    expect(pr).toContain('core.setOutput("base", pr.base.sha)');
    // The head is fetched as objects and named only as data (`--head`); nothing runs but the base's own npm scripts.
    const runs = Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")).join("\n");
    expect(runs).toContain('git fetch --no-tags origin "+refs/pull/${PR_NUMBER}/head:refs/rollout/pr-head"');
    expect(runs).not.toMatch(/git (checkout|switch|reset|merge)|HEAD_SHA[^\n]*(checkout|worktree)/);
    expect(runs.match(/npm run[^\n]*/g)).toEqual(['npm run -s rollout -- exposure --stack "$STACK" --base "$BASE_SHA" --head "$HEAD_SHA" > "reach/$STACK.md"']);
    expect(runs).not.toMatch(/\bbash\s+plans|node\s+plans/);
  });

  it("checks the artifact's PR against the run's head commit before counting and again before posting", () => {
    for (const job of ["pr", "comment"]) {
      const step = w.jobs[job].steps.find((s) => s.uses?.startsWith("actions/github-script"))!;
      expect(String(step.with!.script), job).toContain("pr.head.sha !== headSha");
      expect(step.env!.HEAD_SHA, job).toBe("${{ github.event.workflow_run.head_sha }}");
    }
    expect(String(w.jobs.pr.steps.find((s) => s.uses?.startsWith("actions/github-script"))!.with!.script)).toContain("!shas.has(headSha)");
  });

  it("gives the count read-only URLs for every catalog database, for branches of this repository only", () => {
    const job = w.jobs.reach;
    expect(job.environment).toBe("reach-${{ matrix.stack }}");
    expect(job.permissions).toEqual({ contents: "read" });
    const databases = [...new Set(CATALOG.flatMap((a) => (a.database ? [a.database.name] : [])))].sort();
    const urls = Object.keys(job.env ?? {}).filter((k) => k.startsWith("ROLLOUT_GATES_DATABASE_URL_"));
    expect(urls.sort()).toEqual(databases.map(databaseUrlEnvName).sort());
    for (const k of urls) expect(job.env![k]).toBe(`\${{ needs.pr.outputs.same_repo == 'true' && secrets.${k} || '' }}`);
    // No other job holds a database URL.
    for (const [id, j] of Object.entries(w.jobs)) if (id !== "reach") expect(JSON.stringify(j), id).not.toContain("DATABASE_URL");
  });

  it("posts after the counts whether or not they worked, replacing the plan's reach sections with the trusted ones", () => {
    expect(w.jobs.comment.needs).toEqual(["pr", "reach"]);
    expect(w.jobs.comment.if).toMatch(/^always\(\) && needs\.pr\.result == 'success'/);
    const script = String(w.jobs.comment.steps.find((s) => s.uses?.startsWith("actions/github-script"))!.with!.script);
    expect(script).toContain('require(path.resolve(".github/scripts/merge-reach.cjs"))');
    expect(script).toContain("mergeReach(md, stack, read(path.join(\"reach\", `reach-${stack}`, `${stack}.md`)))");
    expect(w.jobs.reach.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))!.with).toMatchObject({ name: "reach-${{ matrix.stack }}", path: "reach/" });
  });
});

describe("deploy.yml", () => {
  const w = workflows["deploy.yml"];
  const deploySteps = actions["actions/deploy-stack/action.yml"].runs.steps;

  it("runs on push to main, one run at a time, never cancelling a deploy", () => {
    expect(w.on).toEqual({ push: { branches: ["main"] } });
    expect(w).toMatchObject({ concurrency: { group: "deploy", "cancel-in-progress": false } });
  });

  it("deploys prod last, behind the production environment, only after the other stacks succeeded", () => {
    const prod = w.jobs["deploy-prod"];
    expect(prod.environment).toBe("production");
    expect(prod.needs).toEqual(["changes", "deploy"]);
    expect(prod.if).toContain("needs.deploy.result == 'success' || needs.deploy.result == 'skipped'");
    expect(w.jobs.deploy.environment).toBe("${{ matrix.stack }}");
    // The matrix never holds prod or local (changed-stacks.sh puts them elsewhere).
    expect(JSON.stringify(w.jobs.deploy.steps)).toContain("fromJSON(needs.changes.outputs.bases)[matrix.stack]");
  });

  it("gives the verify before pulumi up a database URL for every catalog database, and never skips sql gates", () => {
    const databases = [...new Set(CATALOG.flatMap((a) => (a.database ? [a.database.name] : [])))].sort();
    expect(databases.length).toBeGreaterThan(0);
    for (const job of ["deploy", "deploy-prod"]) {
      const env = Object.keys(w.jobs[job].env ?? {});
      const urls = env.filter((k) => k.startsWith("ROLLOUT_GATES_DATABASE_URL_"));
      expect(urls.sort(), job).toEqual(databases.map(databaseUrlEnvName).sort());
      // The old names too, for one release: rollout reads them only when the new one is empty, and says so.
      const old = env.filter((k) => k.startsWith("ROLLOUT_DATABASE_URL_"));
      expect(old.sort(), job).toEqual(databases.map(deprecatedDatabaseUrlEnvName).sort());
      for (const k of [...urls, ...old]) expect(w.jobs[job].env![k]).toBe(`\${{ secrets.${k} }}`);
    }
    expect(JSON.stringify(deploySteps)).not.toContain("--skip-sql-gates");
  });

  it("gives pulumi up the provider credentials: Vercel, and the Supabase Management API for Data API exposure", () => {
    for (const job of ["deploy", "deploy-prod"]) {
      for (const k of ["VERCEL_API_TOKEN", "SUPABASE_ACCESS_TOKEN"]) expect(w.jobs[job].env?.[k], `${job} ${k}`).toBe(`\${{ secrets.${k} }}`);
    }
  });

  it("runs rollout verify right before pulumi up, then records the deployed commit", () => {
    const order = deploySteps.map((s) => (s.run?.includes("npm run rollout -- verify") ? "verify" : s.uses?.startsWith("pulumi/actions") ? "up" : s.run?.includes("deployed/") ? "tag" : "other"));
    expect(order.filter((s) => s !== "other")).toEqual(["verify", "up", "tag"]);
    expect(order.indexOf("up")).toBe(order.indexOf("verify") + 1);
    for (const job of ["deploy", "deploy-prod"]) {
      expect(w.jobs[job].steps.map((s) => s.uses)).toEqual(["actions/checkout@v4", "./.github/actions/deploy-stack"]);
    }
  });
});

describe("rollout-watch.yml", () => {
  const w = workflows["rollout-watch.yml"];
  const job = w.jobs.watch;
  const runs = job.steps.map((s) => s.run ?? "").join("\n");

  it("runs on a 5-minute schedule (and by hand), with a read-only default token", () => {
    expect(w.on).toEqual({ schedule: [{ cron: "*/5 * * * *" }], workflow_dispatch: {} });
    expect(w.permissions).toEqual({ contents: "read" });
  });

  it("watches every cloud stack in an environment without required reviewers, one run per stack at a time", () => {
    const stacks = fs.readdirSync(path.join(ROOT, "stacks")).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s && s !== "local");
    expect(((job as unknown as { strategy: { matrix: { stack: string[] } } }).strategy.matrix.stack).slice().sort()).toEqual(stacks.sort());
    expect(job.environment).toBe("watch-${{ matrix.stack }}");
    expect(job).toMatchObject({ concurrency: { group: "rollout-watch-${{ matrix.stack }}", "cancel-in-progress": false } });
  });

  it("gives the verify before pulumi up and the watch the Prometheus settings, from secrets", () => {
    const PROMETHEUS = ["ROLLOUT_PROMETHEUS_URL", "ROLLOUT_PROMETHEUS_TOKEN", "ROLLOUT_PROMETHEUS_USER", "ROLLOUT_PROMETHEUS_PASSWORD", "ROLLOUT_PROMETHEUS_HEADERS"];
    const deploy = workflows["deploy.yml"];
    for (const env of [deploy.jobs.deploy.env ?? {}, deploy.jobs["deploy-prod"].env ?? {}, job.env ?? {}]) {
      for (const k of PROMETHEUS) expect(env[k], k).toBe(`\${{ secrets.${k} }}`);
    }
  });

  it("gives the watch a read-only URL for every catalog database, the Vercel token and the store", () => {
    const databases = [...new Set(CATALOG.flatMap((a) => (a.database ? [a.database.name] : [])))];
    const env = job.env ?? {};
    for (const k of [...databases.map(databaseUrlEnvName), "VERCEL_API_TOKEN", "ROLLOUT_EDGE_CONFIG_ID"]) expect(env[k], k).toBe(`\${{ secrets.${k} }}`);
  });

  it("pushes and opens pull requests with a token that starts workflows, not the default GITHUB_TOKEN", () => {
    expect(job.steps[0]).toMatchObject({ uses: "actions/checkout@v4", with: { "fetch-depth": 0, token: "${{ secrets.ROLLOUT_BOT_TOKEN }}" } });
    expect(job.env?.GH_TOKEN).toBe("${{ secrets.ROLLOUT_BOT_TOKEN }}");
    expect(JSON.stringify(w)).not.toContain("secrets.GITHUB_TOKEN");
  });

  it("fetches the kill branches before watching, watches with --json, then publishes the branches", () => {
    const order = job.steps.map((s) => (s.run?.includes("refs/heads/rollout-kill/*") ? "fetch" : s.run?.includes("npm run -s rollout -- watch --stack") ? "watch" : s.run?.includes("push-kill-branches.sh") ? "push" : "other"));
    expect(order.filter((s) => s !== "other")).toEqual(["fetch", "watch", "push"]);
    expect(runs).toContain("--json > watch.json");
    expect(fs.existsSync(path.join(ROOT, ".github/scripts/push-kill-branches.sh"))).toBe(true);
  });
});

describe("mutation.yml", () => {
  const w = workflows["mutation.yml"];
  const steps = w.jobs.mutation.steps;

  it("runs weekly (and by hand), never on a push or pull request, with a read-only token and no secrets", () => {
    expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const crons = (w.on.schedule as { cron: string }[]).map((c) => c.cron);
    expect(crons).toHaveLength(1);
    // One run a week: a fixed minute, hour and day of week, every day of the month and month.
    expect(crons[0]).toMatch(/^\d+ \d+ \* \* [0-6]$/);
    expect(w.permissions).toEqual({ contents: "read" });
    expect(fs.readFileSync(path.join(GITHUB, "workflows", "mutation.yml"), "utf8")).not.toContain("secrets.");
  });

  it("runs npm run mutation between restoring and saving Stryker's incremental results, and uploads the reports even when it fails", () => {
    const at = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const restore = at((s) => s.uses?.startsWith("actions/cache/restore@") ?? false);
    const run = at((s) => s.run === "npm run mutation");
    const save = at((s) => s.uses?.startsWith("actions/cache/save@") ?? false);
    const upload = at((s) => s.uses?.startsWith("actions/upload-artifact@") ?? false);
    expect(restore).toBeGreaterThan(-1);
    expect([restore < run, run < save, run < upload]).toEqual([true, true, true]);
    expect(steps[restore].with?.path).toBe("reports/stryker-incremental-*.json");
    expect(steps[save].with?.path).toBe("reports/stryker-incremental-*.json");
    expect([steps[save].if, steps[upload].if]).toEqual(["always()", "always()"]);
    expect(steps[upload].with?.path).toBe("reports/mutation/");
  });

  it("is not part of .ci/run or npm test (too slow for every change)", () => {
    expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8")).not.toMatch(/mutation|stryker/);
    expect(pkg.scripts.test).not.toMatch(/mutation|stryker/);
  });
});
