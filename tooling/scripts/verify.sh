#!/usr/bin/env bash
# The project's full check: what the README's test command and CI run.
# Every step runs even after one fails; the end lists the failed steps, and the exit code is non-zero
# if any failed. The last line is the tests' closing line, "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

failed_steps=()
steps_run=0

# step "title" command...: runs one step, remembers it when it fails, never stops the script.
step() {
  local title="$1"
  shift
  steps_run=$((steps_run + 1))
  printf '\n\033[1m==> %s\033[0m\n' "$title"
  "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '\033[31m==> FAILED (exit %d): %s\033[0m\n' "$rc" "$title"
    failed_steps+=("$title (exit $rc)")
  fi
  return 0
}

run_tests() {
  # Reports are written fresh (or restored from turbo's cache, the test task's declared output).
  # --continue: a failing package does not keep the others from running (and being counted).
  rm -rf packages/*/.vitest examples/*/.vitest
  pnpm exec turbo run test --concurrency=1 --continue -- --reporter=default --reporter=json --outputFile.json=.vitest/report.json
}

step "build (tsc -b)"                                pnpm build
step "module cycles (dpdm)"                          pnpm cycles
step "package boundaries (libraries import only core)" pnpm boundaries
step "monorepo hygiene (sherif)"                     pnpm sherif
step "formatting (prettier --check)"                 pnpm format:check
step "unused files, exports, dependencies (knip)"    pnpm knip
step "type-check (sources + tests)"                  pnpm typecheck
step "lint (typescript-eslint, type-checked)"        pnpm lint
step "TSDoc on every export"                         pnpm tsdoc
step "reference docs match core (config, error codes)" node tooling/scripts/gen-reference-docs.mjs --check
step "tests (vitest)"                                run_tests
step "OpenClaw host end-to-end (openclaw from npm on Node 24: install, infra CLI, gateway)" pnpm e2e:openclaw
step "publint --strict + attw --profile esm-only"    pnpm package:check
step "pack sdk + core, install alone in a scratch project, type-check and run the spec's SDK examples" pnpm pack:smoke

printf '\n\033[1m==> summary\033[0m\n'
if [ "${#failed_steps[@]}" -eq 0 ]; then
  echo "all ${steps_run} steps passed"
else
  echo "${#failed_steps[@]} of ${steps_run} steps failed:"
  for failed in "${failed_steps[@]}"; do echo "  - ${failed}"; done
fi
node tooling/scripts/test-summary.mjs
summary_rc=$?
if [ "${#failed_steps[@]}" -ne 0 ] || [ "$summary_rc" -ne 0 ]; then exit 1; fi
