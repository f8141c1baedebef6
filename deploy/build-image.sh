#!/usr/bin/env bash
# Builds the cxr-explain runtime image with podman (or docker) from this host's release build, without a
# registry for the build stage: stages the binary, the Swift runtime libraries it links and the shipped model,
# then builds deploy/Containerfile.prebuilt on BASE (a Debian 12 image; default debian:bookworm-slim).
# Usage: deploy/build-image.sh [BASE] [TAG=cxr-explain:local]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-docker.io/library/debian:bookworm-slim}; tag=${2:-cxr-explain:local}
engine=$(command -v podman || command -v docker)
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
context=out/image-context; rm -rf "$context"; mkdir -p "$context/swift-runtime" "$context/models"
cp "$bin" "$context/cxr-explain"
ldd "$bin" | awk '$3 ~ /\/swift\// {print $3}' | xargs -I{} cp {} "$context/swift-runtime/"
cp sample-data/models/cxr-views-squeezenet.* "$context/models/"
"$engine" build ${CXR_IMAGE_BUILD_ARGS:-} --network host --build-arg BASE="$base" -f deploy/Containerfile.prebuilt -t "$tag" "$context"
echo "built $tag"
