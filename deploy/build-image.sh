#!/usr/bin/env bash
# Builds the relay image with podman, as CI does: from a registry's debian:bookworm-slim when one
# can be pulled, else from a base image made with debootstrap (needs root, ~25 s).
#   deploy/build-image.sh [IMAGE_NAME]        (default framecast-relay)
# Measured on this project's CI machine: podman needs --runtime runc (crun refuses its hybrid
# cgroups), ulimits at or below the host's, and the host's CA bundle mounted for npm (at
# /run/host-certs: over /etc/ssl/certs it would stop the image's ca-certificates from installing).
# --format docker: the OCI format has no HEALTHCHECK.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${1:-framecast-relay}"
BASE_LOCAL=localhost/framecast-bookworm-minbase
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

if timeout 30 "${PODMAN[@]}" pull -q docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
  BASE=docker.io/library/debian:bookworm-slim
elif "${PODMAN[@]}" image exists "$BASE_LOCAL"; then
  BASE="$BASE_LOCAL"
else
  ROOTFS="$(mktemp -d)"
  trap 'rm -rf "$ROOTFS"' EXIT
  debootstrap --variant=minbase bookworm "$ROOTFS" >/dev/null
  tar -C "$ROOTFS" -c . | "${PODMAN[@]}" import - "$BASE_LOCAL" >/dev/null
  BASE="$BASE_LOCAL"
fi
"${PODMAN[@]}" build -q --format docker "${LIMITS[@]}" -v /etc/ssl/certs:/run/host-certs:ro \
  --build-arg "BASE=$BASE" -f deploy/Containerfile -t "$IMAGE" .
