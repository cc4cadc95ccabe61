#!/usr/bin/env bash
# Install the programs labgate's tests and demo run for real, from Debian's packages and npm.
#
#   PostgreSQL server   tests start their own cluster from /usr/lib/postgresql/*/bin
#   slapd, ldap-utils   tests start their own throwaway directory server
#   bubblewrap          the sandbox spawner
#   socat               unix-socket / TCP bridge
#   linux-libc-dev      kernel headers: a test checks the seccomp filter's syscall numbers
#   chromium            browser tests (Playwright drives /usr/bin/chromium)
#   nodejs, npm         only when node is missing
#   configurable-http-proxy   `npm ci` into ./node_modules (pinned in package-lock.json)
#
# A fast no-op when everything is present. Needs root (and Debian) only when something is
# missing. Exits non-zero, saying what is missing, when it cannot install it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

say() { printf 'system-deps: %s\n' "$*"; }
die() { printf 'system-deps: ERROR: %s\n' "$*" >&2; exit 1; }

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

# Each Debian package with the test that tells whether it is already there.
missing=()
have_postgres || missing+=(postgresql)
[ -x /usr/sbin/slapd ] || missing+=(slapd)
command -v ldapsearch >/dev/null || missing+=(ldap-utils)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v socat >/dev/null || missing+=(socat)
[ -f /usr/include/asm-generic/unistd.h ] || missing+=(linux-libc-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# npm: NodeSource's nodejs (what these machines have) bundles it and conflicts with Debian's
# npm package, so Debian's npm is asked for only when node is there and npm is not. A node
# installed here from Debian's nodejs comes without npm; that case is handled after the install.
if ! command -v node >/dev/null; then
  missing+=(nodejs)
elif ! command -v npm >/dev/null; then
  missing+=(npm)
fi

stop_system_slapd() {
  # Debian's slapd package starts a system server on port 389 when it can; the tests run
  # their own on random ports, so a system one only gets in the way.
  local pidfile=/run/slapd/slapd.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "stopping the system slapd that the package started"
    /etc/init.d/slapd stop >/dev/null 2>&1 || kill "$(cat "$pidfile")" || true
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  say "missing: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || die "not root: install them with
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null || die "no apt-get: this script installs Debian packages only.
    Install these by hand: ${missing[*]}"

  # Keep the packages' maintainer scripts from starting system services (slapd, a
  # PostgreSQL 'main' cluster): the tests start servers of their own.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# labgate install-system-deps.sh: start no services while installing\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  cleanup() { [ -z "$made_policy" ] || rm -f "$policy"; }
  trap cleanup EXIT

  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  apt-get update -qq || die "apt-get update failed: is Debian's package mirror reachable?"
  say "apt-get install -y ${missing[*]}"
  apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
  if ! command -v npm >/dev/null; then
    say "apt-get install -y npm"
    apt-get install -y -qq -o Dpkg::Use-Pty=0 npm || die "apt-get install failed for: npm"
  fi
  stop_system_slapd

  cleanup
  trap - EXIT

  # Check again: a package that installed but left no usable program is still a failure.
  have_postgres || die "postgresql installed but /usr/lib/postgresql/*/bin/initdb is absent"
  for prog in /usr/sbin/slapd ldapsearch bwrap socat /usr/bin/chromium node npm; do
    command -v "$prog" >/dev/null || die "$prog is still missing after the install"
  done
fi

# configurable-http-proxy, pinned by package-lock.json, into ./node_modules.
stamp=node_modules/.labgate-npm-ci
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "npm ci (configurable-http-proxy into ./node_modules)"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed: is the npm registry reachable?"
  touch "$stamp"
fi
[ -x node_modules/.bin/configurable-http-proxy ] \
  || die "node_modules/.bin/configurable-http-proxy is missing after npm ci"

say "ok: postgresql, slapd, ldap-utils, bubblewrap, socat, linux-libc-dev, chromium, node $(node --version), configurable-http-proxy $(node_modules/.bin/configurable-http-proxy --version)"
