#!/usr/bin/env bash
# Build the web chat client (web/src → web/public/dist/, git-ignored) that chat-server serves at `/`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node
(cd "$SUNSU_ROOT" && node web/src/build.ts) || die "building the web client failed"
