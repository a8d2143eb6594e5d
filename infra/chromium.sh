#!/usr/bin/env bash
# Debian's Chromium for Playwright (playwright-core drives /usr/bin/chromium; browser downloads fail here).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  apt_install chromium fonts-liberation
fi
log "chromium: $("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null)"
