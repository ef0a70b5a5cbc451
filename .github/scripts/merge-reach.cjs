// The plan comment's "who the moves reach" sections come from the trusted job only.
//
// A plan's markdown is made by the pull request's own run (a fork can write anything into it), so
// every reach section in it is dropped, and the section `rollout exposure` wrote from the base
// commit's code (reach/<stack>.md) goes in its place. Without one (the job failed or was skipped),
// the place says the counts are missing. Sections are marked as `reachMarkers` (infra/plan/markdown.ts)
// writes them: <!-- rollout-stack:reach stack=S --> … <!-- /rollout-stack:reach stack=S -->.
"use strict";

const ANY_SECTION = /<!-- rollout-stack:reach stack=[^>]*-->[\s\S]*?<!-- \/rollout-stack:reach stack=[^>]*-->\n?/g;
const PLACEHOLDER = "\u0000reach\u0000";

function markers(stack) {
  return { begin: `<!-- rollout-stack:reach stack=${stack} -->`, end: `<!-- /rollout-stack:reach stack=${stack} -->` };
}

/** The trusted section when it is one whole section for this stack, else undefined. */
function trustedSection(stack, text) {
  if (typeof text !== "string") return undefined;
  const t = text.trim();
  const { begin, end } = markers(stack);
  if (!t.startsWith(begin) || !t.endsWith(end)) return undefined;
  // One section only: no other marker inside.
  const inner = t.slice(begin.length, t.length - end.length);
  return inner.includes("<!-- rollout-stack:reach") || inner.includes("<!-- /rollout-stack:reach") ? undefined : t;
}

/**
 * `plan`: one stack's plan markdown (untrusted); `trusted`: the trusted job's section for that stack,
 * or undefined. Returns the markdown to post.
 */
function mergeReach(plan, stack, trusted) {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(stack)) throw new Error(`not a stack name: ${JSON.stringify(stack)}`);
  let first = true;
  const stripped = plan.replace(/\u0000/g, "").replace(ANY_SECTION, () => {
    const keep = first;
    first = false;
    return keep ? `${PLACEHOLDER}\n` : "";
  });
  const section = trustedSection(stack, trusted);
  const hadSection = !first;
  if (!hadSection && (!section || !/\n- /.test(section))) return stripped;
  const { begin, end } = markers(stack);
  const text = section ?? `${begin}\n#### Who the moves reach\n\nNot counted: the trusted count job did not finish for this stack; see the workflow run.\n${end}`;
  return hadSection ? stripped.replace(PLACEHOLDER, () => text) : `${stripped.trimEnd()}\n\n${text}\n`;
}

module.exports = { mergeReach };
