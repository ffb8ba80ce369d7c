#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing:
#   a CJK font (PDF letters and screenshots), graphviz (workflow diagrams),
#   chromium (browser journeys, tests only); with --bench, wrk (the throughput benchmark).
# With --optional (make run), a failure only warns: the app runs without them.
set -u
optional=0
bench=0
[ "${1:-}" = "--optional" ] && optional=1
[ "${1:-}" = "--bench" ] && bench=1
need=()
if [ $bench -eq 1 ]; then
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
fc-list 2>/dev/null | grep -qi -E "Noto Sans CJK|WenQuanYi" || need+=(fonts-noto-cjk)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if [ $optional -eq 0 ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  if [ $optional -eq 1 ]; then
    echo "warning: could not install ${need[*]}; PDF letters or diagrams may fall back." >&2
    exit 0
  fi
  echo "error: could not install ${need[*]}" >&2
  exit 1
fi
