#!/usr/bin/env bash
# Which stacks a change touches, for the CI matrices.
#
#   .github/scripts/changed-stacks.sh [--tag-prefix PREFIX] BASE [HEAD]
#
# For each stack file at HEAD (`stacks/Pulumi.<stack>.yaml`) the base is BASE, or with --tag-prefix
# the tag PREFIX<stack> when it exists (the last commit deployed to that stack: a run cancelled while
# queued, or a failed one, is then covered by the next). Prints `key=value` lines for "$GITHUB_OUTPUT":
#   verify=["prod"]          stacks whose file changed since their base: `rollout verify` guards the moves
#   stacks=["dev","prod"]    stacks to plan/preview/deploy: their file changed, or code that renders
#                            them did (infra/, migrations/, policies/, Pulumi.yaml, package files)
#   deploy=["dev"]           `stacks` without local (no cloud) and prod (deployed last, behind approval)
#   prod=true|false          whether prod is in `stacks`
#   bases={"prod":"<sha>"}   the base each selected stack was compared with
# A base of all zeros (a push creating the branch) selects every stack and verifies none: there are no
# earlier phases to compare with. A base missing from the clone is an error (a shallow checkout).
set -euo pipefail

prefix=""
if [[ "${1:-}" == "--tag-prefix" ]]; then
  prefix="${2:?--tag-prefix needs a value}"
  shift 2
fi
base="${1:?usage: changed-stacks.sh [--tag-prefix PREFIX] BASE [HEAD]}"
head="${2:-HEAD}"
cd "$(git rev-parse --show-toplevel)"

code_re='^(infra/|migrations/|policies/|Pulumi\.yaml$|package\.json$|package-lock\.json$|tsconfig\.json$)'
name_ok='^[a-z0-9][a-z0-9-]*$'

verify=() selected=() deploy=() bases=()
prod=false
while IFS= read -r f; do
  s="${f#stacks/Pulumi.}"
  s="${s%.yaml}"
  if ! [[ "$s" =~ $name_ok ]]; then
    echo "changed-stacks: ignoring $f (stack names are [a-z0-9-])" >&2
    continue
  fi
  b="$base"
  if [[ -n "$prefix" ]] && tagged="$(git rev-parse -q --verify "refs/tags/${prefix}${s}^{commit}")"; then
    b="$tagged"
  fi
  if [[ "$b" =~ ^0+$ ]]; then
    file_changed=false
    render_changed=true
  else
    if ! git cat-file -e "${b}^{commit}" 2>/dev/null; then
      echo "changed-stacks: base commit $b (stack $s) is not in this clone; check out with fetch-depth: 0" >&2
      exit 1
    fi
    b="$(git rev-parse "${b}^{commit}")"
    changed="$(git diff --name-only --diff-filter=ACMR "$b" "$head")"
    file_changed=false
    grep -qxF "$f" <<< "$changed" && file_changed=true
    render_changed=$file_changed
    grep -qE "$code_re" <<< "$changed" && render_changed=true
  fi
  $file_changed && verify+=("$s")
  if $render_changed; then
    selected+=("$s")
    bases+=("\"$s\":\"$b\"")
    case "$s" in
      local) ;;
      prod) prod=true ;;
      *) deploy+=("$s") ;;
    esac
  fi
done < <(git ls-tree --name-only "$head" stacks/ | grep -E '^stacks/Pulumi\.[^/]+\.yaml$' | sort)

json() { # JSON array of the (already sorted) arguments
  local out="" s
  for s in "$@"; do out+="${out:+,}\"$s\""; done
  printf '[%s]' "$out"
}

echo "verify=$(json "${verify[@]+"${verify[@]}"}")"
echo "stacks=$(json "${selected[@]+"${selected[@]}"}")"
echo "deploy=$(json "${deploy[@]+"${deploy[@]}"}")"
echo "prod=$prod"
bases_json=""
for kv in "${bases[@]+"${bases[@]}"}"; do bases_json+="${bases_json:+,}$kv"; done
echo "bases={$bases_json}"
