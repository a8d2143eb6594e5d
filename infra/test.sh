#!/usr/bin/env bash
# `make test`: provision and start what the tests need, run every suite (types, lint, unit, integration,
# e2e), stop what this run started, print one summary line, and exit non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
started=$SECONDS
reports="$SUNSU_RUN/reports"; rm -rf "$reports"; mkdir -p "$reports"
export CHAT_ENV=test

nodebin="$(bash "$here/node.sh")"; [ -n "$nodebin" ] && export PATH="$nodebin:$PATH"
log "node $(node --version)"
bash "$here/deps.sh"
bash "$here/chromium.sh"
bash "$here/web.sh"

# Start only what is not running yet, and stop exactly that at the end (a developer's `make up` survives).
ours=()
paused=()
cleanup() {
  local rc=$?
  for ((i=${#ours[@]}-1; i>=0; i--)); do
    case "${ours[$i]}" in
      "") ;;
      svc:*) bash "$here/services.sh" stop "${ours[$i]#svc:}" || true ;;
      *) bash "$here/${ours[$i]}.sh" stop || true ;;
    esac
  done
  [ ${#paused[@]} -gt 0 ] && bash "$here/services.sh" start "${paused[@]}"
  log "test run took $((SECONDS - started)) s"
  exit $rc
}
trap cleanup EXIT
for s in redis postgres ferretdb kafka s3; do
  if ! bash "$here/$s.sh" status | grep -q running; then bash "$here/$s.sh" start; ours+=("$s"); fi
done
# The system tests run their own chat-server and dispatcher processes; a developer's `make up` services would
# share their consumer groups, so they are paused for the run and started again afterwards.
paused=()
for f in "$SUNSU_PIDS"/*.pid; do
  [ -e "$f" ] || continue
  inst="$(basename "$f" .pid)"
  case "$inst" in chat-server-*|dispatcher-*|syncer-*)
    if is_running "$inst"; then
      svc="${inst%-*}"; port=$(tr '\0' '\n' </proc/"$(cat "$f")"/environ | sed -n 's/^CHAT_\(HTTP\|DISPATCHER_HTTP\|SYNCER_HTTP\)_PORT=//p' | head -n 1)
      paused+=("$svc:$inst:${port:-0}"); bash "$here/services.sh" stop "$svc:$inst"
    fi ;;
  esac
done
(cd "$SUNSU_ROOT" && node scripts/provision.ts) >"$SUNSU_LOGS/provision.log" 2>&1 || { cat "$SUNSU_LOGS/provision.log"; die "provisioning failed"; }

failed=()
step() { # name, command...
  local name="$1"; shift
  log "── $name"
  if (cd "$SUNSU_ROOT" && "$@"); then log "── $name: ok"; else log "── $name: FAILED"; failed+=("$name"); fi
}
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"; }

step typecheck npx tsc -p tsconfig.json --noEmit
step lint npm run -s lint
step unit jest --selectProjects unit --json --outputFile="$reports/jest-unit.json"
# ── Kubernetes control plane for the operator's integration tests (infra/cluster.sh; cold build ~11 min, cached) ──
if ! bash "$here/cluster.sh" status | grep -q running; then
  if bash "$here/cluster.sh" start; then ours+=("cluster"); else failed+=("cluster (control plane did not start)"); fi
fi
eval "$(bash "$here/cluster.sh" env)"
export CHAT_KAFKA_BROKERS="${CHAT_KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"

step integration jest --selectProjects integration --runInBand --forceExit --json --outputFile="$reports/jest-integration.json"

# e2e: the platform's services on test ports, then Playwright with Debian's Chromium.
export E2E_PORT="${E2E_PORT:-18080}"
E2E_SPECS=("chat-server:e2e-chat-server-1:$E2E_PORT" "dispatcher:e2e-dispatcher-1:$((E2E_PORT + 1))")
for spec in "${E2E_SPECS[@]}"; do ours+=("svc:$spec"); done
if bash "$here/services.sh" start "${E2E_SPECS[@]}"; then
  step e2e env E2E_BASE_URL="http://127.0.0.1:$E2E_PORT" E2E_REPORT="$reports/playwright.json" \
    npx playwright test --config e2e/playwright.config.ts
else
  failed+=("e2e (services did not start)")
fi
# The platform on the real node, the way users run it (images, ingress, both charts, Playwright through the
# ingress, failover tests, checked uninstall). The local e2e services share Kafka consumer groups with the
# cluster's dispatcher, so they stop first.
for spec in "${E2E_SPECS[@]}"; do bash "$here/services.sh" stop "${spec%:*}" >/dev/null 2>&1 || true; done
if [ "${SUNSU_SKIP_CLUSTER_E2E:-}" = 1 ]; then
  log "── cluster-e2e: skipped (SUNSU_SKIP_CLUSTER_E2E=1)"
else
  step cluster-e2e bash "$here/cluster-e2e.sh" all
fi
# A cluster this run started is stopped here, and the machine must be as it was before (iptables, bridges,
# mounts, cgroups, sysctls): part of the result, not only of the clean-up.
if [[ " ${ours[*]} " == *" cluster "* ]]; then
  step cluster-teardown bash -c "bash '$here/cluster.sh' stop && bash '$here/cluster.sh' verify-clean"
  ours=("${ours[@]/cluster}")
fi

node "$SUNSU_ROOT/scripts/test-summary.mjs" "$reports" || true
if [ ${#failed[@]} -gt 0 ]; then log "FAILED: ${failed[*]}"; exit 1; fi
log "all suites passed"
