#!/usr/bin/env bash
# Installs what the test suite needs besides the .NET SDK, with apt-get, when it is missing. Each line at the end
# names one program the tests run and the Debian package that provides it. The tests start their own servers on
# free 127.0.0.1 ports and stop them afterwards; nothing is left running.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
updated=0

# ensure <path-or-command> <debian-package>
ensure() {
  local program="$1" package="$2"
  if command -v "$program" >/dev/null 2>&1 || [ -x "$program" ]; then
    echo "$package present"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "$program is missing and this user cannot install packages: install it (apt-get install $package) and rerun." >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$program is missing and apt-get is not available: install $package with your package manager." >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "$updated" -eq 0 ]; then $SUDO apt-get update -qq; updated=1; fi
  $SUDO apt-get install -y -qq "$package" >/dev/null
  # A Debian package may start a system service on its default port; the tests do not use it.
  echo "$package installed"
}

ensure redis-server redis-server
ensure chromium chromium
ensure /usr/lib/postgresql/15/bin/postgres postgresql

