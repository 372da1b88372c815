#!/bin/sh
# As in the official image: arguments that start with "-" are Envoy's; $loglevel sets the log level;
# Envoy runs as the user `envoy` unless ENVOY_UID=0 (or the container already runs unprivileged).
set -e
case "${1:-}" in -*) set -- envoy "$@" ;; esac
if [ "$1" = envoy ] && [ -n "${loglevel:-}" ]; then
  shift
  set -- envoy --log-level "$loglevel" "$@"
fi
if [ "$(id -u)" = 0 ] && [ "${ENVOY_UID:-101}" != 0 ]; then
  exec setpriv --reuid "${ENVOY_UID:-101}" --regid "${ENVOY_GID:-101}" --clear-groups "$@"
fi
exec "$@"
