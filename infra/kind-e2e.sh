#!/usr/bin/env bash
# `make kind-e2e`: the real thing on a machine with Docker and kind (NOT runnable on the project's development
# machines, which have no container engine; there `make test` covers the operator against a local control plane).
# Builds the four images, creates a kind cluster, loads the images, installs backing servers, both charts, and
# waits until the ChatCluster is Ready with real pods passing their readiness probes; then `helm test`.
# Usage: kind-e2e.sh [--keep]   (KIND_CLUSTER=sunsu-e2e, IMAGE_TAG=e2e)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cluster="${KIND_CLUSTER:-sunsu-e2e}"
tag="${IMAGE_TAG:-e2e}"
ns=sunsu-e2e
for bin in docker kind helm kubectl; do command -v "$bin" >/dev/null || die "kind-e2e needs $bin on PATH (Docker engine + kind); not available on the dev machines"; done
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

cleanup() { [ "${1:-}" = "--keep" ] || kind delete cluster --name "$cluster" >/dev/null 2>&1 || true; }
trap 'cleanup "${KEEP:-}"' EXIT
[ "${1:-}" = "--keep" ] && KEEP=--keep

cd "$SUNSU_ROOT"
for img in chat-server:services/chat-server dispatcher:services/dispatcher syncer:services/syncer chat-operator:operator; do
  log "docker build sunsu/${img%%:*}:$tag"
  docker build -q -f "${img#*:}/Dockerfile" -t "sunsu/${img%%:*}:$tag" . >/dev/null
done
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
for img in chat-server dispatcher syncer chat-operator; do kind load docker-image --name "$cluster" "sunsu/$img:$tag"; done
ctx="kind-$cluster"
kubectl --context "$ctx" create namespace "$ns" --dry-run=client -o yaml | kubectl --context "$ctx" apply -f - >/dev/null
kubectl --context "$ctx" -n "$ns" apply -f infra/kind/backing.yaml
kubectl --context "$ctx" -n "$ns" wait --for=condition=Available deploy --all --timeout=300s

helm --kube-context "$ctx" upgrade --install chat-operator charts/chat-operator -n sunsu-system --create-namespace \
  --set image.repository=sunsu/chat-operator --set image.tag="$tag" --set image.pullPolicy=Never --wait --timeout 180s
helm --kube-context "$ctx" upgrade --install chat charts/chat-cluster -n "$ns" \
  --set image.registry=sunsu --set image.tag="$tag" --set image.pullPolicy=Never \
  --set kafka.bootstrapServers=kafka:9092 \
  --set redis.urlSecretRef.name=chat-connections --set mongo.urlSecretRef.name=chat-connections \
  --set postgres.urlSecretRef.name=chat-connections --set auth.jwtSecretRef.name=chat-connections
kubectl --context "$ctx" -n "$ns" wait --for=condition=Ready chatcluster/chat --timeout=600s \
  || { kubectl --context "$ctx" -n "$ns" describe chatcluster chat; kubectl --context "$ctx" -n "$ns" get pods; die "ChatCluster not Ready"; }
kubectl --context "$ctx" get chatclusters -A
helm --kube-context "$ctx" test chat -n "$ns" --timeout 300s
helm --kube-context "$ctx" test chat-operator -n sunsu-system --timeout 120s
log "kind e2e passed"
