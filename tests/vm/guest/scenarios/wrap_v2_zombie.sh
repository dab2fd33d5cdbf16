# The wrapper against 6.12's zombie partition (docs/INVARIANTS.md "The 6.12
# zombie partition"): a plain sibling container updated onto an isolated
# container's CPU makes the kernel invalidate the partition; the wrapper
# turns it back into a member, makes the kernel rebuild its sched domains
# (without that the CPU stays without a domain, owned by nobody), reports the
# container unisolated while the sibling stays, and isolates it again once
# the sibling moves away.  No zombie's cgroup is ever removed here (that
# poisons the kernel: base_v2_zombie).
. /isolvm/scenarios/_wrap_common.sh
require_ctl
POD=kubepods.slice/kubepods-podzombiewrap.slice
make_bundle iso 3 1024 "/$POD/iso" disable
make_bundle plain 0-1 1024 "/$POD/plain" none
expect_null_domains before ""
ctr_up wrap iso || die "create/start iso"
ctr_up wrap plain || die "create/start plain"
expect_null_domains isolated "3"

round() { # label
	rt wrap update --cpuset-cpus 3 plain || fail "$1: update plain onto CPU 3"
	check_eq "$1: the kernel invalidated iso's partition" "isolated invalid" "$(cg_read $POD/iso/cpuset.cpus.partition)"
	# Before any wrapper call saw it, both operator views name the file.
	if ctl check; then fail "$1: check passes over an invalidated partition"; else pass "$1: check fails"; fi
	check_contains "$1: check names the partition file" "iso/cpuset.cpus.partition reads \"isolated invalid\"" "$(cat "$RT_OUT")"
	if ctl status; then fail "$1: status shows no problem over an invalidated partition"; else pass "$1: status fails"; fi
	check_contains "$1: status names the partition file" "iso/cpuset.cpus.partition reads \"isolated invalid\"" "$(cat "$RT_OUT")"
	ctl reconcile
	check_contains "$1: reconcile saw the invalidated partition" "invalidated" "$(cat "$RT_OUT")"
	check_eq "$1: iso's partition is a member again" member "$(cg_read $POD/iso/cpuset.cpus.partition)"
	check_eq "$1: the rebuild cgroup is gone" "" "$(ls -d $CG/runc-isolcpus.rebuild 2>/dev/null)"
	check_eq "$1: root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
	expect_null_domains "$1-rebuilt" ""
	if ctl status; then fail "$1: status shows no problem while iso runs unisolated"; else pass "$1: status reports iso unisolated"; fi
}

round first
rt wrap update --cpuset-cpus 0-1 plain || fail "update plain back to 0-1"
ctl reconcile
check_eq "iso isolated again once plain moved" isolated "$(cg_read $POD/iso/cpuset.cpus.partition)"
expect_null_domains isolated-again "3"

round second
ctr_down iso
ctr_down plain
expect_null_domains after ""
check_no_exclusive_left "no cpuset.cpus.exclusive left"
check_ledger_clean iso
