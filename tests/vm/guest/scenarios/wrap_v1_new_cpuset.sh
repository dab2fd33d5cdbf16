# 6.1 cgroup v1: a cpuset created while a container is isolated starts with
# sched_load_balance=1 and, covering CPUs 2-3, gives them a domain again.
# Nothing notices until the next acting wrapper invocation (or
# runc-isolcpus-ctl reconcile), which clears its flag.  This walks the
# Kubernetes order of events: the kubelet makes the pod's cpuset, the
# runtime's `create` of the sandbox reconciles (pod cpuset -> 0), runc makes
# the sandbox's own cpuset (flag 1 again), and the create-time watcher clears
# it as soon as runc create exits, before the sandbox's `start`.
# See tests/vm/README.md.
. /isolvm/scenarios/_wrap_common.sh
[ "$ISOLVM_CGROUP" = v1 ] || die "needs isolvm.cgroup=v1"
require_ctl
V=cpuset
ID=iso-v1n
CGP=kubepods/pod99999999/$ID
NEWPOD=kubepods/podaaaaaaaa
SANDBOX=sandbox-a
NEWPOD2=kubepods/podbbbbbbbb
make_bundle $ID 2-3 2048 "/$CGP" disable
# An unannotated sandbox: like a pause container, the pod's whole cpuset.
make_bundle $SANDBOX 0-3 2 "/$NEWPOD/$SANDBOX" none

check_eq "root flag before" 1 "$(cg_read $V/cpuset.sched_load_balance)"
expect_null_domains before ""
ctr_up wrap $ID || die "create/start $ID"
check_eq "root flag while isolated" 0 "$(cg_read $V/cpuset.sched_load_balance)"
expect_null_domains during "2 3"
info "flags while isolated: $(v1_flags)"

# A new pod's cpuset, the way the kubelet (libcontainer's cgroupfs manager)
# makes one: mkdir, then the parent's cpus and mems copied in.  v1 gives it
# sched_load_balance=1.
new_cpuset() { # REL
	mkdir "$CG/$V/$1" || die "mkdir $V/$1"
	check_eq "$1 starts with flag 1" 1 "$(cg_read $V/$1/cpuset.sched_load_balance)"
	cg_write "$V/$1/cpuset.cpus" "$(cg_read $V/kubepods/cpuset.cpus)" || die "$1 cpus"
	cg_write "$V/$1/cpuset.mems" "$(cg_read $V/kubepods/cpuset.mems)" || die "$1 mems"
	check_eq "$1 cpus copied from kubepods" 0-3 "$(cg_read $V/$1/cpuset.cpus)"
}

# 1. The kubelet makes the pod's cpuset: CPUs 2-3 are balanced again.
new_cpuset $NEWPOD
expect_null_domains "new-pod-cpuset" ""

# 2. The runtime creates the sandbox through the wrapper: reconcile runs
#    before runc and clears the pod cpuset's flag; runc then makes the
#    sandbox's own cpuset (flag 1, CPUs 0-3), and the create-time watcher
#    clears that as soon as runc create exits, with no further call.
rt wrap create --bundle /run/bundles/$SANDBOX $SANDBOX || die "wrapper create $SANDBOX"
check_eq "pod cpuset flag cleared by the create's reconcile" 0 "$(cg_read $V/$NEWPOD/cpuset.sched_load_balance)"
expect_null_domains "after-sandbox-create" "2 3"
check_eq "sandbox cpuset made by runc, flag cleared by the create-time watcher" 0 \
	"$(cg_read $V/$NEWPOD/$SANDBOX/cpuset.sched_load_balance)"

# 3. The sandbox's start: still isolated.
rt wrap start $SANDBOX || die "wrapper start $SANDBOX"
expect_null_domains "after-sandbox-start" "2 3"
check_eq "isolated container still running" running "$(ctr_status $ID)"

# 4. A cpuset nobody's wrapper invocation follows: runc-isolcpus-ctl
#    reconcile (what a periodic timer would run) closes the window.
new_cpuset $NEWPOD2
expect_null_domains "second-new-cpuset" ""
ctl reconcile || fail "runc-isolcpus-ctl reconcile exit status"
check_contains "reconcile names the cpuset it fixed" "$NEWPOD2" "$(cat "$RT_OUT")"
check_eq "second cpuset flag cleared by ctl reconcile" 0 "$(cg_read $V/$NEWPOD2/cpuset.sched_load_balance)"
expect_null_domains "after-ctl-reconcile" "2 3"
info "flags while isolated, windows closed: $(v1_flags)"

# 5. Last delete: every flag back to its original (all were created with 1),
#    the root flag back to 1, the balanced helper cpuset gone.
ctr_down $SANDBOX
expect_null_domains "after-sandbox-delete" "2 3"
ctr_down $ID
check_eq "root flag restored" 1 "$(cg_read $V/cpuset.sched_load_balance)"
flags=$(v1_flags)
info "flags after the last delete: $flags"
check_eq "every cpuset's flag back to 1" "" "$(echo "$flags" | tr ' ' '\n' | grep -v '=1$')"
check "balanced helper cpuset removed" sh -c "[ ! -d $CG/$V/runc-isolcpus.balanced ]"
check_eq "pod cpuset flag restored" 1 "$(cg_read $V/$NEWPOD/cpuset.sched_load_balance)"
check_eq "second cpuset flag restored" 1 "$(cg_read $V/$NEWPOD2/cpuset.sched_load_balance)"
expect_null_domains after ""
check_ledger_clean $ID
rmdir "$CG/$V/$NEWPOD2" "$CG/$V/$NEWPOD" 2>/dev/null
expect_null_domains "after-rmdir" ""
