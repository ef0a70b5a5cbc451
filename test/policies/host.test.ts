/**
 * The pack as the Pulumi CLI runs it, minus the CLI: `pulumi preview --policy-pack policies` starts
 * `@pulumi/pulumi/cmd/run-policy-pack` in `policies/` (TypeScript through ts-node), reads the port it
 * prints and talks gRPC to it. This test does the same and sends the engine's requests: the pack's
 * info, a configuration, resources and a stack. It shows what no direct call can: enforcement levels
 * as the engine receives them, unknown values downgraded to advisory, and pack config applied.
 */
import { type ChildProcess, spawn } from "child_process";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPES } from "../../policies/pack";
import { SERVICE_ROLE_JWT } from "./fixtures";
import { POLICIES_DIR, UNKNOWN, requireFromPack, secret, urnOf } from "./harness";
import { appStack } from "./rules/stack-fixtures";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [POLICIES_DIR] }));
const fromPulumi = <T>(id: string): T => requireFromPack<T>(require.resolve(id, { paths: [pulumiDir] }));
const grpc = fromPulumi<any>("@grpc/grpc-js");
const rpc = fromPulumi<any>("@pulumi/pulumi/proto/analyzer_grpc_pb");
const pb = fromPulumi<any>("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = fromPulumi<any>("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi<any>("google-protobuf/google/protobuf/empty_pb");

const LEVEL: Record<number, string> = Object.fromEntries(Object.entries(pb.EnforcementLevel as Record<string, number>).map(([k, v]) => [v, k.toLowerCase()]));

let host: ChildProcess;
let client: any;
let stderr = "";
let startMs = 0;

function call<T>(method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function options(deleteBeforeReplace?: boolean) {
  const o = new pb.AnalyzerResourceOptions();
  if (deleteBeforeReplace !== undefined) {
    o.setDeletebeforereplacedefined(true);
    o.setDeletebeforereplace(deleteBeforeReplace);
  }
  return o;
}

interface Diagnostic {
  policy: string;
  level: string;
  message: string;
  urn: string;
}

function diagnostics(res: any): Diagnostic[] {
  return res
    .getDiagnosticsList()
    .map((d: any) => ({ policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], message: d.getMessage(), urn: d.getUrn() }))
    .sort((a: Diagnostic, b: Diagnostic) => a.policy.localeCompare(b.policy) || a.message.localeCompare(b.message));
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>, deleteBeforeReplace?: boolean) {
  const req = new pb.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(urnOf(type, name));
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(options(deleteBeforeReplace));
  return req;
}

beforeAll(async () => {
  const started = Date.now();
  host = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [pulumiDir] }), "127.0.0.1:1", "."], {
    cwd: POLICIES_DIR,
    stdio: ["ignore", "pipe", "pipe"],
  });
  host.stderr!.on("data", (d) => (stderr += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    host.stdout!.on("data", (d) => {
      out += String(d);
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    host.on("exit", (code) => reject(new Error(`policy host exited (${code}) before printing a port:\n${stderr}`)));
  });
  startMs = Date.now() - started;
  client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  client?.close();
  if (host && host.exitCode === null) host.kill();
});

describe("the policy pack served by Pulumi's policy host", () => {
  it("starts and describes every rule with its enforcement level and config schema", async () => {
    expect(stderr).toBe("");
    // eslint-disable-next-line no-console
    console.log(`policy host ready in ${startMs} ms`);
    const info = await call<any>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("rollout-stack");
    expect(info.getVersion()).toBe("0.1.0");
    const policies = info.getPoliciesList().map((p: any) => [p.getName(), LEVEL[p.getEnforcementlevel()]]);
    expect(policies).toEqual([
      ["cron-secret-from-random-password", "mandatory"],
      ["secret-env-vars-sensitive", "mandatory"],
      ["no-public-secrets", "mandatory"],
      ["env-var-delete-before-replace", "mandatory"],
      ["production-deployment-retained", "mandatory"],
      ["buckets-private", "mandatory"],
      ["crons-need-cron-secret", "mandatory"],
      ["vercel-project-name", "mandatory"],
      ["edge-config-item", "mandatory"],
      ["edge-config-connection-sensitive", "mandatory"],
    ]);
    const bucketSchema = info.getPoliciesList().find((p: any) => p.getName() === "buckets-private").getConfigschema();
    expect(bucketSchema.getProperties().toJavaScript()).toEqual({
      publicBuckets: { type: "array", items: { type: "string" }, description: "Bucket IDs allowed to be public." },
    });
  });

  it("returns no diagnostics for a compliant env var", async () => {
    const res = await call<any>(
      "analyze",
      analyzeRequest(TYPES.envVar, "chat-sessions-env-SUPABASE_SERVICE_ROLE_KEY", { key: "SUPABASE_SERVICE_ROLE_KEY", value: secret(SERVICE_ROLE_JWT), sensitive: true, targets: ["production"], projectId: "prj_1" }, true),
    );
    expect(diagnostics(res)).toEqual([]);
  });

  it("reports violations as mandatory, naming the key and never the secret", async () => {
    const name = "chat-sessions-env-NEXT_PUBLIC_SERVICE_ROLE_KEY";
    const res = await call<any>(
      "analyze",
      analyzeRequest(TYPES.envVar, name, { key: "NEXT_PUBLIC_SERVICE_ROLE_KEY", value: secret(SERVICE_ROLE_JWT), sensitive: false, targets: ["production"], projectId: "prj_1" }),
    );
    const ds = diagnostics(res);
    expect(ds.map((d) => [d.policy, d.level])).toEqual([
      ["env-var-delete-before-replace", "mandatory"],
      ["no-public-secrets", "mandatory"],
      ["no-public-secrets", "mandatory"],
    ]);
    // The server prefixes each message with the policy's description; the engine attaches the resource.
    expect(ds[1].message).toBe(
      "No NEXT_PUBLIC_* env var may carry a secret or a service-role key.\nenv var NEXT_PUBLIC_SERVICE_ROLE_KEY is inlined into the browser bundle (NEXT_PUBLIC_), but its name says it is a service-role key: drop the prefix and read it on the server.",
    );
    expect(JSON.stringify(ds)).not.toContain(SERVICE_ROLE_JWT.split(".")[1]);
  });

  it("downgrades a value unknown during preview to advisory instead of failing", async () => {
    const res = await call<any>("analyze", analyzeRequest(TYPES.deployment, "chat-sessions-production", { production: UNKNOWN.boolean, projectId: "prj_1", ref: "main" }));
    expect(diagnostics(res)).toEqual([
      {
        policy: "production-deployment-retained",
        level: "advisory",
        message: "can't run policy 'production-deployment-retained' from policy pack 'rollout-stack@v0.1.0' during preview: boolean value at .production can't be known during preview",
        urn: "",
      },
    ]);
  });

  it("checks a whole stack: CRON_SECRET links and crons, with per-property dependencies", async () => {
    const stack = appStack({ password: { length: 16 } });
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(
      stack.map((r) => {
        const res = new pb.AnalyzerResource();
        res.setType(r.type);
        res.setName(r.name);
        res.setUrn(urnOf(r.type, r.name));
        res.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
        res.setOptions(options(r.type === TYPES.envVar ? true : undefined));
        if (r.parent) res.setParent(urnOf(stack.find((p) => p.name === r.parent)!.type, r.parent));
        const urnOfName = (n: string) => urnOf(stack.find((p) => p.name === n)!.type, n);
        res.setDependenciesList((r.dependencies ?? []).map(urnOfName));
        for (const [k, names] of Object.entries(r.propertyDependencies ?? {})) {
          const deps = new pb.AnalyzerPropertyDependencies();
          deps.setUrnsList(names.map(urnOfName));
          res.getPropertydependenciesMap().set(k, deps);
        }
        return res;
      }),
    );
    expect(diagnostics(await call<any>("analyzeStack", req))).toEqual([
      {
        policy: "cron-secret-from-random-password",
        level: "mandatory",
        message:
          "CRON_SECRET must come from a random.RandomPassword of length >= 32 without special characters.\nRandomPassword chat-sessions-cron-secret (CRON_SECRET of chat-sessions-env-CRON_SECRET) has length 16: use at least 32.",
        urn: urnOf(TYPES.randomPassword, "chat-sessions-cron-secret"),
      },
    ]);
  });

  it("applies the pack config: allow-listed public buckets and per-policy enforcement levels", async () => {
    const publicAvatars = analyzeRequest(TYPES.bucket, "app-bucket-avatars", { bucketId: "avatars", public: true });
    expect(diagnostics(await call<any>("analyze", publicAvatars)).map((d) => [d.policy, d.level])).toEqual([["buckets-private", "mandatory"]]);

    const configure = (config: Record<string, [number, Record<string, unknown>]>) => {
      const req = new pb.ConfigureAnalyzerRequest();
      for (const [policy, [level, props]] of Object.entries(config)) {
        const pc = new pb.PolicyConfig();
        pc.setEnforcementlevel(level);
        pc.setProperties(Struct.fromJavaScript(props));
        req.getPolicyconfigMap().set(policy, pc);
      }
      return call<unknown>("configure", req);
    };
    await configure({ "buckets-private": [pb.EnforcementLevel.MANDATORY, { publicBuckets: ["avatars"] }] });
    expect(diagnostics(await call<any>("analyze", publicAvatars))).toEqual([]);
    const publicOther = analyzeRequest(TYPES.bucket, "app-bucket-exports", { bucketId: "exports", public: true });
    expect(diagnostics(await call<any>("analyze", publicOther)).map((d) => [d.policy, d.level])).toEqual([["buckets-private", "mandatory"]]);

    await configure({ "buckets-private": [pb.EnforcementLevel.ADVISORY, {}] });
    expect(diagnostics(await call<any>("analyze", publicAvatars)).map((d) => [d.policy, d.level])).toEqual([["buckets-private", "advisory"]]);
    await configure({});
  });
});
