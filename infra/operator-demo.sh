#!/usr/bin/env bash
# `make operator-demo`: the local control plane, both Helm charts, and a ChatCluster that becomes Ready.
# The chart's images are not built here: the demo's namespaces send their pods to the KWOK-simulated node (node
# selector + toleration by namespace annotation), and the reconciler itself runs as a local process with the token of
# the chart's ServiceAccount (exactly the RBAC a pod would have).
# Usage: operator-demo.sh start|stop
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
name=operator-demo
op_ns="${DEMO_OPERATOR_NAMESPACE:-sunsu-system}"
app_ns="${DEMO_NAMESPACE:-sunsu-demo}"
brokers="${CHAT_KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
sa_kubeconfig="$SUNSU_RUN/operator-demo.kubeconfig"

simulated_namespace() { # pods of this namespace land on the KWOK node (PodNodeSelector, PodTolerationRestriction)
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $1
  annotations:
    scheduler.alpha.kubernetes.io/node-selector: type=kwok
    scheduler.alpha.kubernetes.io/defaultTolerations: '[{"key":"sunsu.dev/simulated","operator":"Exists","effect":"NoSchedule"}]'
YAML
}

case "${1:-start}" in
  start)
    use_project_node
    bash "$here/cluster.sh" start
    eval "$(bash "$here/cluster.sh" env)"
    bash "$here/kafka.sh" status | grep -q running || bash "$here/kafka.sh" start
    simulated_namespace "$op_ns"
    simulated_namespace "$app_ns"
    log "helm install chat-operator into $op_ns"
    helm upgrade --install chat-operator "$SUNSU_ROOT/charts/chat-operator" -n "$op_ns" --create-namespace --set image.tag=dev >/dev/null
    # The reconciler as the chart's ServiceAccount (a 24 h token from the TokenRequest API).
    token="$(kubectl -n "$op_ns" create token chat-operator --duration 24h)"
    server="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
    cat >"$sa_kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$server", insecure-skip-tls-verify: true}}]
users: [{name: chat-operator, user: {token: "$token"}}]
contexts: [{name: operator, context: {cluster: local, user: chat-operator}}]
current-context: operator
KC
    chmod 600 "$sa_kubeconfig"
    if ! is_running $name; then
      cd "$SUNSU_ROOT"
      # The pid file must name node itself (not a wrapping subshell), so `stop` ends the right process. It watches
      # only the demo namespace, so it stays out of the way of the integration tests on the same API server.
      KUBECONFIG="$sa_kubeconfig" OPERATOR_IDENTITY="local-$(hostname)" OPERATOR_LEASE_NAMESPACE="$op_ns" \
        OPERATOR_WATCH_NAMESPACE="$app_ns" OPERATOR_HTTP_PORT="${OPERATOR_HTTP_PORT:-18091}" nohup node operator/src/main.ts >>"$SUNSU_LOGS/$name.log" 2>&1 </dev/null &
      echo $! >"$(pidfile $name)"
    fi
    wait_for $name 30 port_open "${OPERATOR_HTTP_PORT:-18091}" || die "the operator did not start, see $SUNSU_LOGS/$name.log"
    log "helm install chat-cluster 'demo' into $app_ns (Kafka $brokers)"
    helm upgrade --install demo "$SUNSU_ROOT/charts/chat-cluster" -n "$app_ns" --create-namespace \
      --set kafka.bootstrapServers="$brokers" --set secrets.create=true \
      --set secrets.values.redisUrl="redis://redis.example:6379" --set secrets.values.mongoUrl="mongodb://mongo.example:27017/sunsu" \
      --set secrets.values.postgresUrl="postgres://chat@postgres.example:5432/sunsu" \
      --set secrets.values.jwtSecret="demo-secret-0123456789abcdef0123456789" >/dev/null
    kubectl -n "$app_ns" wait --for=condition=Ready chatcluster/demo --timeout=120s >/dev/null \
      || { kubectl -n "$app_ns" describe chatcluster demo; die "the ChatCluster did not become Ready"; }
    echo
    kubectl get chatclusters -A
    echo
    kubectl -n "$app_ns" get deployments,services,configmaps,poddisruptionbudgets -l app.kubernetes.io/managed-by=chat-operator
    echo
    log "operator log: $SUNSU_LOGS/$name.log, metrics: http://127.0.0.1:${OPERATOR_HTTP_PORT:-18091}/metrics"
    log "try: eval \"\$(bash infra/cluster.sh env)\"; helm upgrade demo charts/chat-cluster -n $app_ns --reuse-values --set chatServer.replicas=4; kubectl get chatclusters -A -w"
    log "stop: make operator-demo-down (the control plane keeps running: make cluster-down)"
    ;;
  stop)
    stop_pid $name 30
    if bash "$here/cluster.sh" status | grep -q running; then
      eval "$(bash "$here/cluster.sh" env)"
      helm uninstall demo -n "$app_ns" --ignore-not-found >/dev/null || true
      helm uninstall chat-operator -n "$op_ns" --ignore-not-found >/dev/null || true
    fi
    rm -f "$sa_kubeconfig"
    ;;
  *) die "usage: $0 start|stop" ;;
esac
