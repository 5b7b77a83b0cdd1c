#!/usr/bin/env bash
# Installs the pinned AsyncAPI parser (npm ci, once) and validates the document given.
# Needs Node 20 and npm; used by the schemas module's verify phase.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d node_modules/@asyncapi/parser ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node validate.mjs "$1"
