#!/usr/bin/env bash
# The platform the way users run it, on the real single-node cluster of infra/cluster.sh: images built from the
# project's Dockerfile, the Traefik ingress controller, `helm install` of the operator chart and of the cluster
# chart, a ChatCluster with real pods (2 chat-servers, dispatcher, syncer, migration Job), then `helm test`,
# Playwright through the ingress URL and the failover tests (tests/cluster), and a checked uninstall.
# The backing servers are the project's own (infra/servers.sh) on the node address, each with its own database
# for this run (Redis db 3, Postgres/MongoDB database sunsu_k8s).
# Usage: cluster-e2e.sh up | test | down | all      (make cluster-e2e = all; make cluster-demo = up)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"

NS="${CLUSTER_E2E_NAMESPACE:-sunsu-e2e}"
OP_NS="${CLUSTER_E2E_OPERATOR_NAMESPACE:-sunsu-system}"
RELEASE=chat
OP_RELEASE=chat-operator
HOST="${CLUSTER_E2E_HOST:-chat.sunsu.test}"
INGRESS_PORT="${INGRESS_NODE_PORT:-30080}"
URL="http://$HOST:$INGRESS_PORT"
DB=sunsu_k8s
state="$SUNSU_DATA/cluster-e2e"
mkdir -p "$state"

use_project_node
eval "$(bash "$here/cluster.sh" env)"
export HELM_CACHE_HOME="$SUNSU_RUN/helm/cache" HELM_CONFIG_HOME="$SUNSU_RUN/helm/config" HELM_DATA_HOME="$SUNSU_RUN/helm/data"
# Name resolution of the ingress host for the test processes (Node) and Chromium, without /etc/hosts.
export SUNSU_RESOLVE="$HOST=$SUNSU_NODE_IP"
export E2E_HOST_RESOLVER_RULES="MAP $HOST $SUNSU_NODE_IP"

node_port_open() { (exec 3<>"/dev/tcp/$SUNSU_NODE_IP/$1") 2>/dev/null; }

require_servers() {
  bash "$here/servers.sh" start >/dev/null
  local p
  for p in "$REDIS_PORT" "$PG_PORT" "$FERRETDB_PORT" "$KAFKA_NODE_PORT" "${S3_PORT:-19000}"; do
    node_port_open "$p" || die "a backing server does not listen on $SUNSU_NODE_IP:$p (started before the node address existed?): restart them with 'make servers-down servers'"
  done
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB" >/dev/null
}

jwt_secret() {
  [ -s "$state/jwt-secret" ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/jwt-secret"; chmod 600 "$state/jwt-secret"; }
  cat "$state/jwt-secret"
}

# The platform topics are shared with `make up` and the other tests, and Kafka cannot shrink them: the ChatCluster
# asks for as many partitions as they already have (1 on a fresh machine, 2 after the operator's tests).
topic_partitions() {
  if [ ! -s "$state/partitions" ]; then
    bash "$here/kafka.sh" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --describe --topic chat-message 2>/dev/null \
      | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n 1 >"$state/partitions"
  fi
  local n; n="$(cat "$state/partitions")"; echo "${n:-1}"
}

chart_args() { # image tag
  local tag="$1" busybox kubectl_img
  busybox="$(sed -n 1p "$state/tool-images")"; kubectl_img="$(sed -n 2p "$state/tool-images")"
  echo -f "$SUNSU_ROOT/infra/k8s/e2e-values.yaml" \
    --set image.registry=localhost/sunsu --set image.tag="$tag" --set image.pullPolicy=Never \
    --set kafka.bootstrapServers="$SUNSU_NODE_IP:$KAFKA_NODE_PORT" --set kafka.topics.partitions="$(topic_partitions)" \
    --set secrets.values.redisUrl="redis://$SUNSU_NODE_IP:$REDIS_PORT/3" \
    --set secrets.values.mongoUrl="mongodb://$SUNSU_NODE_IP:$FERRETDB_PORT/$DB" \
    --set secrets.values.postgresUrl="postgres://postgres@$SUNSU_NODE_IP:$PG_PORT/$DB" \
    --set secrets.values.jwtSecret="$(jwt_secret)" \
    --set chatServer.env.CHAT_STORAGE=s3 --set chatServer.env.CHAT_S3_ENDPOINT="http://$SUNSU_NODE_IP:${S3_PORT:-19000}" \
    --set chatServer.env.CHAT_S3_PREFIX="k8s-e2e" --set chatServer.env.AWS_ACCESS_KEY_ID=local \
    --set chatServer.env.AWS_SECRET_ACCESS_KEY=local-secret \
    --set test.image="$kubectl_img" --set test.httpImage="$busybox"
}

up() {
  local t0=$SECONDS tag
  rm -f "$state/partitions" # asked again: other runs may have grown the topics
  bash "$here/cluster.sh" start
  require_servers
  tag="$(bash "$here/images.sh" load | tail -n 1)"
  echo "$tag" >"$state/image-tag"
  bash "$here/images.sh" tools load >"$state/tool-images"
  bash "$here/traefik.sh" deploy
  log "helm install $OP_RELEASE (namespace $OP_NS, image localhost/sunsu/chat-operator:$tag)"
  helm upgrade --install "$OP_RELEASE" "$SUNSU_ROOT/charts/chat-operator" -n "$OP_NS" --create-namespace \
    --set image.repository=localhost/sunsu/chat-operator --set image.tag="$tag" --set image.pullPolicy=Never \
    --set test.image="$(sed -n 1p "$state/tool-images")" --set logLevel=info \
    --wait --timeout 180s >/dev/null || { kubectl -n "$OP_NS" get pods -o wide >&2; die "operator chart did not become ready"; }
  log "helm install $RELEASE (namespace $NS)"
  # shellcheck disable=SC2046
  helm upgrade --install "$RELEASE" "$SUNSU_ROOT/charts/chat-cluster" -n "$NS" --create-namespace $(chart_args "$tag") >/dev/null \
    || die "cluster chart install failed"
  if ! kubectl -n "$NS" wait --for=condition=Ready "chatcluster/$RELEASE" --timeout=300s >/dev/null; then
    kubectl -n "$NS" get chatcluster,pods,jobs -o wide >&2
    kubectl -n "$NS" get chatcluster "$RELEASE" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2
    die "ChatCluster $NS/$RELEASE not Ready"
  fi
  kubectl -n "$NS" get chatcluster "$RELEASE"
  log "platform up on the real node in $((SECONDS - t0)) s: $URL (resolve $HOST to $SUNSU_NODE_IP: curl --resolve $HOST:$INGRESS_PORT:$SUNSU_NODE_IP, chromium --host-resolver-rules='MAP $HOST $SUNSU_NODE_IP')"
}

run_tests() {
  local failed=() reports="$SUNSU_RUN/reports"
  mkdir -p "$reports"
  helm test "$OP_RELEASE" -n "$OP_NS" --timeout 120s >/dev/null && log "helm test $OP_RELEASE: ok" || failed+=("helm test $OP_RELEASE")
  helm test "$RELEASE" -n "$NS" --timeout 300s >/dev/null && log "helm test $RELEASE: ok" || failed+=("helm test $RELEASE")
  bash "$here/chromium.sh"
  log "Playwright through the ingress ($URL)"
  (cd "$SUNSU_ROOT" && NODE_OPTIONS="--import=$SUNSU_ROOT/tests/cluster/resolve-hosts.mjs" E2E_BASE_URL="$URL" \
    E2E_REPORT="$reports/playwright-cluster.json" E2E_OUTPUT="$SUNSU_RUN/e2e-artifacts/cluster" \
    npx playwright test --config e2e/playwright.config.ts specs/chat.spec.ts specs/room-list.spec.ts) || failed+=("playwright through the ingress")
  log "failover tests against the pods (tests/cluster)"
  (cd "$SUNSU_ROOT" && NODE_OPTIONS="--import=$SUNSU_ROOT/tests/cluster/resolve-hosts.mjs" CLUSTER_E2E_URL="$URL" \
    CLUSTER_E2E_NAMESPACE="$NS" CLUSTER_E2E_RELEASE="$RELEASE" CLUSTER_E2E_DB="$DB" \
    node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects cluster --runInBand \
      --json --outputFile="$reports/jest-cluster.json") || failed+=("cluster failover tests")
  if [ ${#failed[@]} -gt 0 ]; then log "FAILED: ${failed[*]}"; return 1; fi
}

# Uninstall and prove nothing is left: no pod, Service, Job or ChatCluster in the namespace, no kube-proxy rule
# for its Services, no pod of the operator.
down() {
  local problems=()
  helm uninstall "$RELEASE" -n "$NS" --wait --timeout 180s >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 120)) left
  while :; do
    left="$(kubectl -n "$NS" get pods,services,jobs,deployments,chatclusters --no-headers -o name 2>/dev/null | grep -v '^service/kubernetes$' || true)"
    [ -z "$left" ] && break
    [ $SECONDS -ge $deadline ] && { problems+=("left in $NS: $(echo "$left" | tr '\n' ' ')"); break; }
    sleep 1
  done
  helm uninstall "$OP_RELEASE" -n "$OP_NS" --wait --timeout 120s >/dev/null 2>&1 || true
  deadline=$((SECONDS + 60))
  while [ -n "$(kubectl -n "$OP_NS" get pods --no-headers -o name 2>/dev/null)" ]; do
    [ $SECONDS -ge $deadline ] && { problems+=("operator pods left in $OP_NS"); break; }
    sleep 1
  done
  # kube-proxy removes a Service's rules within its sync period once the Service is gone.
  deadline=$((SECONDS + 30))
  while iptables-save 2>/dev/null | grep -q -- "$NS/"; do
    [ $SECONDS -ge $deadline ] && { problems+=("iptables rules for $NS: $(iptables-save | grep -c -- "$NS/")"); break; }
    sleep 1
  done
  kubectl delete namespace "$NS" "$OP_NS" --wait=false >/dev/null 2>&1 || true
  if [ ${#problems[@]} -gt 0 ]; then log "uninstall left things behind: ${problems[*]}"; return 1; fi
  log "uninstalled: no pod, Service, Job or iptables rule of $NS left"
}

case "${1:-all}" in
  up) up ;;
  test) run_tests ;;
  down) down ;;
  all)
    # Each phase in its own process: inside `f || …` bash ignores `set -e`, so a failed step would not stop `up`.
    rc=0
    bash "${BASH_SOURCE[0]}" up || rc=$?
    [ $rc -eq 0 ] && { bash "${BASH_SOURCE[0]}" test || rc=$?; }
    bash "${BASH_SOURCE[0]}" down || rc=1
    exit $rc
    ;;
  url) echo "$URL" ;;
  *) die "usage: $0 up|test|down|all|url" ;;
esac
