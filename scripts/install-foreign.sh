#!/usr/bin/env bash
# Installs the foreign targets of tests/foreign_targets.rs (tests/foreign/README.md): the
# pinned npm packages of oidc-provider (npm ci, from package-lock.json) and a Python venv
# with the pinned Authlib and Flask. Idempotent: a target already installed is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
foreign="$root/tests/foreign"

# Node.js and Python's venv come with this project's machines; a bare Debian gets them here.
apt_install() {
  command -v apt-get >/dev/null || { echo "install-foreign.sh: $* needed and apt-get not found" >&2; exit 1; }
  local sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@"
}
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
if [ ! -d "$foreign/oidc-provider/node_modules/oidc-provider" ]; then
  (cd "$foreign/oidc-provider" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -x "$foreign/authlib/.venv/bin/python" ] \
   || ! "$foreign/authlib/.venv/bin/python" -c 'import authlib, flask' 2>/dev/null; then
  rm -rf "$foreign/authlib/.venv"
  python3 -m venv "$foreign/authlib/.venv"
  "$foreign/authlib/.venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$foreign/authlib/requirements.txt"
fi
