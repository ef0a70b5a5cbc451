/**
 * Our dynamic providers (Supabase SQL, the Vercel live item): a thin, serializable shim per resource type that forwards each method to
 * a handler module carried in a bundle (`bundle.ts`). The handlers are ordinary TypeScript modules
 * (`handlers/*.ts`) that `npm run local` and the tests can also import directly.
 */
import type * as pulumi from "@pulumi/pulumi";
import { buildBundle, loadBundled, type RuntimeBundle } from "./bundle";

/** What a handler module exports as `handler`: the provider methods, plus the run-time context. */
export interface Handler<Inputs, Outputs> {
  check?(olds: Partial<Inputs>, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>>;
  diff(id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Inputs, ctx: RuntimeContext): Promise<pulumi.dynamic.CreateResult<Outputs>>;
  read?(id: string, props: Outputs, ctx: RuntimeContext): Promise<pulumi.dynamic.ReadResult<Outputs>>;
  update?(id: string, olds: Outputs, news: Inputs, ctx: RuntimeContext): Promise<pulumi.dynamic.UpdateResult<Outputs>>;
  delete?(id: string, props: Outputs, ctx: RuntimeContext): Promise<void>;
}

/** What a handler method receives besides its arguments: the stack config and the environment. */
export interface RuntimeContext {
  /** Stack config by full key (`rollout-stack:mode`), from the provider's `configure`. */
  config?: (key: string) => string | undefined;
  /** @default process.env */
  env?: Record<string, string | undefined>;
}

const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * The provider for a handler module (one instance per module, so Pulumi serializes it once per
 * program run). Serialized by Pulumi: it captures only the bundle (strings), `loadBundled` and the
 * module id. `configure` receives the stack config; the handlers read it through the context.
 */
export function bundledProvider(module: string): pulumi.dynamic.ResourceProvider {
  const existing = providers.get(module);
  if (existing) return existing;
  const bundle: RuntimeBundle = buildBundle([module]);
  const state: { handler?: Handler<any, any>; config?: (key: string) => string | undefined } = {};
  const handler = (): Handler<any, any> => (state.handler ??= loadBundled(bundle, module).handler as Handler<any, any>);
  const ctx = (): RuntimeContext => ({ config: state.config });
  const provider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
      state.config = (key: string) => req.config.get(key);
    },
    async check(olds, news) {
      const h = handler();
      return h.check ? h.check(olds, news) : { inputs: news };
    },
    async diff(id, olds, news) {
      return handler().diff(id, olds, news);
    },
    async create(inputs) {
      return handler().create(inputs, ctx());
    },
    async read(id, props) {
      const h = handler();
      return h.read ? h.read(id, props, ctx()) : { id, props };
    },
    async update(id, olds, news) {
      const h = handler();
      if (!h.update) throw new Error(`${module} cannot update in place (its diff should have asked for a replacement)`);
      return h.update(id, olds, news, ctx());
    },
    async delete(id, props) {
      const h = handler();
      if (h.delete) await h.delete(id, props, ctx());
    },
  };
  providers.set(module, provider);
  return provider;
}
