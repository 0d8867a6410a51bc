#!/usr/bin/env bash
# The one test command: installs what the tests need when it is missing, then runs every test.
#   ./test.sh            all tests
#   ./test.sh --filter X passes extra arguments to `dotnet test`
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3) # parses the documentation's Python blocks
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

command -v node >/dev/null 2>&1 || { echo "test.sh: node (20 or newer) is required for the TypeScript SDK tests" >&2; exit 1; }
# The official TypeScript SDK, and TypeScript to type-check the documentation's TypeScript blocks against it.
if [ ! -d tests/sdk-js/node_modules/@anthropic-ai/sdk ] || [ ! -d tests/sdk-js/node_modules/typescript ]; then
  echo "test.sh: installing the official TypeScript SDK and TypeScript (npm ci)"
  (cd tests/sdk-js && npm ci --no-audit --no-fund --loglevel=error)
fi

# Each run its own log, removed on exit: two runs at once (two worktrees, CI jobs) must not mix their counts.
log=$(mktemp "${TMPDIR:-/tmp}/claudecache-test.XXXXXX")
trap 'rm -f "$log"' EXIT

dotnet build ClaudeCache.slnx -c Release --nologo -v quiet
set +e
dotnet test ClaudeCache.slnx -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain summary line for CI: "N passed, N failed".
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i+1); if ($i == "Failed:") f += $(i+1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"

exit "$status"
