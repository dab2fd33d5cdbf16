#!/bin/sh
# runc-isolcpus node installer (run by the installer DaemonSet, host / at /host).
#   ISOLCPUS_ACTION   install (default) | uninstall
#   ISOLCPUS_RUNTIME  auto (default) | containerd | crio
#   ISOLCPUS_LABEL    node label set when ready (default runc-isolcpus.io/ready)
#   NODE_NAME         this node (downward API)
#   ISOLCPUS_SET_LABEL 1 (default) | 0: 0 leaves the node label alone (no API
#                     server to ask, as in the project's systemd guest)
# Idempotent: running it twice changes nothing the second time.  After the
# work it sleeps, so the DaemonSet pod stays Running as the node's marker.
set -eu

HOST=${ISOLCPUS_HOST:-/host}
SRC=${ISOLCPUS_SRC:-/opt/runc-isolcpus}
ACTION=${ISOLCPUS_ACTION:-install}
RUNTIME=${ISOLCPUS_RUNTIME:-auto}
LABEL_KEY=${ISOLCPUS_LABEL:-runc-isolcpus.io/ready}
SA=${ISOLCPUS_SA_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}
BIN=/usr/local/bin/runc-isolcpus
CTL=/usr/local/bin/runc-isolcpus-ctl
CONFIG=/etc/runc-isolcpus/config.toml
CRIO_DROPIN=/etc/crio/crio.conf.d/10-isolcpus.conf
CONTAINERD2_DROPIN=/etc/containerd/conf.d/10-isolcpus.toml
CONTAINERD_CONFIG=/etc/containerd/config.toml

log() { echo "runc-isolcpus-installer: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Commands that must see the host (systemctl, the runtime's version): run in
# PID 1's namespaces (the pod has hostPID and is privileged).
host() { nsenter -t 1 -m -u -i -n -p -- "$@"; }

detect_runtime() {
  case "$RUNTIME" in
    containerd|crio) echo "$RUNTIME"; return ;;
    auto) ;;
    *) die "ISOLCPUS_RUNTIME=$RUNTIME: use auto, containerd or crio" ;;
  esac
  if [ -S "$HOST/run/crio/crio.sock" ] || [ -S "$HOST/var/run/crio/crio.sock" ]; then
    echo crio
  elif [ -S "$HOST/run/containerd/containerd.sock" ]; then
    echo containerd
  else
    die "neither CRI-O (/run/crio/crio.sock) nor containerd (/run/containerd/containerd.sock) runs on this node; set ISOLCPUS_RUNTIME"
  fi
}

# Atomic replace: a runtime call in flight keeps the old inode.
install_binary() {
  mkdir -p "$HOST/usr/local/bin"
  local name target
  for name in runc-isolcpus runc-isolcpus-ctl; do
    target=/usr/local/bin/$name
    if ! cmp -s "$SRC/bin/$name" "$HOST$target"; then
      cp "$SRC/bin/$name" "$HOST$target.new"
      chmod 0755 "$HOST$target.new"
      mv -f "$HOST$target.new" "$HOST$target"
      log "installed $target"
    fi
  done
}

# The operator's config is never overwritten.
install_config() {
  if [ ! -e "$HOST$CONFIG" ]; then
    mkdir -p "$HOST/etc/runc-isolcpus"
    cp "$SRC/config.toml" "$HOST$CONFIG"
    chmod 0644 "$HOST$CONFIG"
    log "wrote $CONFIG (defaults)"
  fi
}

# Returns 0 when the file changed.
write_if_changed() { # src dst
  if cmp -s "$1" "$HOST$2"; then return 1; fi
  mkdir -p "$(dirname "$HOST$2")"
  cp "$1" "$HOST$2.new" && mv -f "$HOST$2.new" "$HOST$2"
  log "wrote $2"
  return 0
}

# What an installer before `runc-isolcpus-ctl configure` wrote: taken out
# first, so configure finds no hand-made handler in its way.
LEGACY_BEGIN="# BEGIN runc-isolcpus (managed by the runc-isolcpus installer; do not edit)"
LEGACY_END="# END runc-isolcpus"

strip_legacy() {
  cfg=$HOST$CONTAINERD_CONFIG
  if [ -f "$cfg" ] && grep -qxF "$LEGACY_BEGIN" "$cfg"; then
    grep -qxF "$LEGACY_END" "$cfg" ||
      die "$CONTAINERD_CONFIG has an older installer's BEGIN line without its END line: fix it by hand (its backup is $CONTAINERD_CONFIG.runc-isolcpus.bak)"
    # Beside nothing containerd reads, then renamed over: a failing disk or
    # a killed pod leaves the old file or the new one, never half of it.
    tmp=$(mktemp "$HOST/etc/.runc-isolcpus-installer.XXXXXX")
    awk -v b="$LEGACY_BEGIN" -v e="$LEGACY_END" '$0==b{skip=1;next} $0==e{skip=0;next} !skip' "$cfg" > "$tmp" &&
      chmod --reference="$cfg" "$tmp" && sync "$tmp" && mv -f "$tmp" "$cfg" ||
      { rm -f "$tmp"; die "cannot take the older installer's tables out of $CONTAINERD_CONFIG"; }
    log "removed an older installer's handler tables from $CONTAINERD_CONFIG"
    changed=1
  fi
  if [ -e "$HOST$CONTAINERD2_DROPIN" ]; then
    rm -f "$HOST$CONTAINERD2_DROPIN"
    changed=1
  fi
}

# The node's own ctl edits the node's own config, on the host (imports,
# containerd's version): the handler copies runc's options, SystemdCgroup
# above all.  It restarts containerd itself, also when an earlier run wrote
# the file and died before the restart.
containerd_configure() { # configure | unconfigure
  if [ "$1" = configure ]; then
    set -- configure containerd --restart --runtime-config "$CONTAINERD_CONFIG" --wrapper "$BIN"
  else
    set -- unconfigure containerd --restart --runtime-config "$CONTAINERD_CONFIG"
  fi
  out=$(host "$CTL" "$@" 2>&1) || die "runc-isolcpus-ctl $1 containerd failed: $out"
  printf '%s\n' "$out" | sed 's/^/runc-isolcpus-ctl: /' >&2
}

containerd_install() {
  [ -f "$HOST$CONTAINERD_CONFIG" ] || die "$CONTAINERD_CONFIG missing: create one (containerd config default) first"
  strip_legacy
  containerd_configure configure
  changed=0  # configure --restart restarted containerd when it had to
}

containerd_uninstall() {
  strip_legacy
  if [ -f "$HOST$CONTAINERD_CONFIG" ]; then
    containerd_configure unconfigure
    changed=0
  fi
}

restart_runtime() { # runtime
  case "$1" in
    # CRI-O reloads runtime handlers on SIGHUP (crio.conf(5)).
    crio) host systemctl reload crio || host systemctl restart crio ;;
    # Running containers survive: their shims are separate processes.
    containerd) host systemctl restart containerd ;;
  esac
  log "restarted $1"
}

set_label() { # "true" | null
  if [ "${ISOLCPUS_SET_LABEL:-1}" = 0 ]; then
    log "ISOLCPUS_SET_LABEL=0: not setting $LABEL_KEY=$1"
    return 0
  fi
  token=$(cat "$SA/token")
  if [ "$1" = null ]; then value=null; else value="\"$1\""; fi
  curl -fsS --cacert "$SA/ca.crt" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/merge-patch+json" \
    -X PATCH "https://${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}/api/v1/nodes/${NODE_NAME}" \
    -d "{\"metadata\":{\"labels\":{\"$LABEL_KEY\":$value}}}" >/dev/null
}

# Containers still holding isolated CPUs need the wrapper for their delete.
wait_until_unused() {
  [ -x "$HOST$BIN" ] || return 0
  while :; do
    # Fail closed: a status that cannot be read counts as CPUs still held.
    if json=$(host "$CTL" status --json 2>/dev/null); then
      held=$(printf '%s\n' "$json" | grep -c '"id":' || true)
      [ "${held:-0}" -eq 0 ] && return 0
      log "$held container(s) still hold isolated CPUs; waiting for them to go (drain the node to hurry)"
    else
      log "runc-isolcpus-ctl status fails on this node; not removing the wrapper until it answers"
    fi
    sleep 30
  done
}

do_install() {
  rt=$(detect_runtime)
  changed=0
  install_binary
  install_config
  case "$rt" in
    crio) write_if_changed "$SRC/crio/10-isolcpus.conf" "$CRIO_DROPIN" && changed=1 ;;
    containerd) containerd_install ;;
  esac
  [ "$changed" = 1 ] && restart_runtime "$rt"
  if host "$CTL" check; then
    set_label true
    if [ "${ISOLCPUS_SET_LABEL:-1}" = 0 ]; then
      log "node $NODE_NAME ready (not labelled)"
    else
      log "node $NODE_NAME ready: labelled $LABEL_KEY=true"
    fi
  else
    set_label null || true
    log "node $NODE_NAME NOT ready: fix the findings above; the label $LABEL_KEY stays off"
  fi
}

do_uninstall() {
  rt=$(detect_runtime)
  # First: no new pods of the handler land here.
  set_label null || true
  wait_until_unused
  changed=0
  case "$rt" in
    crio) [ -e "$HOST$CRIO_DROPIN" ] && rm -f "$HOST$CRIO_DROPIN" && changed=1 ;;
    containerd) containerd_uninstall ;;
  esac
  [ "$changed" = 1 ] && restart_runtime "$rt"
  rm -f "$HOST$CTL" "$HOST$BIN"
  log "removed runc-isolcpus from $NODE_NAME ($CONFIG and the log are left for the operator)"
}

: "${NODE_NAME:?NODE_NAME must be set (downward API spec.nodeName)}"
case "$ACTION" in
  install) do_install ;;
  uninstall) do_uninstall ;;
  *) die "ISOLCPUS_ACTION=$ACTION: use install or uninstall" ;;
esac
[ "${ISOLCPUS_ONESHOT:-0}" = 1 ] && exit 0
exec sleep infinity
