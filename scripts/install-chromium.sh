#!/usr/bin/env bash
# Installs what the tests need beyond cargo: Debian's headless-capable Chromium and its driver
# (tests/report_browser.rs, tests/login_browser.rs) and the openssl command (tests/tls_ca.rs):
#   scripts/install-chromium.sh
# Idempotent: does nothing when /usr/bin/chromium, /usr/bin/chromedriver and openssl are
# present. Otherwise installs the Debian packages `chromium`, `chromium-driver` and `openssl`
# with apt-get (non-interactive; through sudo when not run as root), plus `fonts-liberation`:
# without recommends a bare image may have no font at all and the screenshot would show no text.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x $CHROMIUM && -x $DRIVER ]] && command -v openssl >/dev/null 2>&1; then
    echo "chromium already installed: $CHROMIUM, $DRIVER; openssl: $(command -v openssl)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium.sh: apt-get not found; install Debian's chromium and chromium-driver by hand" >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-chromium.sh: not root and sudo not found" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    chromium chromium-driver fonts-liberation openssl

for f in "$CHROMIUM" "$DRIVER"; do
    if [[ ! -x $f ]]; then
        echo "install-chromium.sh: $f missing after install" >&2
        exit 1
    fi
done
"$CHROMIUM" --version 2>/dev/null || true
echo "chromium installed: $CHROMIUM, $DRIVER"
