/**
 * Prints the serialized provider (`__provider`) of each of our dynamic resource types, as the Pulumi
 * program would store it: the resources are constructed under mocks in THIS process, which runs with
 * ts-node as the Pulumi host runs the program (not vitest). Usage:
 *   node -r ts-node/register/transpile-only test/supabase/resources/serialize-providers.ts > providers.json
 */
import * as pulumi from "@pulumi/pulumi";

async function main(): Promise<void> {
  const providers: Record<string, string> = {};
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (typeof args.inputs.__provider === "string") providers[args.type] = args.inputs.__provider;
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call() {
        throw new Error("no invokes expected");
      },
    },
    "rollout-stack",
    "test",
    false,
  );
  const r = await import("../../../infra/supabase/resources");
  const database = "db";
  await pulumi.runtime.runInPulumiStack(async () => {
    new r.Migrations("m", { database, dir: "migrations/db", files: [] });
    new r.Schema("s", { database, name: "s", exposed: false, grants: {} });
    new r.Bucket("b", { database, bucketId: "b", name: "b", public: false, fileSizeLimit: null, allowedMimeTypes: null });
    new r.RlsPolicy("p", { database, name: "p", schema: "s", table: "t", command: "select", roles: ["authenticated"], using: "true", withCheck: null, statement: "" });
    new r.ManagedSql("q", { database, name: "q", schema: "q", sql: "select 1", version: "1" });
    new r.Checks("c", { database, exposedSchemas: [], checks: [], declaration: "" });
    new r.DataApiExposure("d", { projectRef: "abcdefghijklmnopqrst", schemas: ["public"] });
    return {};
  });
  // Registrations resolve asynchronously; wait until every type has reported.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  process.stdout.write(JSON.stringify(providers));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
