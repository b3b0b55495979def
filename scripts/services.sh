#!/usr/bin/env bash
# Installs the test servers of the connector tests from npm into .cache/services (or
# $STRM_SERVICES_DIR) and prints that directory: @20minutes/s3rver 4, an S3 server that checks
# SigV4 signatures (5 needs Node.js 24; its CLI is lib/cli.js, npm links no bin for it), and
# azurite (Azure Blob Storage). Node.js and npm come from scripts/setup.sh. Safe to run
# again: installs only what is missing.
# Usage: bash scripts/services.sh            -> installs, prints the directory
#        bash scripts/services.sh --check    -> exit 1 if anything is missing (installs nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${STRM_SERVICES_DIR:-$(pwd)/.cache/services}
packages=("@20minutes/s3rver@4.0.4" "azurite@3.35.0")
entry_points=(node_modules/@20minutes/s3rver/lib/cli.js node_modules/.bin/azurite-blob)

missing=0
for e in "${entry_points[@]}"; do [[ -e $dir/$e ]] || missing=1; done
if ((missing)); then
  [[ ${1:-} == --check ]] && exit 1
  command -v npm > /dev/null || { echo "services: npm is missing (run scripts/setup.sh)" >&2; exit 1; }
  mkdir -p "$dir"
  [[ -f $dir/package.json ]] || echo '{"name": "strm-test-services", "private": true}' > "$dir/package.json"
  echo "services: installing ${packages[*]} into $dir" >&2
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
  for e in "${entry_points[@]}"; do
    [[ -e $dir/$e ]] || { echo "services: $dir/$e was not installed" >&2; exit 1; }
  done
fi
echo "$dir"
