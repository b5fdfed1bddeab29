#!/usr/bin/env bash
# The project's full check: what the README's test command and CI run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "build (tsc -b)";                pnpm build
step "module cycles (dpdm)";          pnpm cycles
step "type-check (sources + tests)";  pnpm typecheck
step "lint (typescript-eslint, type-checked)"; pnpm lint
step "TSDoc on every export";         pnpm tsdoc
step "tests (vitest)"
rm -rf packages/*/.vitest examples/*/.vitest
pnpm exec turbo run test --concurrency=1 -- --reporter=default --reporter=json --outputFile.json=.vitest/report.json
step "publint --strict + attw --profile esm-only"; pnpm package:check
step "pack sdk + core, install alone in a scratch project, type-check and run the spec's SDK examples"; pnpm pack:smoke
step "summary"
node tooling/scripts/test-summary.mjs
