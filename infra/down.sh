#!/usr/bin/env bash
# `make down`: stop the platform's services, the local Kubernetes cluster if it runs (with its full teardown:
# pods, iptables, bridge, mounts), then the backing servers, each by its pid file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
cluster_parts=" etcd kube-apiserver kube-controller-manager kube-scheduler kwok containerd kubelet kube-proxy "
cluster=0
for f in "$SUNSU_PIDS"/*.pid; do
  [ -e "$f" ] || continue
  name="$(basename "$f" .pid)"
  if [[ "$cluster_parts" == *" $name "* ]]; then cluster=1; continue; fi
  case "$name" in redis|postgres|kafka|ferretdb|s3) ;; *) stop_pid "$name" 15 ;; esac
done
[ $cluster -eq 1 ] && bash "$here/cluster.sh" stop
bash "$here/servers.sh" stop
