# Sourced by the scripts/ensure-*.sh that install a Debian package a test suite needs.
#
#   apt_package LABEL PACKAGE   install PACKAGE with apt-get (as root, when apt-get is
#                               there; `apt-get update` once if the lists are stale);
#                               0 when installed, 1 when it could not be (said on stderr)
#   missing_tool LABEL MESSAGE  the end of a script whose tool is still missing: exit 1
#                               under CI=true (a missing tool is a failure there), else
#                               warn that the tests that need it will be skipped, exit 0

apt_package() {
  local label=$1 package=$2 log
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  _apt_install() { apt-get install -y -qq --no-install-recommends "$package" >"$log" 2>&1; }
  if _apt_install || { apt-get update -qq >/dev/null 2>&1 && _apt_install; }; then
    rm -f "$log"
    return 0
  fi
  if grep -qE "Unable to locate package|has no installation candidate|is not available" "$log"; then
    echo "$label: ERROR: apt has no '$package' package here: add Debian's main archive" \
      "to the apt sources, or install it by hand" >&2
  else
    echo "$label: apt-get install $package failed:" >&2
    tail -n 5 "$log" >&2
  fi
  rm -f "$log"
  return 1
}

missing_tool() {
  local label=$1 message=$2
  if [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; then
    echo "$label: ERROR: $message and could not be installed (CI=true: failing)" >&2
    exit 1
  fi
  echo "$label: WARNING: $message; the tests that need it will be skipped" >&2
  exit 0
}
