/**
 * A throwaway, real Prometheus for integration tests (Debian's `prometheus` package, 2.42 in CI; `.ci/run`
 * installs it): each call starts its own server (temp dir, free port) scraping, every second, a small
 * exporter whose series the test controls.
 *
 * ```ts
 * let prom: TestPrometheus;
 * beforeAll(async () => { prom = await startTestPrometheus(); });
 * afterAll(() => prom?.stop());
 *
 * prom.exporter.set("app_error_ratio", { feature: "f" }, 0.02);
 * await prom.waitForValue('app_error_ratio{feature="f"}', (a) => a.data?.result[0]?.value[1] === "0.02");
 * ```
 *
 * Never skips: without `prometheus` on PATH it throws, saying how to install it. A watchdog shell kills
 * the server and removes its temp dir if this process dies without `stop()` (even by SIGKILL: the
 * watchdog's stdin pipe closes), so no server outlives a run.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export type Labels = Record<string, string>;

/** The exporter Prometheus scrapes: `GET /metrics` in the text exposition format, series as the test set them. */
export interface TestExporter {
  /** Base URL, e.g. `http://127.0.0.1:40123` (Prometheus scrapes `<url>/metrics`). */
  url: string;
  /**
   * Adds or changes a series (`NaN`, `±Infinity` allowed). `timestampMs` exposes an explicit sample
   * time (Prometheus then stores that time, and writes no staleness marker when the series goes).
   */
  set(name: string, labels: Labels, value: number, options?: { timestampMs?: number }): void;
  /** Stops exposing a series: at the next scrape Prometheus marks it stale. */
  remove(name: string, labels: Labels): void;
  /** The exposition text as the next scrape will get it. */
  text(): string;
  /** How many times `/metrics` was fetched. */
  scrapes(): number;
  close(): Promise<void>;
}

/** An `/api/v1/query` answer, as parsed JSON. */
export interface PromAnswer {
  status: string;
  data?: { resultType: string; result: { metric: Labels; value: [number, string] }[] };
  errorType?: string;
  error?: string;
}

export interface TestPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:40124` (the API is under `/api/v1`). */
  url: string;
  exporter: TestExporter;
  /**
   * Polls an instant query (at the server's now) until `predicate` holds on the answer, and returns
   * that answer; throws with the last answer after `timeoutMs` (default 15 s). For waiting on the
   * next scrape after an `exporter` change.
   */
  waitForValue(query: string, predicate: (answer: PromAnswer) => boolean, timeoutMs?: number): Promise<PromAnswer>;
  /** Stops the server and the exporter and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value in the exposition format: backslash, double quote and newline escaped. */
const exposeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const exposeValue = (v: number) => (Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v));

function seriesText(name: string, labels: Labels): string {
  if (!METRIC_NAME.test(name)) throw new Error(`not a metric name: ${JSON.stringify(name)}`);
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => {
      if (!LABEL_NAME.test(k)) throw new Error(`not a label name: ${JSON.stringify(k)}`);
      return `${k}="${exposeLabel(labels[k])}"`;
    });
  return pairs.length ? `${name}{${pairs.join(",")}}` : name;
}

/** Starts the exporter on 127.0.0.1, on a free port. */
export async function startTestExporter(): Promise<TestExporter> {
  const series = new Map<string, string>(); // series text → "value[ timestamp]"
  let scrapes = 0;
  const text = () => [...series].map(([s, v]) => `${s} ${v}\n`).join("");
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(text());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    set(name, labels, value, options = {}) {
      series.set(seriesText(name, labels), `${exposeValue(value)}${options.timestampMs !== undefined ? ` ${Math.round(options.timestampMs)}` : ""}`);
    },
    remove: (name, labels) => void series.delete(seriesText(name, labels)),
    text,
    scrapes: () => scrapes,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The path of `prometheus` on PATH; throws, saying how to install it, when there is none. */
function prometheusBinary(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir || ".", "prometheus");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error("prometheus is not on PATH: the Prometheus integration tests need the real server; install it (apt-get install prometheus, as .ci/run does)");
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A shell that kills `pid` and removes `dir` when our end of its stdin closes without "stop" (this process died). */
function watchdog(pid: number, dir: string): ChildProcess {
  const script = 'read -r line; [ "$line" = stop ] || { kill -KILL "$1"; rm -rf "$2"; } 2>/dev/null';
  const guard = spawn("/bin/sh", ["-c", script, "watchdog", String(pid), dir], { stdio: ["pipe", "ignore", "ignore"] });
  guard.stdin!.on("error", () => undefined); // it may be gone already when we say stop
  return guard;
}

/**
 * Starts Prometheus and its exporter; resolves once the API answers and (unless `waitForScrape` is
 * false) the first scrape is queryable, which takes a few seconds (Prometheus applies its targets on a
 * 5 s tick).
 */
export async function startTestPrometheus(opts: { waitForScrape?: boolean } = {}): Promise<TestPrometheus> {
  const binary = prometheusBinary();
  const exporter = await startTestExporter();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-prom-"));
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: exporter",
      "    static_configs:",
      `      - targets: ['${new URL(exporter.url).host}']`,
      "",
    ].join("\n"),
  );

  let child: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child) await terminate(child);
    guard?.stdin?.end("stop\n");
    await exporter.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // A free port can be taken between our probe and Prometheus' bind: then try another.
    let url = "";
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const args = [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--storage.tsdb.retention.time=1h",
        "--query.max-concurrency=4",
        "--log.level=warn",
      ];
      child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.on("error", (e) => (stderr += `\n${e.message}`));
      child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
      if (child.pid === undefined) throw new Error(`cannot run ${binary}`);
      guard = watchdog(child.pid, dir);
      const failure = await untilReady(url, child);
      if (!failure) break;
      await terminate(child);
      guard.stdin?.end("stop\n");
      if (attempt >= 3 || !/address already in use/.test(stderr)) throw new Error(`prometheus did not start: ${failure}\n${stderr}`);
    }

    const waitForValue = async (query: string, predicate: (answer: PromAnswer) => boolean, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: unknown = "(no answer yet)";
      for (;;) {
        try {
          const res = await fetch(`${url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query }), signal: AbortSignal.timeout(5_000) });
          last = await res.json();
          if (predicate(last as PromAnswer)) return last as PromAnswer;
        } catch (e) {
          last = String(e);
        }
        if (Date.now() > deadline) throw new Error(`waitForValue(${query}): not within ${timeoutMs} ms; last answer: ${JSON.stringify(last).slice(0, 500)}`);
        await sleep(200);
      }
    };

    if (opts.waitForScrape !== false) {
      await waitForValue('up{job="exporter"} == 1', (a) => a.data?.result.length === 1, 30_000);
    }
    return { url, exporter, waitForValue, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls `/-/ready` until it answers 200 (undefined) or the process exits or 30 s pass (why not). */
async function untilReady(url: string, child: ChildProcess): Promise<string | undefined> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return `it exited (${child.exitCode ?? child.signalCode})`;
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      await res.text();
      if (res.status === 200) return undefined;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return "/-/ready did not answer 200 within 30 s";
}
