#!/usr/bin/env bash
# Publishes the kills `rollout watch --json` made: pushes each kill branch it created or moved, and
# opens a pull request for it unless one is open already (one pull request per kill, however many
# watch runs see the same trip).
#
#   .github/scripts/push-kill-branches.sh WATCH_JSON
#
# Env: REMOTE (default origin), BASE_BRANCH (default main); `gh` authenticated with a token that can
# push and open pull requests (GH_TOKEN). Prints one line per branch: pushed / unchanged, and the
# pull request opened or found.
set -euo pipefail

report="${1:?usage: push-kill-branches.sh WATCH_JSON}"
remote="${REMOTE:-origin}"
base="${BASE_BRANCH:-main}"

# branch <TAB> status <TAB> feature <TAB> stack <TAB> trip <TAB> delivery, one line per written branch.
rows=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const f of r.features) {
    if (!f.branch) continue;
    const t = f.tripped ? `${f.tripped.trigger}: ${f.tripped.value} ${f.tripped.op} ${f.tripped.threshold}` : "";
    const clean = (s) => String(s).replace(/[\t\n\r]/g, " ");
    console.log([f.branch.name, f.branch.status, f.key, r.stack, t, f.kill?.delivery ?? "env"].map(clean).join("\t"));
  }' "$report")

[[ -z "$rows" ]] && { echo "no kill branches"; exit 0; }

while IFS=$'\t' read -r branch status feature stack trip delivery; do
  if [[ "$status" != "unchanged" ]]; then
    git push --force "$remote" "refs/heads/$branch:refs/heads/$branch"
    echo "pushed $branch ($status)"
  else
    echo "unchanged $branch"
  fi
  open=$(gh pr list --head "$branch" --base "$base" --state open --json number --jq length)
  if [[ "$open" != "0" ]]; then
    echo "pull request already open for $branch"
    continue
  fi
  if [[ "$delivery" == "edge-config" ]]; then
    effect="The feature was switched off in Edge Config at once (\`rollout kill --now\`); until this is merged, \`pulumi up\` refuses to raise it again."
  else
    effect="The feature is delivered by env vars only: the kill takes effect when this is merged and deployed."
  fi
  gh pr create --head "$branch" --base "$base" \
    --title "rollout(${stack}): kill ${feature} (${trip})" \
    --body "\`rollout watch\` tripped on ${trip} and killed ${feature} on ${stack}.

${effect}

Merge to make the stack file agree; re-enable later with \`npm run rollout -- advance ${feature} --stack ${stack}\` from its first rung."
  echo "opened a pull request for $branch"
done <<< "$rows"
