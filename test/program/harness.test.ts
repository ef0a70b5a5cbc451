import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vercel from "@pulumiverse/vercel";
import { describe, expect, it } from "vitest";
import { diffRenders, renderProgram } from "../support/pulumi";

class Box extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Box", name, {}, opts);
    const pw = new random.RandomPassword(`${name}-pw`, { length: 32, special: false, keepers: { rotation: "0" } }, { parent: this });
    const project = new vercel.Project(`${name}-project`, { name }, { parent: this, protect: true });
    new vercel.ProjectEnvironmentVariable(
      `${name}-env`,
      { projectId: project.id, key: "K", value: pw.result, sensitive: true, targets: ["production"] },
      { parent: this, deleteBeforeReplace: true, dependsOn: [pw], import: "prj_x/env_y" },
    );
    this.registerOutputs({});
  }
}

describe("the mock harness", () => {
  it("records inputs, secrets, fakes and the options the engine would receive", async () => {
    const render = await renderProgram({
      stack: "dev",
      config: { "rollout-stack:x": { value: { a: 1 } }, "rollout-stack:s": { value: "shh", secret: true } },
      program: () => {
        new Box("b");
        const c = new pulumi.Config("rollout-stack");
        return { x: c.requireObject<{ a: number }>("x"), s: c.requireSecret("s") };
      },
    });
    expect(render.outputs).toEqual({ x: { a: 1 }, s: "shh" });
    expect(render.secretOutputs).toEqual(["s"]);
    const pw = render.get("random:index/randomPassword:RandomPassword", "b-pw");
    expect(pw.urn).toBe("urn:pulumi:dev::rollout-stack::test:index:Box$random:index/randomPassword:RandomPassword::b-pw");
    expect(pw.state.result).toMatch(/^[A-Za-z0-9]{32}$/);
    const env = render.get("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable", "b-env");
    expect(env.inputs.value).toBe(pw.state.result);
    expect(env.secretInputs).toContain("value");
    expect(env.opts.deleteBeforeReplace).toBe(true);
    expect(env.opts.importId).toBe("prj_x/env_y");
    expect(env.opts.dependsOn).toEqual(expect.arrayContaining([pw.urn, render.get("vercel:index/project:Project", "b-project").urn]));
    expect(env.opts.parent).toBe(render.get("test:index:Box", "b").urn);
    expect(env.rawOpts.deleteBeforeReplace).toBe(true);
    expect(render.get("vercel:index/project:Project", "b-project").opts.protect).toBe(true);
  });

  it("isolates renders and diffs them by URN", async () => {
    const prog = (n: number) => () => {
      new random.RandomPassword("pw", { length: 32, special: false, keepers: { rotation: String(n) } });
    };
    const a = await renderProgram({ stack: "s", program: prog(0) });
    const b = await renderProgram({ stack: "s", program: prog(1) });
    expect(a.resources.map((r) => r.name)).toEqual(["rollout-stack-s", "pw"]);
    expect(b.resources.map((r) => r.name)).toEqual(["rollout-stack-s", "pw"]);
    const d = diffRenders(a, b);
    expect(d.changed).toEqual({ "urn:pulumi:s::rollout-stack::random:index/randomPassword:RandomPassword::pw": ["keepers"] });
    expect(a.get("random:index/randomPassword:RandomPassword", "pw").state.result).not.toBe(b.get("random:index/randomPassword:RandomPassword", "pw").state.result);
  });

  it("is strict about invokes", async () => {
    await expect(
      renderProgram({ stack: "s", program: async () => ({ x: await vercel.getProject({ name: "p" }) }) }),
    ).rejects.toThrow(/unexpected invoke vercel:index\/getProject:getProject/);
  });
});
