#!/usr/bin/env bash
# Installs what the test suite needs besides the .NET SDK: redis-server (the GuardedAI.Redis tests start their
# own instances on free 127.0.0.1 ports and stop them afterwards; nothing is left running).
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then
  echo "redis-server present: $(redis-server --version | head -n1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "redis-server is missing and this user cannot install packages: install it (apt-get install redis-server) and rerun." >&2
    exit 1
  fi
fi

if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
  # Debian's package may start a system service on 6379; the tests do not use it, so leave it as the system has it.
else
  echo "redis-server is missing and apt-get is not available: install Redis 6.2+ with your package manager." >&2
  exit 1
fi

redis-server --version | head -n1
