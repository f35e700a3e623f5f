#!/usr/bin/env bash
# The composite action's one step (action.yml): turns its inputs, passed as
# environment variables, into one lwt-regress command line, as an array:
# inputs are data and never reach a shell as code.
set -uo pipefail
cli=("node" "$GITHUB_ACTION_PATH/dist/harness/cli.js")
reports=${LWT_REGRESS_REPORTS:-lwt-regress-report}
mkdir -p "$reports"
args=()
[ -n "${LWT_REGRESS_CASES:-}" ] && args+=(--cases "$LWT_REGRESS_CASES")
[ -n "${LWT_REGRESS_STACK:-}" ] && args+=(--stack "$LWT_REGRESS_STACK")
[ -n "${LWT_REGRESS_SHARD:-}" ] && args+=(--shard "$LWT_REGRESS_SHARD")
outputs=(--markdown "$reports/report.md" --html "$reports/report.html" --junit "$reports/report.xml" --artifacts "$reports/artifacts")
case "${LWT_REGRESS_COMMAND:-run}" in
  run)
    [ -n "${LWT_REGRESS_LWT:-}" ] && args+=(--lwt "$LWT_REGRESS_LWT")
    "${cli[@]}" run "${args[@]}" "${outputs[@]}" --json >"$reports/result.json"
    code=$?
    ;;
  gate)
    [ -n "${LWT_REGRESS_BASELINE:-}" ] && args+=(--baseline "$LWT_REGRESS_BASELINE")
    [ -n "${LWT_REGRESS_CANDIDATE:-}" ] && args+=(--candidate "$LWT_REGRESS_CANDIDATE")
    "${cli[@]}" gate "${args[@]}" "${outputs[@]}" --json >"$reports/result.json"
    code=$?
    ;;
  check)
    read -r -a program <<<"${LWT_REGRESS_PROGRAM:-}"
    [ ${#program[@]} -gt 0 ] || { echo "lwt-regress action: check needs the program input" >&2; exit 2; }
    [ -n "${LWT_REGRESS_STACK:-}" ] && stack=(--stack "$LWT_REGRESS_STACK") || stack=()
    "${cli[@]}" check "${stack[@]}" --junit "$reports/report.xml" --artifacts "$reports/artifacts" -- "${program[@]}" \
      | tee "$reports/report.md"
    code=${PIPESTATUS[0]}
    ;;
  *)
    echo "lwt-regress action: command must be run, gate or check, not '${LWT_REGRESS_COMMAND}'" >&2
    exit 2
    ;;
esac
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$reports/report.md" ] && cat "$reports/report.md" >>"$GITHUB_STEP_SUMMARY"
echo "exit-code=$code" >>"${GITHUB_OUTPUT:-/dev/null}"
exit "$code"
