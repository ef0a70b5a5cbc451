/** Rules on Supabase Storage buckets (our dynamic `Bucket` resource). */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { type RuleOptions, TYPES } from "./support";

/** Options of `buckets-private`. */
export interface BucketRuleOptions extends RuleOptions {
  /**
   * Bucket IDs allowed to be public (anyone with the URL reads every object), e.g. `["avatars"]`.
   * Added to the pack config's `publicBuckets`.
   * @default []
   */
  publicBuckets?: string[];
}

interface BucketRuleConfig {
  publicBuckets?: string[];
}

/**
 * Whether a resource is one of our buckets: the custom token, or (for a provider registered without
 * one) a generic dynamic resource whose name says bucket and that has a `public` input.
 */
export function isBucket(args: Pick<ResourceValidationArgs, "type" | "name" | "props">): boolean {
  if (args.type === TYPES.bucket) return true;
  return args.type === TYPES.genericDynamic && /bucket/i.test(args.name) && "public" in args.props;
}

/** The bucket's ID as the Storage API knows it. */
function bucketId(props: Record<string, unknown>): string | undefined {
  for (const k of ["bucketId", "id", "name"]) {
    const v = props[k];
    if (typeof v === "string" && v !== "") return v;
  }
  return undefined;
}

/**
 * `buckets-private`: a bucket is private unless its ID is allow-listed (factory option or the pack
 * config's `publicBuckets`). A public bucket serves every object to anyone with its URL, bypassing
 * the `storage.objects` RLS policies the app relies on (seed 004's `raw/{uid}/` folders).
 */
export function bucketsPrivate(options: BucketRuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "buckets-private",
    description: "Supabase Storage buckets must be private unless allow-listed in the pack config (publicBuckets).",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "high",
    configSchema: {
      properties: {
        publicBuckets: { type: "array", items: { type: "string" }, description: "Bucket IDs allowed to be public." },
      },
    },
    remediationSteps:
      "Declare the bucket with `public: false` and serve files through signed URLs, or add its ID to `publicBuckets` in the policy pack config if it must be public.",
    validateResource: (args, report) => {
      if (!isBucket(args)) return args.notApplicable("Policy only applies to Supabase Storage buckets");
      if (args.props.public !== true) return;
      const allowed = [...(options.publicBuckets ?? []), ...(args.getConfig<BucketRuleConfig>().publicBuckets ?? [])];
      const id = bucketId(args.props);
      if (id !== undefined && allowed.includes(id)) return;
      report(`bucket ${id ?? args.name} is public: anyone with a URL reads every object, whatever the storage.objects policies say. Make it private, or allow-list it in the pack config (publicBuckets).`);
    },
  };
}
