/**
 * A Node language host for the Pulumi CLI that `npm run engine` builds, for machines where Pulumi's
 * own `pulumi-language-nodejs` cannot be had: that Go module is not served by the module proxy (it
 * has no release tag, and the proxy refuses its pseudo-versions), unlike the CLI itself.
 *
 * The CLI starts it as a plugin (`pulumi-language-nodejs [-flags] <engine-address>`: the script beside
 * the built CLI, which runs `infra/engine/bin/`'s), reads the port it prints, and calls the
 * LanguageRuntime gRPC service.
 * It runs programs and policy packs with the SDK's own entry points, `@pulumi/pulumi/cmd/run` and
 * `@pulumi/pulumi/cmd/run-policy-pack`, with the arguments and environment Pulumi's host gives them
 * (config as `PULUMI_CONFIG`, secret keys, `PULUMI_NODEJS_TYPESCRIPT`, exit code 32 as "already
 * reported"), so the program meets the engine as it does under the real host. What it leaves out:
 * the monitor proxy and the pipes for synchronous invokes (the program makes none), plugin discovery
 * (it reports no required plugins: the engine tier runs offline) and the code-generation services.
 * A `pulumi` of the same version installed by the user comes with the real host and is preferred.
 */
import { spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
// The SDK's generated gRPC stubs (CommonJS, untyped).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const services = require("@pulumi/pulumi/proto/language_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const language = require("@pulumi/pulumi/proto/language_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const plugin = require("@pulumi/pulumi/proto/plugin_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkVersion: string = require("@pulumi/pulumi/package.json").version;

/** The exit code with which `cmd/run` says it already showed the user an actionable error. */
const EXITED_AFTER_LOGGING = 32;

/** The environment for the processes it starts: its own, without the ts-node settings it was started with. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TS_NODE_")) env[k] = v;
  return { ...env, ...extra };
}

interface ProgramOptions {
  typescript: boolean;
  tsconfig?: string;
  nodeargs: string[];
}

/** `runtime.options` of Pulumi.yaml (typescript defaults to true, as in Pulumi's host). */
function programOptions(info: { getOptions(): { toJavaScript(): Record<string, unknown> } | undefined } | undefined): ProgramOptions {
  const o = info?.getOptions()?.toJavaScript() ?? {};
  return {
    typescript: o.typescript === undefined ? true : o.typescript === true || o.typescript === "true",
    tsconfig: typeof o.tsconfig === "string" ? o.tsconfig : undefined,
    nodeargs: typeof o.nodeargs === "string" ? o.nodeargs.split(/\s+/).filter(Boolean) : [],
  };
}

function optionEnv(opts: ProgramOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (opts.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;
  return env;
}

/** Resolves an SDK entry point from the program's own node_modules, as Pulumi's host does. */
function locate(module: string, programDir: string): string {
  return require.resolve(module, { paths: [programDir] });
}

/** `ns:key` → `ns:config:key`: the form the SDK's config reader accepts from every host version. */
function configJson(config: Map<string, string> | undefined): string {
  const out: Record<string, string> = {};
  for (const [k, v] of config?.entries() ?? []) {
    const i = k.indexOf(":");
    out[i < 0 ? k : `${k.slice(0, i)}:config:${k.slice(i + 1)}`] = v;
  }
  return JSON.stringify(out);
}

export function startLanguageHost(engineAddress: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(services.LanguageRuntimeService, {
    getPluginInfo(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      const info = new plugin.PluginInfo();
      info.setVersion(sdkVersion);
      callback(null, info);
    },
    getRequiredPlugins(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      callback(null, new language.GetRequiredPluginsResponse());
    },
    getRequiredPackages(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      callback(null, new language.GetRequiredPackagesResponse());
    },
    // Pulumi's host sends a `Cancel` to the program on Ctrl-C; here the CLI's own interrupt reaches the
    // program's process group.
    cancel(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      callback(null, new Empty());
    },
    run(call: grpc.ServerUnaryCall<any, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const req = call.request;
      const info = req.getInfo();
      const programDir: string = info?.getProgramDirectory() || req.getPwd();
      const opts = programOptions(info);
      let replied = false;
      const reply = (error: string, bail = false) => {
        if (replied) return;
        replied = true;
        const resp = new language.RunResponse();
        resp.setError(error);
        resp.setBail(bail);
        callback(null, resp);
      };
      let runPath: string;
      try {
        runPath = locate("@pulumi/pulumi/cmd/run", programDir);
      } catch (e) {
        return reply(`cannot find @pulumi/pulumi in ${programDir}: run npm ci (${(e as Error).message})`);
      }
      const args = [...opts.nodeargs, runPath];
      const arg = (k: string, v: string | number | undefined) => {
        if (v !== undefined && v !== "") args.push(`--${k}`, String(v));
      };
      arg("monitor", req.getMonitorAddress());
      arg("engine", engineAddress);
      arg("organization", req.getOrganization());
      arg("project", req.getProject());
      arg("root-directory", info?.getRootDirectory());
      arg("stack", req.getStack());
      arg("pwd", programDir);
      if (req.getDryrun()) args.push("--dry-run");
      arg("parallel", req.getParallel());
      args.push(info?.getEntryPoint() || ".", ...req.getArgsList());
      const child = spawn(process.execPath, args, {
        cwd: programDir,
        stdio: ["ignore", "inherit", "inherit"],
        env: childEnv({
          PULUMI_CONFIG: configJson(req.getConfigMap()),
          PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList() ?? []),
          ...optionEnv(opts),
        }),
      });
      child.on("error", (e) => reply(`Problem executing program (could not run node): ${e.message}`));
      child.on("exit", (code, signal) => {
        if (code === 0) reply("");
        else if (code === EXITED_AFTER_LOGGING) reply("", true);
        else reply(signal ? `Program exited with signal ${signal}` : `Program exited with non-zero exit code: ${code}`);
      });
    },
    /**
     * Policy packs (kind `analyzer`): `cmd/run-policy-pack <engine> <pack dir>` in the pack's directory;
     * its stdout (the port first) and stderr stream back, then its exit code. The engine then sends
     * the stack's config through the analyzer's ConfigureStack call.
     */
    runPlugin(call: grpc.ServerWritableStream<any, unknown>) {
      const req = call.request;
      const info = req.getInfo();
      const dir: string = info?.getProgramDirectory() || req.getPwd();
      const send = (set: (r: any) => void) => {
        const resp = new language.RunPluginResponse();
        set(resp);
        call.write(resp);
      };
      let ended = false;
      const fail = (message: string) => {
        if (ended) return;
        ended = true;
        send((r) => r.setStderr(Buffer.from(message + "\n")));
        send((r) => r.setExitcode(1));
        call.end();
      };
      if (req.getKind() !== "analyzer") return fail(`this language host runs policy packs only, not ${req.getKind()} plugins`);
      let runPath: string;
      try {
        runPath = locate("@pulumi/pulumi/cmd/run-policy-pack", dir);
      } catch {
        return fail(`it looks like the policy pack's dependencies are not installed; run npm ci in ${dir}`);
      }
      const env: Record<string, string> = {};
      for (const kv of req.getEnvList() as string[]) {
        const i = kv.indexOf("=");
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const opts = programOptions(info);
      const child = spawn(process.execPath, [runPath, ...opts.nodeargs, ...req.getArgsList(), dir], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: childEnv({ ...env, ...optionEnv(opts) }),
      });
      child.stdout.on("data", (b: Buffer) => send((r) => r.setStdout(b)));
      child.stderr.on("data", (b: Buffer) => send((r) => r.setStderr(b)));
      child.on("error", (e) => fail(`Problem executing plugin program (could not run node): ${e.message}`));
      child.on("close", (code) => {
        if (ended) return;
        ended = true;
        send((r) => r.setExitcode(code ?? 1));
        call.end();
      });
      call.on("cancelled", () => child.kill());
    },
  });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve({ server, port }))),
  );
}

if (require.main === module) {
  // Flags (`-tracing=…`, `-root=…`) come first; the engine's address is the last plain argument.
  const engineAddress = process.argv.slice(2).filter((a) => !a.startsWith("-")).pop() ?? "";
  if (process.argv.includes("-version") || process.argv.includes("--version")) {
    console.log(sdkVersion);
  } else {
    startLanguageHost(engineAddress).then(
      ({ port }) => process.stdout.write(`${port}\n`),
      (e) => {
        console.error(`pulumi-language-nodejs: cannot serve: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  }
}
