#!/usr/bin/env bash
# Shared helper for the smol-workflows skills, the opencode plugin and the pi extension.
# It runs the installed `smol-wf`; it never downloads or builds one.
set -euo pipefail

INSTALL_HINT='smol-wf helper: error: smol-wf is not installed; install it with `pipx install smolwf` (or `uv tool install smolwf`, or `pip install smolwf`), or set SMOL_WF_BIN'
USAGE='usage: smol-wf.sh list | smol-wf.sh [run] <workflow-script> <args-file> <token-budget> [-- <smol-wf run flags>]'

usage() {
  cat <<'HELP'
Usage:
  smol-wf.sh list
  smol-wf.sh run <workflow-script> <args-file> <token-budget> [-- <extra smol-wf run flags...>]
  smol-wf.sh <workflow-script> <args-file> <token-budget> [-- <extra smol-wf run flags...>]

Commands:
  list  Run `smol-wf llm list-workflows` (workflows in .agents/workflows and .claude/workflows).
  run   Run a workflow script and print its JSON report on stdout.

Parameters for run:
  <workflow-script>  Path to the workflow .js/.mjs file.
  <args-file>        JSON or YAML object file, passed as --args-from-file.
  <token-budget>     Output-token allowance for --budget-allowance; 0, none or - omits it.

Environment:
  SMOL_WF_BIN                  The smol-wf executable to use (default: smol-wf on PATH).
  SMOL_WF_AGENT_PROVIDER       Passed as --agent-provider when set (else smol-wf's default).
  SMOL_WF_MAX_PARALLEL_AGENTS  Passed as --max-parallel-agents (default 4).

Install smol-wf with `pipx install smolwf`, `uv tool install smolwf` or `pip install smolwf`.
HELP
}

fail() {
  # fail <exit-code> <message>: one line on stderr.
  echo "smol-wf helper: error: $2" >&2
  exit "$1"
}

bad_usage() {
  # One line: what is wrong, then how to call the helper.
  echo "smol-wf helper: error: $1 ($USAGE)" >&2
  exit 2
}

resolve_smol_wf() {
  if [[ -n "${SMOL_WF_BIN:-}" ]]; then
    [[ -f "$SMOL_WF_BIN" && -x "$SMOL_WF_BIN" ]] \
      || fail 127 "SMOL_WF_BIN is not an executable file: $SMOL_WF_BIN"
    printf '%s\n' "$SMOL_WF_BIN"
    return 0
  fi
  if command -v smol-wf >/dev/null 2>&1; then
    command -v smol-wf
    return 0
  fi
  echo "$INSTALL_HINT" >&2
  exit 127
}

run_list() {
  [[ $# -eq 0 ]] || bad_usage "list takes no arguments"
  local smol_wf
  smol_wf="$(resolve_smol_wf)"
  exec "$smol_wf" llm list-workflows
}

run_workflow() {
  [[ $# -ge 3 ]] || bad_usage "run needs <workflow-script> <args-file> <token-budget>"
  local workflow_script="$1" args_file="$2" token_budget="$3"
  shift 3
  if [[ $# -gt 0 ]]; then
    [[ "$1" == "--" ]] || bad_usage "unexpected argument '$1'; put extra smol-wf flags after --"
    shift
  fi

  [[ -f "$workflow_script" ]] || fail 2 "workflow script does not exist: $workflow_script"
  # JSON or YAML: smol-wf run --args-from-file reports parse errors itself.
  [[ -f "$args_file" ]] || fail 2 "args file does not exist: $args_file"

  local smol_wf
  smol_wf="$(resolve_smol_wf)"

  local cmd=("$smol_wf" run "$workflow_script" --args-from-file "$args_file")
  case "$token_budget" in
    0 | none | - | "") ;;
    *) cmd+=(--budget-allowance "$token_budget") ;;
  esac
  if [[ -n "${SMOL_WF_AGENT_PROVIDER:-}" ]]; then
    cmd+=(--agent-provider "$SMOL_WF_AGENT_PROVIDER")
  fi
  cmd+=(--max-parallel-agents "${SMOL_WF_MAX_PARALLEL_AGENTS:-4}")
  cmd+=("$@")

  echo "[smol-wf helper] executing: ${cmd[*]}" >&2
  exec "${cmd[@]}"
}

case "${1:-}" in
  -h | --help)
    usage
    ;;
  list)
    shift
    run_list "$@"
    ;;
  run)
    shift
    run_workflow "$@"
    ;;
  "")
    bad_usage "missing command"
    ;;
  -*)
    bad_usage "unknown option '$1'"
    ;;
  *)
    run_workflow "$@"
    ;;
esac
