#!/usr/bin/env bash
# Rolls out new images on the staging host, in dependency order:
#   pull → Redis → migrations → backends → wait for health → gateway →
#   web/docs → final check through the gateway.
# A service that does not become healthy goes back to the tag it ran before
# and the script exits non-zero.
#
#   deploy.sh TAG [SERVICE...]
#
# TAG is the image tag to roll out (the commit the pipeline built); SERVICES
# are the affected ones among gateway order print shipping gridflock slicer
# web docs (all of them when none is named). Run it from anywhere; it works in
# its own directory, next to docker-compose.yml and .env.
#
# Environment: HEALTH_TIMEOUT (seconds per service, default 180),
# HEALTH_INTERVAL (seconds between polls, default 3), GATEWAY_HEALTH_URL
# (the final check; required unless set in .env).
#
# The tag each service runs is kept in .deployed-tags (KEY_IMAGE_TAG=tag
# lines). Every compose call sees those tags exported, so a service that is
# not part of this rollout keeps its tag even though .env is never edited.
set -euo pipefail

cd "$(dirname "$0")"

readonly ALL_SERVICES=(gateway order print shipping gridflock slicer web docs)
readonly BACKENDS=(slicer order print shipping gridflock)
# Migrations in the order the schemas may come to depend on each other's
# events; slicer-service keeps no state.
readonly MIGRATING=(order print shipping gridflock gateway)
readonly STATE_FILE=.deployed-tags

log() { printf '%s deploy: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Reads KEY from .env (first match) without sourcing the file: values may
# hold spaces or characters the shell would interpret.
env_file_value() {
  [[ -f .env ]] || return 0
  sed -n "s/^$1=//p" .env | head -n 1
}

HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-$(env_file_value HEALTH_TIMEOUT)}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-180}
HEALTH_INTERVAL=${HEALTH_INTERVAL:-$(env_file_value HEALTH_INTERVAL)}
HEALTH_INTERVAL=${HEALTH_INTERVAL:-3}
GATEWAY_HEALTH_URL=${GATEWAY_HEALTH_URL:-$(env_file_value GATEWAY_HEALTH_URL)}

tag_var() { printf '%s_IMAGE_TAG' "${1^^}"; }

contains() {
  local needle=$1
  shift
  local item
  for item in "$@"; do
    [[ $item == "$needle" ]] && return 0
  done
  return 1
}

compose() { docker compose "$@"; }

# The tag a service's container runs now, read from the container itself so
# that it is right even when .deployed-tags is missing or stale; empty when
# the service has no container yet (first deploy).
running_tag() {
  local id image
  id=$(compose ps -a -q "$1" 2>/dev/null || true)
  [[ -n $id ]] || return 0
  image=$(docker inspect --format '{{.Config.Image}}' "$id" 2>/dev/null || true)
  [[ $image == *:* ]] && printf '%s' "${image##*:}"
  return 0
}

# Rewrites one KEY=value line of the state file.
record_tag() {
  local key=$1 value=$2 tmp
  tmp=$(mktemp "$STATE_FILE.XXXXXX")
  if [[ -f $STATE_FILE ]]; then
    grep -v "^$key=" "$STATE_FILE" >"$tmp" || true
  fi
  printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv "$tmp" "$STATE_FILE"
}

# Polls the container's health until healthy, unhealthy or HEALTH_TIMEOUT.
wait_healthy() {
  local service=$1 id status deadline
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  while :; do
    id=$(compose ps -a -q "$service" 2>/dev/null || true)
    status=
    if [[ -n $id ]]; then
      status=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || true)
    fi
    case $status in
      healthy) log "$service is healthy"; return 0 ;;
      unhealthy | exited | dead) log "$service is $status"; return 1 ;;
    esac
    if ((SECONDS >= deadline)); then
      log "$service not healthy after ${HEALTH_TIMEOUT}s (last status: ${status:-none})"
      return 1
    fi
    sleep "$HEALTH_INTERVAL"
  done
}

# Puts SERVICE back on the tag it ran before this rollout.
roll_back() {
  local service=$1 var previous
  var=$(tag_var "$service")
  previous=${PREVIOUS[$service]:-}
  if [[ -z $previous ]]; then
    log "$service had no earlier container: nothing to roll back to; stopping it"
    compose stop "$service" || true
    return 0
  fi
  log "rolling $service back to $previous"
  export "$var=$previous"
  compose up -d --no-deps "$service"
  record_tag "$var" "$previous"
  wait_healthy "$service" || log "$service is not healthy on $previous either"
}

# Starts SERVICES (already on their new tags), waits for each, and rolls
# back every one that fails; returns 1 when any failed.
start_and_check() {
  local service failed=()
  [[ $# -gt 0 ]] || return 0
  compose up -d --no-deps "$@"
  for service in "$@"; do
    if wait_healthy "$service"; then
      record_tag "$(tag_var "$service")" "$NEW_TAG"
    else
      failed+=("$service")
    fi
  done
  for service in "${failed[@]}"; do
    roll_back "$service"
  done
  [[ ${#failed[@]} -eq 0 ]]
}

# Keeps from SET only the affected services, in SET's order.
affected_among() {
  local service
  for service in "$@"; do
    if contains "$service" "${TARGETS[@]}"; then
      printf '%s\n' "$service"
    fi
  done
}

[[ $# -ge 1 ]] || die "usage: deploy.sh TAG [SERVICE...]"
readonly NEW_TAG=$1
shift
[[ $NEW_TAG =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "not an image tag: $NEW_TAG"
if [[ $# -gt 0 ]]; then
  TARGETS=("$@")
else
  TARGETS=("${ALL_SERVICES[@]}")
fi
for service in "${TARGETS[@]}"; do
  contains "$service" "${ALL_SERVICES[@]}" || die "unknown service $service (one of: ${ALL_SERVICES[*]})"
done
[[ -n $GATEWAY_HEALTH_URL ]] || die "GATEWAY_HEALTH_URL is not set (environment or .env)"

# Tags of the last rollout first, so that untouched services keep theirs.
if [[ -f $STATE_FILE ]]; then
  while IFS='=' read -r key value; do
    [[ $key =~ ^[A-Z]+_IMAGE_TAG$ && -n $value ]] && export "$key=$value"
  done <"$STATE_FILE"
fi

declare -A PREVIOUS=()
for service in "${TARGETS[@]}"; do
  PREVIOUS[$service]=$(running_tag "$service")
  # Services that already run keep their current tag in every compose call
  # until their own turn comes.
  if [[ -n ${PREVIOUS[$service]} ]]; then
    export "$(tag_var "$service")=${PREVIOUS[$service]}"
  fi
  log "$service: ${PREVIOUS[$service]:-not running} -> $NEW_TAG"
done

use_new_tag() {
  local service
  for service in "$@"; do
    export "$(tag_var "$service")=$NEW_TAG"
  done
}

mapfile -t backends < <(affected_among "${BACKENDS[@]}")
mapfile -t migrating < <(affected_among "${MIGRATING[@]}")
mapfile -t frontends < <(affected_among web docs)

log "pulling ${TARGETS[*]}"
use_new_tag "${TARGETS[@]}"
compose pull "${TARGETS[@]}"
# Back to the running tags: only the steps below move a service forward.
for service in "${TARGETS[@]}"; do
  if [[ -n ${PREVIOUS[$service]} ]]; then
    export "$(tag_var "$service")=${PREVIOUS[$service]}"
  fi
done

log "starting Redis and Traefik"
compose up -d --no-deps redis traefik
wait_healthy redis || die "Redis is not healthy"

for service in "${migrating[@]}"; do
  log "migrating $service"
  use_new_tag "$service"
  compose run --rm --no-deps "$service" migrate || die "migrations of $service failed; nothing was restarted"
done

status=0
if [[ ${#backends[@]} -gt 0 ]]; then
  log "starting ${backends[*]}"
  use_new_tag "${backends[@]}"
  start_and_check "${backends[@]}" || status=1
fi
((status == 0)) || die "backend health check failed; rolled back, gateway and web not touched"

if contains gateway "${TARGETS[@]}"; then
  log "starting gateway"
  use_new_tag gateway
  start_and_check gateway || die "gateway health check failed; rolled back"
fi

if [[ ${#frontends[@]} -gt 0 ]]; then
  log "starting ${frontends[*]}"
  use_new_tag "${frontends[@]}"
  start_and_check "${frontends[@]}" || die "web/docs health check failed; rolled back"
fi

compose up -d --no-deps uptime-kuma dozzle

log "final check: $GATEWAY_HEALTH_URL"
deadline=$((SECONDS + HEALTH_TIMEOUT))
until curl -fsS --max-time 10 -o /dev/null "$GATEWAY_HEALTH_URL"; do
  if ((SECONDS >= deadline)); then
    log "the gateway does not report every service healthy; rolling back ${TARGETS[*]}"
    for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do
      roll_back "${TARGETS[i]}"
    done
    exit 1
  fi
  sleep "$HEALTH_INTERVAL"
done
log "deployed $NEW_TAG: ${TARGETS[*]}"
