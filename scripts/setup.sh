#!/usr/bin/env bash
# `npm run setup`: apt-installs what the test suite needs beyond node_modules (etcd, chromium, haproxy, nginx, ip, script) when missing; .ci/run uses it too.
#
# Debian/Ubuntu only (apt-get). sudo only when not root and sudo exists. On a machine without apt-get, or
# without root and sudo, it says what to install and exits 0: `npm test` then skips those suites and
# says so above its summary line. A failed apt-get is an error (exit 1).
set -euo pipefail

# command, package, and the test that needs it.
TOOLS=(
  "etcd|etcd-server|the etcd registry tests (etcd-flow, registry-contract, multi-host)"
  "chromium|chromium|the HTML report test (headless browser)"
  "haproxy|haproxy|the tests that run haproxy"
  "nginx|nginx|the tests that run nginx"
  "ip|iproute2|the multi-host and netns-faults tests (network namespaces; tc for lbx fault --net-*)"
  "nft|nftables|the netns-faults test's --net-loss on a kernel without netem"
  "script|bsdutils|the live view test (a pseudo-terminal)"
)
# Debian installs daemons under /usr/sbin, which is not on every user's PATH. (The setup test sets LBX_SETUP_SBIN to a directory of stubs.)
SBIN="${LBX_SETUP_SBIN-/usr/sbin:/sbin}"
has() { PATH="$PATH:$SBIN" command -v "$1" >/dev/null 2>&1; }
# Ubuntu's package installs chromium-browser; the browser test looks for either name.
found() { has "$1" || { [ "$1" = chromium ] && has chromium-browser; }; }

missing=()
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r tool package why <<<"$entry"
  if found "$tool"; then echo "setup: $tool found ($why)"; else missing+=("$package"); echo "setup: $tool missing: needs apt package $package ($why)"; fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: nothing to install"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: WARNING: no apt-get here; install ${missing[*]} (or their equivalents) yourself, or npm test skips the tests that need them" >&2
  exit 0
fi
as_root=()
# ${as_root[@]+…}: an empty array is "unbound" to set -u in bash before 4.4.
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "setup: WARNING: not root and no sudo; as root run: apt-get install -y ${missing[*]}" >&2
    exit 0
  fi
fi
# Ubuntu has no "chromium" deb (only chromium-browser, a snap wrapper): take what apt offers.
if [[ " ${missing[*]} " == *" chromium "* ]] && ! apt-cache show chromium >/dev/null 2>&1; then
  missing=("${missing[@]/#chromium/chromium-browser}")
fi

# The tests run haproxy and nginx themselves: keep apt from starting their system services (nginx would take port 80).
# policy-rc.d is Debian's switch for that (exit 101 = do not start); only ours is removed afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  ${as_root[@]+"${as_root[@]}"} sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  trap '${as_root[@]+"${as_root[@]}"} rm -f "$policy"' EXIT
fi

echo "setup: apt-get install ${missing[*]}"
${as_root[@]+"${as_root[@]}"} apt-get update -qq
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r tool package why <<<"$entry"
  found "$tool" || { echo "setup: $tool is still missing after installing $package" >&2; exit 1; }
done
echo "setup: installed ${missing[*]}"
