#!/usr/bin/env bash
# kubectl for the tests of deploy/kubernetes/ (they render every overlay with
# `kubectl kustomize`): Debian's kubectl package, which has kustomize built in. Installs
# it with apt-get when kubectl is missing and this runs as root; otherwise says what to
# do. With CI=true a missing kubectl fails the run (outside CI the Kubernetes tests are
# skipped instead).
set -uo pipefail
source "$(dirname "$0")/apt-package.sh"
KUBECTL=${SHRE_KUBECTL:-kubectl}

version() { "$KUBECTL" version --client 2>&1 | tr '\n' ' '; }

if command -v "$KUBECTL" >/dev/null; then
  echo "kubectl: $(version)"
  exit 0
fi
echo "kubectl: not installed; installing Debian's kubectl (apt-get)"
if apt_package kubectl kubectl; then
  echo "kubectl: $(version)"
  exit 0
fi
missing_tool kubectl "kubectl is missing (apt-get install kubectl)"
