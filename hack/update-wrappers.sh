#!/usr/bin/env bash
# Regenerates hack/kube/go.mod+go.sum and hack/etcd/go.mod+go.sum from the pinned versions in
# hack/versions.env. The replace list for k8s.io/kubernetes is derived from that version's own go.mod
# (every `k8s.io/X => ./staging/src/k8s.io/X` becomes `k8s.io/X => k8s.io/X v0.MINOR.PATCH`), never
# typed by hand. Run it only when bumping a version; commit the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

k8s_mod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
[ -f "$k8s_mod" ] || { echo "update-wrappers: cannot download k8s.io/kubernetes@${K8S_VERSION}" >&2; exit 1; }
staging_version="v0.${K8S_VERSION#v1.}"

cd "$here/kube"
rm -f go.mod go.sum
go mod init tripline.dev/hack/kube >/dev/null 2>&1
go mod edit -go="${GO_MIN_VERSION}"
go mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
count=0
while read -r mod; do
  go mod edit -replace="${mod}=${mod}@${staging_version}"
  count=$((count + 1))
done < <(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*#\1#p' "$k8s_mod")
[ "$count" -gt 0 ] || { echo "update-wrappers: no staging replaces found in $k8s_mod" >&2; exit 1; }
echo "update-wrappers: $count staging replaces mapped to $staging_version"
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" "k8s.io/kubernetes/cmd/kubectl@${K8S_VERSION}"
go mod tidy

cd "$here/etcd"
rm -f go.mod go.sum
go mod init tripline.dev/hack/etcd >/dev/null 2>&1
go mod edit -go="${GO_MIN_VERSION}"
go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
go mod tidy
echo "update-wrappers: done; commit hack/kube/go.* and hack/etcd/go.*"
