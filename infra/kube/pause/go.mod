module sunsu.dev/infra/kube/pause

go 1.26.8
