#!/usr/bin/env bash
# The GitHub Action's work (action.yml runs it): verify each review once, writing every format it
# asks for; print the annotations; write the job summary; post or update the pull-request comment.
# Exits with reviewvet's own code (the largest over the reviews) after all of that is done, so a
# finding that raises --fail-on still leaves its comment, summary and SARIF behind.
#
# Environment (what Actions sets, and the inputs action.yml passes):
#   INPUT_REVIEW          review paths, one per line (spaces inside a path are kept)
#   INPUT_HEAD/INPUT_BASE revisions; default the pull request's head/base SHA from GITHUB_EVENT_PATH
#   INPUT_FORMATS         among: sarif github-comment github summary
#   INPUT_FAIL_ON         flags for --fail-on (space-separated), empty for none
#   INPUT_SARIF_CATEGORY  --sarif-category (default: reviewvet's own, plus the review's name when several)
#   INPUT_TOKEN           token for the comment (no comment without one)
#   GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SHA, GITHUB_OUTPUT,
#   GITHUB_STEP_SUMMARY, RUNNER_TEMP; REVIEWVET (the command, default reviewvet).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
reviewvet=${REVIEWVET:-reviewvet}
python=${REVIEWVET_PYTHON:-python3}
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/reviewvet"
formats=" ${INPUT_FORMATS:-sarif github-comment github summary} "

fail() { echo "::error title=reviewvet::$*"; exit 2; }
wants() { [[ "$formats" == *" $1 "* ]]; }
output() { [[ -n "${GITHUB_OUTPUT:-}" ]] && echo "$1=$2" >> "$GITHUB_OUTPUT" || true; }

# A field of the event's pull request (number, head.sha, base.sha), or nothing.
event_field() {
  [[ -n "${GITHUB_EVENT_PATH:-}" && -f "$GITHUB_EVENT_PATH" ]] || return 0
  "$python" - "$GITHUB_EVENT_PATH" "$1" <<'PY'
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8")).get("pull_request") or {}
for key in sys.argv[2].split("."):
    data = data.get(key) if isinstance(data, dict) else None
print("" if data is None else data)
PY
}

head=${INPUT_HEAD:-$(event_field head.sha)}
head=${head:-${GITHUB_SHA:-}}
base=${INPUT_BASE:-$(event_field base.sha)}
pr=$(event_field number)
[[ -n "$head" ]] || fail "no head revision: set the 'head' input, or run on a pull_request event"
[[ -n "$base" ]] || fail "no base revision: set the 'base' input, or run on a pull_request event"
for rev in "$head" "$base"; do
  git cat-file -e "${rev}^{commit}" 2>/dev/null \
    || fail "commit $rev is not in the checkout: use actions/checkout with fetch-depth: 0"
done

mapfile -t reviews < <(printf '%s\n' "${INPUT_REVIEW:-}" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d')
(( ${#reviews[@]} > 0 )) || fail "no review given: set the 'review' input to the report's path"
for review in "${reviews[@]}"; do
  [[ -f "$review" ]] || fail "review '$review' does not exist in $(pwd)"
done

rm -rf "$out" && mkdir -p "$out/sarif" "$out/comments"
read -r -a fail_on <<< "${INPUT_FAIL_ON:-}"
worst=0
comments=()
for i in "${!reviews[@]}"; do
  review=${reviews[$i]}
  name=$(basename "$review"); name=${name%.*}; name="$i-${name//[^A-Za-z0-9._-]/_}"
  args=(verify "$review" --repo . --head "$head" --base "$base" --quiet --color never)
  wants sarif && args+=(--output-format "sarif=$out/sarif/$name.sarif")
  wants github-comment || wants summary && args+=(--output-format "github-comment=$out/comments/$name.md")
  wants github && args+=(--output-format "github=$out/$name.annotations")
  if [[ -n "${INPUT_SARIF_CATEGORY:-}" ]]; then
    args+=(--sarif-category "$INPUT_SARIF_CATEGORY$([[ ${#reviews[@]} -gt 1 ]] && echo "$name/")")
  elif (( ${#reviews[@]} > 1 )); then
    args+=(--sarif-category "reviewvet/${pr:-push}/$name/")
  fi
  (( ${#fail_on[@]} > 0 )) && args+=(--fail-on "${fail_on[@]}")
  code=0
  "$reviewvet" "${args[@]}" || code=$?
  (( code > worst )) && worst=$code
  if (( code >= 2 )); then
    echo "::error title=reviewvet::verifying $review failed (exit $code); see the log above"
    continue
  fi
  [[ -f "$out/$name.annotations" ]] && cat "$out/$name.annotations"
  [[ -f "$out/comments/$name.md" ]] && comments+=("$out/comments/$name.md")
done

output exit-code "$worst"
wants sarif && compgen -G "$out/sarif/*.sarif" > /dev/null && output sarif "$out/sarif"
(( ${#comments[@]} > 0 )) && output comment "${comments[0]}"

if wants summary && [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  for comment in "${comments[@]}"; do
    cat "$comment" >> "$GITHUB_STEP_SUMMARY"
    echo >> "$GITHUB_STEP_SUMMARY"
  done
fi

if wants github-comment && (( ${#comments[@]} > 0 )); then
  if [[ -z "$pr" ]]; then
    echo "::notice title=reviewvet::not a pull_request event: no comment posted (the job summary has it)"
  elif [[ -z "${INPUT_TOKEN:-}" ]]; then
    echo "::warning title=reviewvet::no token: no comment posted"
  else
    for i in "${!comments[@]}"; do
      GITHUB_TOKEN=$INPUT_TOKEN "$python" "$here/pr_comment.py" --pr "$pr" --key "${reviews[$i]}" \
        --body "${comments[$i]}" \
        || echo "::warning title=reviewvet::could not post the pull-request comment for ${reviews[$i]}"
    done
  fi
fi

exit "$worst"
