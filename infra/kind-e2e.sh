#!/usr/bin/env bash
# `make kind-e2e`: the same end-to-end install as infra/cluster-e2e.sh (which runs on the project's own real node
# in `make test`), on a machine with Docker and kind instead. Shared with that path: the one ./Dockerfile, the
# charts, infra/k8s/e2e-values.yaml and the `helm test` hooks; the backing servers run as in-cluster Deployments
# (infra/kind/backing.yaml) from public images. Not runnable on the project's development machines (no Docker).
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
# image name : SERVICE : workspace directory : port — the same table as infra/images.sh.
for spec in chat-server:chat-server:services/chat-server:8080 dispatcher:dispatcher:services/dispatcher:9091 \
            syncer:syncer:services/syncer:9092 chat-operator:operator:operator:8081; do
  IFS=: read -r name svc dir port <<<"$spec"
  log "docker build sunsu/$name:$tag"
  docker build -q --build-arg SERVICE="$svc" --build-arg SERVICE_DIR="$dir" --build-arg PORT="$port" -t "sunsu/$name:$tag" . >/dev/null
done
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
for name in chat-server dispatcher syncer chat-operator; do kind load docker-image --name "$cluster" "sunsu/$name:$tag"; done
ctx="kind-$cluster"
kubectl --context "$ctx" create namespace "$ns" --dry-run=client -o yaml | kubectl --context "$ctx" apply -f - >/dev/null
kubectl --context "$ctx" -n "$ns" apply -f infra/kind/backing.yaml
kubectl --context "$ctx" -n "$ns" wait --for=condition=Available deploy --all --timeout=300s

helm --kube-context "$ctx" upgrade --install chat-operator charts/chat-operator -n sunsu-system --create-namespace \
  --set image.repository=sunsu/chat-operator --set image.tag="$tag" --set image.pullPolicy=Never --wait --timeout 180s
# The operator runs in sunsu-system and creates the topics itself: the Kafka address must resolve from there.
helm --kube-context "$ctx" upgrade --install chat charts/chat-cluster -n "$ns" -f infra/k8s/e2e-values.yaml \
  --set image.registry=sunsu --set image.tag="$tag" --set image.pullPolicy=Never \
  --set kafka.bootstrapServers="kafka.$ns.svc.cluster.local:9092" \
  --set secrets.create=false --set ingress.enabled=false \
  --set redis.urlSecretRef.name=chat-connections --set mongo.urlSecretRef.name=chat-connections \
  --set postgres.urlSecretRef.name=chat-connections --set auth.jwtSecretRef.name=chat-connections
kubectl --context "$ctx" -n "$ns" wait --for=condition=Ready chatcluster/chat --timeout=600s \
  || { kubectl --context "$ctx" -n "$ns" describe chatcluster chat; kubectl --context "$ctx" -n "$ns" get pods; die "ChatCluster not Ready"; }
kubectl --context "$ctx" get chatclusters -A
helm --kube-context "$ctx" test chat -n "$ns" --timeout 300s
helm --kube-context "$ctx" test chat-operator -n sunsu-system --timeout 120s
log "kind e2e passed"
