#!/usr/bin/env bash
# kubectl for the tests of deploy/kubernetes/ (they render every overlay with
# `kubectl kustomize`): Debian's kubectl package, which has kustomize built in. Installs
# it with apt-get when kubectl is missing and this runs as root; otherwise says what to
# do. With CI=true a missing kubectl fails the run (outside CI the Kubernetes tests are
# skipped instead).
set -uo pipefail
KUBECTL=${SHRE_KUBECTL:-kubectl}
in_ci() { [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; }

version() { "$KUBECTL" version --client 2>&1 | tr '\n' ' '; }

if command -v "$KUBECTL" >/dev/null; then
  echo "kubectl: $(version)"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "kubectl: not installed; installing Debian's kubectl (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  apt_install() { apt-get install -y -qq --no-install-recommends kubectl >"$log" 2>&1; }
  if apt_install || { apt-get update -qq >/dev/null 2>&1 && apt_install; }; then
    rm -f "$log"
    echo "kubectl: $(version)"
    exit 0
  fi
  if grep -qE "Unable to locate package|has no installation candidate|is not available" "$log"; then
    rm -f "$log"
    echo "kubectl: ERROR: apt has no 'kubectl' package here: add an apt source that has it" \
      "(Debian's archive), or install kubectl 1.30+ by hand" >&2
    exit 1
  fi
  echo "kubectl: apt-get install kubectl failed:" >&2
  tail -n 5 "$log" >&2
  rm -f "$log"
fi
if in_ci; then
  echo "kubectl: ERROR: kubectl is missing and could not be installed (CI=true: failing)" >&2
  exit 1
fi
echo "kubectl: WARNING: kubectl is missing (apt-get install kubectl); the Kubernetes tests will be skipped" >&2
exit 0
