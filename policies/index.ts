/**
 * The rollout-stack policy pack. Run it with any backend:
 *   pulumi preview --stack prod --policy-pack policies [--policy-pack-config pack-config.json]
 * Enforcement levels and allow-lists can be changed per policy in that JSON file, e.g.
 *   { "buckets-private": { "publicBuckets": ["avatars"] }, "secret-env-vars-sensitive": "advisory" }
 */
import { PolicyPack } from "@pulumi/policy";
import { rolloutPolicies } from "./pack";

new PolicyPack("rollout-stack", {
  description: "Guardrails for rollout-stack: cron secrets, env var hygiene, retained production deployments, private buckets.",
  enforcementLevel: "mandatory",
  policies: rolloutPolicies(),
});
