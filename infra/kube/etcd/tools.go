//go:build tools

// Package tools pins the etcd server this wrapper builds (see infra/cluster.sh).
package tools

import _ "go.etcd.io/etcd/server/v3"
