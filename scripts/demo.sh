#!/usr/bin/env bash
# The demo: validate and list the example templates (issue 5 extends it to serve and sync).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "Validating the example templates (template-registry validate)"
template-registry validate

step "Listing them (template-registry list)"
template-registry list

step "Done."
