# 6.12 v2 through the wrapper with runtime = crun (bookworm's 1.8.1): crun
# keeps its state in /run/crun/<id>/status, not runc's state.json.  First
# the wrapper is called without --root, as podman calls crun, so the root is
# crun's own default.  A pinned, annotated container is isolated while it
# lives; `runc-isolcpus-ctl reconcile` must see it alive (a wrapper that
# reads only state.json drops or releases it); delete restores everything.
# Then the same with --cgroup-manager=cgroupfs and an explicit --root, and a
# --cgroup-manager=disabled container, which has no cgroup of its own and
# is left balanced.
RUNC=/usr/bin/crun
RUNC_ROOT=/run/crun
. /isolvm/scenarios/_wrap_common.sh
require_ctl
[ -x "$RUNC" ] || die "$RUNC missing from the initramfs (tests/vm/fetch-kernels caches it)"
info "$($RUNC --version | head -n1)"

# The wrapper as a crun caller without --root; output -> $RT_OUT.
cw() {
	"$WRAPPER" "$@" >"$RT_OUT" 2>&1 </dev/null
	rc=$?
	if [ $rc != 0 ]; then
		info "runc-isolcpus $*: exit $rc"
		sed "s/^/@@ISOLVM INFO $SCEN   | /" "$RT_OUT"
	fi
	return $rc
}

# One life of container $1 under crun, with extra global flags $3...
crun_round() { # ID POD-SUFFIX [GLOBAL-FLAGS...]
	id=$1
	pod=kubepods.slice/kubepods-pod$2.slice
	shift 2
	cgp=$pod/$id
	make_bundle "$id" 2-3 2048 "/$cgp" disable
	expect_null_domains "$id-before" ""
	cw "$@" create --bundle "/run/bundles/$id" "$id" || die "wrapper create $id under crun"
	check "crun state file /run/crun/$id/status" test -f "/run/crun/$id/status"
	[ "$id" = crun1 ] && sed "s/^/@@ISOLVM INFO $SCEN   status | /" "/run/crun/$id/status"
	cw "$@" start "$id" || die "wrapper start $id under crun"
	check_eq "$id running" running "$(ctr_status "$id")"
	pid=$(ctr_pid "$id")
	check_eq "$id pinned" 2-3 "$(cpus_allowed "$pid")"
	check_eq "$id init recorded from crun's status" "$pid" "$(ledger_field "$id" init_pid)"
	v2_isolated_checks "$cgp" 2-3
	expect_null_domains "$id-during" "2 3"
	check_ledger_has "$id"
	check_eq "$id ledger root is crun's default" /run/crun "$(ledger_field "$id" runc_root)"
	ctl reconcile || fail "runc-isolcpus-ctl reconcile"
	check_contains "reconcile released nothing" "released 0" "$(cat "$RT_OUT")"
	check_eq "$id still isolated after reconcile" isolated "$(ledger_state "$id")"
	v2_isolated_checks "$cgp" 2-3
	expect_null_domains "$id-after-reconcile" "2 3"
	cw "$@" kill "$id" KILL || fail "wrapper kill $id"
	wait_stopped "$id"
	cw "$@" delete "$id" || fail "wrapper delete $id"
	check "$id gone from crun" sh -c "! $RUNC state $id >/dev/null 2>&1"
	expect_null_domains "$id-after" ""
	check_no_exclusive_left "$id: no ancestor keeps cpuset.cpus.exclusive"
	check_eq "$id: root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
	check_ledger_clean "$id"
}

expect_null_domains before ""
crun_round crun1 c1111111
crun_round crun2 c2222222 --cgroup-manager=cgroupfs --root=/run/crun  # as CRI-O sends them

# --cgroup-manager=disabled: crun makes no cgroup, the container runs in its
# caller's; the wrapper says why and isolates nothing.
id=crun3
make_bundle $id 2-3 2048 "/kubepods.slice/kubepods-podc3333333.slice/$id" disable
cw --cgroup-manager=disabled create --bundle /run/bundles/$id $id || die "wrapper create $id (cgroups disabled)"
cw --cgroup-manager=disabled start $id || die "wrapper start $id (cgroups disabled)"
check_eq "$id running" running "$(ctr_status $id)"
check_contains "$id: the log says why it is not isolated" "has no cgroup of its own" "$(cat /tmp/isolcpus.log)"
check_eq "$id: no ledger entry" "" "$(ledger_state $id)"
expect_null_domains "$id-running" ""
check_eq "$id: root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
cw --cgroup-manager=disabled kill $id KILL || fail "wrapper kill $id"
wait_stopped $id
cw --cgroup-manager=disabled delete $id || fail "wrapper delete $id"
expect_null_domains after ""
