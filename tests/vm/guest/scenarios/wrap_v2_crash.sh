# 6.12 v2: the wrapper dies by SIGKILL in the middle of an isolation
# (RUNC_ISOLCPUS_FAULT, a build with ISOLCPUS_FAULT_INJECTION).  The
# half-done state is visible (ancestor exclusive claims, ledger "isolating"),
# and reconcile undoes it: by `runc-isolcpus-ctl reconcile`, or by whatever
# wrapper invocation comes next (a delete, a retried start).  Afterwards a
# clean start isolates and delete restores everything: no leftover
# isolation, no lost CPU.
. /isolvm/scenarios/_wrap_common.sh
require_ctl
ID=crash
POD=kubepods.slice/kubepods-pod88888888.slice
CGP=$POD/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
expect_null_domains before ""

# create through the wrapper (records the decision), then `start` with the
# fault: the wrapper must die before runc start ever runs.
crash_start() { # STEP
	rt wrap create --bundle /run/bundles/$ID $ID || die "wrapper create $ID"
	check_eq "ledger: $ID decided after create" decided "$(ledger_state $ID)"
	rt_fault "$1" start $ID
	# Exit 0 means the switch is not compiled in: every later check would only mislead.
	[ "$RT_RC" = 0 ] && die "RUNC_ISOLCPUS_FAULT=$1 had no effect: the wrapper must be built with -DISOLCPUS_FAULT_INJECTION=ON (and src/lifecycle/fault.cpp compiled with that definition)"
	check_eq "start with RUNC_ISOLCPUS_FAULT=$1 dies by SIGKILL" 137 "$RT_RC"
	check_eq "runc start never ran" created "$(ctr_status $ID)"
	check_eq "ledger: $ID half-done" isolating "$(ledger_state $ID)"
}
# Nothing isolated, nothing claimed, every CPU balanced (polled).
check_released() { # LABEL
	check_no_exclusive_left "$1: no cgroup keeps cpuset.cpus.exclusive"
	check_eq "$1: root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
	expect_null_domains "$1" ""
}
# The container (still "created") starts through the wrapper and is isolated.
start_isolates() { # LABEL
	rt wrap start $ID || fail "$1: wrapper start $ID"
	check_eq "$1: container running" running "$(ctr_status $ID)"
	v2_isolated_checks "$CGP" 2-3
	check_eq "$1: ledger" isolated "$(ledger_state $ID)"
	expect_null_domains "$1" "2 3"
}
# Kill + delete through the wrapper; everything back, ledger clean.
down_restored() { # LABEL
	ctr_down $ID
	check_released "$1"
	check_ledger_clean $ID
}

# 1. Killed right after the first ancestor's exclusive write (top-down:
#    kubepods.slice).  runc-isolcpus-ctl reconcile undoes it.
crash_start "v2.ancestor:*"
check_eq "crash 1: kubepods.slice exclusive written" 2-3 "$(cg_read kubepods.slice/cpuset.cpus.exclusive)"
check_eq "crash 1: pod slice exclusive not reached" "" "$(cg_read $POD/cpuset.cpus.exclusive)"
check_eq "crash 1: container still a member" member "$(cg_read $CGP/cpuset.cpus.partition)"
show_domains "crashed-after-first-ancestor"
ctl reconcile || fail "runc-isolcpus-ctl reconcile exit status"
check_contains "reconcile reports the undo" "undone 1" "$(cat "$RT_OUT")"
check_eq "after reconcile: ledger back to decided" decided "$(ledger_state $ID)"
check_released "after-ctl-reconcile"
start_isolates "retried-start-1"
down_restored "after-delete-1"

# 2. Killed after the container's own exclusive claim, just before the
#    partition write.  The next wrapper invocation (a delete of the created
#    container) reconciles first.
crash_start v2.exclusive
check_eq "crash 2: kubepods.slice exclusive" 2-3 "$(cg_read kubepods.slice/cpuset.cpus.exclusive)"
check_eq "crash 2: pod slice exclusive" 2-3 "$(cg_read $POD/cpuset.cpus.exclusive)"
check_eq "crash 2: container exclusive" 2-3 "$(cg_read $CGP/cpuset.cpus.exclusive)"
check_eq "crash 2: partition not reached" member "$(cg_read $CGP/cpuset.cpus.partition)"
show_domains "crashed-after-exclusive"
rt wrap delete $ID || fail "wrapper delete of the created container"
check "crash 2: $ID gone from runc" sh -c "! $RUNC --root $RUNC_ROOT state $ID >/dev/null 2>&1"
check_released "after-wrapper-delete"
check_ledger_clean $ID
ctr_up wrap $ID || die "create/start after the undone crash"
check_eq "clean start 2: ledger" isolated "$(ledger_state $ID)"
v2_isolated_checks "$CGP" 2-3
expect_null_domains "clean-start-2" "2 3"
down_restored "after-delete-2"

# 3. Killed after the partition write: the kernel is fully isolated but the
#    ledger still says "isolating".  The retried start itself reconciles
#    (undo) before isolating again.
crash_start v2.partition
check_eq "crash 3: partition written" isolated "$(cg_read $CGP/cpuset.cpus.partition)"
expect_null_domains "crashed-after-partition" "2 3"
: >/tmp/isolcpus.log
start_isolates "retried-start-3"
check_contains "retried start undid the crashed isolation first" "undid an interrupted isolation of container $ID" \
	"$(cat /tmp/isolcpus.log)"
down_restored "after"
