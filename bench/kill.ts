/**
 * Kill bench: how long `rollout kill FEATURE --stack prod --now` takes, as a user runs it (a new
 * process, ts-node and all), from the moment the process is started to the moment the Edge Config write
 * is acknowledged: the local Vercel stand-in (`test/support/vercel-stand-in.ts`, in this process) has
 * answered the PATCH. That is the part of a kill we control; Vercel documents up to 10 s of
 * propagation on top. Target: under 2 s to the acknowledgement.
 *
 * Baselines from the same run, started the same way: `node -r ts-node/register/transpile-only -e 0`
 * (ts-node start-up, the floor of any of our CLIs) and `rollout status --stack prod` (a read-only
 * command of the same CLI), both start to exit. The rounds interleave the three, so a machine that
 * slows down mid-run slows all three.
 *
 * Each measured kill really writes: the stack-file copy and the stand-in's item are reset before it
 * (a second run of the same kill is a no-op by design; that no-op is measured once at the end).
 * Correctness, reported as failures (exit 1): exactly one PATCH per kill (zero for the no-op), the
 * PATCH an upsert of the item with the killed share and the kill record, exit code 0, and the token
 * never in the process's output.
 */
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackConfigFile } from "../infra/config";
import { KILLS_FIELD, liveItemValue, liveShares } from "../infra/rollout/live";
import { startVercelStandIn, type RecordedRequest } from "../test/support/vercel-stand-in";
import type { Bench } from "./index";
import { fmt, median } from "./timing";

const ROOT = path.resolve(__dirname, "..");
const STACK = "prod";
const FEATURE = "metadata-context/enhanced-context";
const STORE = "ecfg_bench";
const RUNS = 5;
const TARGET_MS = 2_000;
/** A child that runs longer than this is killed (and the bench fails with it). */
const CHILD_TIMEOUT_MS = 60_000;
const TS_NODE = ["-r", "ts-node/register/transpile-only"];
const CLI = path.join("infra", "cli", "rollout.ts");

interface ChildRun {
  code: number | null;
  output: string;
  /** `process.hrtime.bigint()` just before the spawn. */
  startedAt: bigint;
  /** Milliseconds from the spawn to the exit. */
  exitMs: number;
}

/** Starts `node -r ts-node/register/transpile-only <args>` in the project root; resolves on exit. */
function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const startedAt = process.hrtime.bigint();
    const child = spawn(process.execPath, [...TS_NODE, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, startedAt, exitMs: Number(process.hrtime.bigint() - startedAt) / 1e6 });
    });
  });
}

/** Nearest-rank percentile (of 5 runs, p90 is the slowest). */
const percentile = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];

/** The environment of the children: ours without any Vercel or rollout variable a user may have set, plus the bench's. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ROLLOUT_") && !k.startsWith("VERCEL_")) env[k] = v;
  return { ...env, ...extra };
}

/**
 * `npm run bench -- kill`: the instant kill's latency as a user meets it (process start to the write
 * acknowledged), against ts-node's own start-up measured in the same run, because most of a kill's
 * time is start-up and module loading, not the two API calls.
 */
export const killBench: Bench = {
  name: "kill",
  description: `rollout kill ${FEATURE} --stack ${STACK} --now as a process: start to the Edge Config write acknowledged (local stand-in), vs ts-node start-up`,
  async run(out) {
    const failures: string[] = [];
    const token = `bench-token-${randomBytes(16).toString("hex")}`;
    // Every answer the stand-in sends, with the moment it was sent.
    const answers: { request: RecordedRequest; status: number; at: bigint }[] = [];
    const vercel = await startVercelStandIn({
      token,
      stores: [STORE],
      onAnswer: (request, status) => answers.push({ request, status, at: process.hrtime.bigint() }),
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bench-kill-"));
    try {
      fs.cpSync(path.join(ROOT, "stacks"), path.join(dir, "stacks"), { recursive: true });
      fs.cpSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      const stackFile = path.join(dir, "stacks", `Pulumi.${STACK}.yaml`);
      const pristine = fs.readFileSync(stackFile, "utf8");
      const config = loadStackConfigFile(STACK, { file: stackFile });
      const item = config.edgeConfig?.item;
      if (!item) throw new Error(`stacks/Pulumi.${STACK}.yaml has no edgeConfig: nothing to kill --now`);
      // What `pulumi up` leaves in the item: every live feature at its stack-file share, no kill recorded.
      const seeded = liveItemValue({ shares: liveShares(config.apps, config.phases), kills: {} });
      const from = seeded[FEATURE];
      if (from === undefined || from === "0") throw new Error(`${FEATURE} is not live and raised on ${STACK} (the item would hold ${JSON.stringify(from)})`);

      const reset = () => {
        fs.writeFileSync(stackFile, pristine);
        vercel.setItem(STORE, item, seeded);
      };
      const killArgs = [CLI, "kill", FEATURE, "--stack", STACK, "--now", "--edge-config-id", STORE, "--reason", "bench", "--cwd", dir];
      const env = childEnv({ VERCEL_API_TOKEN: token, ROLLOUT_VERCEL_API_URL: vercel.url });
      const checkOutput = (label: string, r: ChildRun) => {
        if (r.output.includes(token)) failures.push(`${label}: the token appears in the process output`);
      };

      /** One kill; `expectWrite` false for the no-op. Returns its timings and what the stand-in saw. */
      const kill = async (label: string, expectWrite: boolean) => {
        const first = answers.length;
        const r = await runNode(killArgs, env);
        const seen = answers.slice(first);
        const patches = seen.filter((a) => a.request.method === "PATCH");
        const reads = seen.filter((a) => a.request.method === "GET");
        checkOutput(label, r);
        if (r.code !== 0) failures.push(`${label}: exited ${r.code}:\n${r.output}`);
        const want = expectWrite ? 1 : 0;
        if (patches.length !== want) failures.push(`${label}: ${patches.length} PATCH requests, expected ${want}`);
        for (const p of patches) {
          if (p.status !== 200) failures.push(`${label}: the PATCH was answered ${p.status}`);
          const items = (p.request.body as { items?: { operation?: string; key?: string; value?: Record<string, unknown> }[] } | undefined)?.items ?? [];
          const op = items[0];
          const record = (op?.value?.[KILLS_FIELD] as Record<string, { share?: string; from?: string; reason?: string }> | undefined)?.[FEATURE];
          const ok = items.length === 1 && op.operation === "upsert" && op.key === item && op.value?.[FEATURE] === "0" && record?.share === "0" && record.from === from && record.reason === "bench";
          if (!ok) failures.push(`${label}: the PATCH is not one upsert of ${item} with ${FEATURE} at "0" and its kill record: ${JSON.stringify(p.request.body)}`);
        }
        const stored = vercel.items(STORE)[item] as Record<string, unknown> | undefined;
        if (stored?.[FEATURE] !== "0") failures.push(`${label}: the stand-in's item holds ${FEATURE} at ${JSON.stringify(stored?.[FEATURE])} after the kill`);
        const ackMs = patches.length ? Number(patches[0].at - r.startedAt) / 1e6 : undefined;
        const readMs = reads.length ? Number(reads[0].at - r.startedAt) / 1e6 : undefined;
        const reported = /write acknowledged in (\d+) ms/.exec(r.output);
        return { ackMs, readMs, exitMs: r.exitMs, cliMs: reported ? Number(reported[1]) : undefined, patches: patches.length, reads: reads.length };
      };

      // Warm-up (not measured): the OS file cache for node_modules and the sources.
      reset();
      await kill("warm-up kill", true);
      checkOutput("warm-up ts-node", await runNode(["-e", "0"], env));

      const tsNode: number[] = [];
      const status: number[] = [];
      const kills: Awaited<ReturnType<typeof kill>>[] = [];
      for (let i = 1; i <= RUNS; i++) {
        const t = await runNode(["-e", "0"], env);
        if (t.code !== 0) failures.push(`ts-node start-up run ${i} exited ${t.code}`);
        tsNode.push(t.exitMs);
        const s = await runNode([CLI, "status", "--stack", STACK, "--cwd", dir], env);
        checkOutput(`status run ${i}`, s);
        if (s.code !== 0) failures.push(`status run ${i} exited ${s.code}:\n${s.output}`);
        status.push(s.exitMs);
        reset();
        kills.push(await kill(`kill run ${i}`, true));
      }
      // The same kill again, nothing reset: the item already holds it.
      const noop = await kill("no-op kill", false);

      const acks = kills.map((k) => k.ackMs).filter((x): x is number => x !== undefined);
      const x = acks.length ? median(acks) : NaN;
      const z = median(tsNode);
      const w = median(status);
      const exits = median(kills.map((k) => k.exitMs));
      const cli = kills.map((k) => k.cliMs).filter((v): v is number => v !== undefined);
      out(`Node ${process.version}, ${os.cpus().length} CPUs; stand-in in this process at ${vercel.url}; ${RUNS} rounds (ts-node, status, kill) after a warm-up`);
      out(
        `kill --now: median ${fmt(x)} to ack (${acks.length} runs), p90 ${fmt(percentile(acks, 90))}; ts-node start-up ${fmt(z)}; ratio ${(x / z).toFixed(2)}× (${fmt(x)}/${fmt(z)})`,
      );
      out(`  per run, start → ack: ${acks.map((a) => a.toFixed(0)).join(", ")} ms; start → exit: median ${fmt(exits)}`);
      out(`  inside the process, read → write acknowledged (the CLI's own "write acknowledged in" figure): median ${cli.length ? fmt(median(cli)) : "n/a"}`);
      out(`  rollout status --stack ${STACK}, start → exit: median ${fmt(w)}; kill's ack is ${(x / w).toFixed(2)}× that`);
      out(`  target: under ${fmt(TARGET_MS)} to ack: ${x < TARGET_MS ? "met" : "NOT met"} (Vercel documents up to 10 s of propagation on top)`);
      out(`  requests per kill: ${kills.map((k) => `${k.reads} GET + ${k.patches} PATCH`).join("; ")} (one PATCH each expected)`);
      out(
        `  no-op (the same kill again, item already killed): ${noop.reads} GET + ${noop.patches} PATCH, read answered at ${noop.readMs !== undefined ? fmt(noop.readMs) : "n/a"}, exit at ${fmt(noop.exitMs)}`,
      );
      out(`  token in any process output: ${failures.some((f) => f.includes("token appears")) ? "YES" : "no"}`);
    } finally {
      await vercel.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return { failures };
  },
};
