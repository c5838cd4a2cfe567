#!/usr/bin/env bash
# Installs the Debian packages the e2e tests run for real (nginx for the traffic tests, Alertmanager
# for the notification tests) when their binaries are missing. Needs root (or sudo) and apt; fails
# loudly otherwise, naming what is missing.
set -euo pipefail

# binary -> package
declare -A PACKAGES=(
  [/usr/sbin/nginx]=nginx-light
  [/usr/bin/prometheus-alertmanager]=prometheus-alertmanager
)

missing=()
for bin in "${!PACKAGES[@]}"; do
  [ -x "$bin" ] || missing+=("${PACKAGES[$bin]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    echo "ensure-debian-packages: ${missing[*]} missing and neither root nor sudo is available; install them with apt-get" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian-packages: ${missing[*]} missing and apt-get is not available; install them by hand" >&2
  exit 1
fi

echo "ensure-debian-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists: update only when the install cannot find them.
if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/tripline-apt.log 2>&1; then
  "${as_root[@]}" apt-get update >>/tmp/tripline-apt.log 2>&1 || true
  if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/tripline-apt.log 2>&1; then
    tail -20 /tmp/tripline-apt.log >&2
    echo "ensure-debian-packages: apt-get install ${missing[*]} failed; see /tmp/tripline-apt.log" >&2
    exit 1
  fi
fi
# Debian starts services on install where an init system runs; the tests start their own instances.
for svc in nginx prometheus-alertmanager; do
  "${as_root[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
