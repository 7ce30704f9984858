#!/usr/bin/env bash
# The README's test command, and what .ci/run runs: installs what the tests need beyond
# cargo (Debian's chromium and chromium-driver, for the report's browser check and the browser
# login driver; openssl, for the private-CA test), then runs every test of the workspace with
# every feature (the browser login driver is behind `browser`). install-foreign.sh installs the
# foreign targets of tests/foreign_targets.rs (pinned npm and PyPI packages).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-chromium.sh
scripts/install-foreign.sh
cargo test --workspace --all-features
