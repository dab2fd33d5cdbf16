# Baseline, no wrapper (6.12, cgroup v2): the kernel's "zombie" remote
# partition and the CPU it can leak, and the repair the wrapper relies on.
# 6.12's update_cpumask() invalidates every sibling partition whose CPUs a
# member's new cpuset.cpus overlaps (empty reason) without handing a remote
# partition's CPUs back: they stay in the kernel's subpartitions mask.
#  1. A sibling's cpuset.cpus over the claim turns the leaf "isolated invalid".
#  2. Writing "member" to the zombie gives its CPU back to the root's
#     cpuset.cpus.effective, but the kernel does not rebuild the sched
#     domains (old and new partition states are both <= 0), so the CPU stays
#     without a domain until something else rebuilds them.
#  3. Removing a zombie's cgroup instead leaks the CPU: no partition holds
#     it, yet it stays in the root's cpuset.cpus.isolated, out of the root's
#     cpuset.cpus.effective, without a sched domain.
#     The freed cgroup stays on the kernel's list of remote partitions:
#     later remote-partition work in the same boot oopses (list corruption
#     seen in runc-isolcpus a few seconds on), so this scenario boots alone.
#  4. The repair for both: a root-level cgroup over the CPU made a local
#     `isolated` partition and then `member` again returns it to the root
#     (local partitions do not check the subpartitions mask) and rebuilds the
#     domains both times.
[ "$ISOLVM_CGROUP" = v2 ] || die "needs isolvm.cgroup=v2"
P=kubepods.slice
POD=$P/kubepods-podzombie.slice
A=$POD/a
B=$POD/b
R=runc-isolcpus.repair

claim() { # leaf cpu
	cg_write "$P/cpuset.cpus.exclusive" "$2" || die "exclusive on $P"
	cg_write "$POD/cpuset.cpus.exclusive" "$2" || die "exclusive on $POD"
	cg_write "$1/cpuset.cpus" "$2" || die "cpuset.cpus on $1"
	cg_write "$1/cpuset.cpus.exclusive" "$2" || die "exclusive on $1"
	cg_write "$1/cpuset.cpus.partition" isolated || die "partition on $1"
	check_eq "$1 isolated on $2" isolated "$(cg_read "$1/cpuset.cpus.partition")"
}
repair() { # cpu
	mkdir "$CG/$R" || die "mkdir $R"
	cg_write "$R/cpuset.cpus" "$1" || die "cpuset.cpus on $R"
	cg_write "$R/cpuset.cpus.partition" isolated || die "partition on $R"
	check_eq "4: a local isolated partition over CPU $1 is valid" isolated "$(cg_read "$R/cpuset.cpus.partition")"
	cg_write "$R/cpuset.cpus.partition" member || die "member on $R"
	rmdir "$CG/$R" || die "rmdir $R"
	check_eq "4: the root has every CPU again (after CPU $1)" 0-3 "$(cg_read cpuset.cpus.effective)"
	check_eq "4: nothing isolated is left (after CPU $1)" "" "$(cg_read cpuset.cpus.isolated)"
	expect_null_domains "4-repaired-$1" ""
}
unclaim_parents() {
	cg_clear_exclusive "$POD"
	cg_clear_exclusive "$P"
}

expect_null_domains before ""
mkdir -p "$CG/$A" "$CG/$B" || die "mkdir"
cg_write "$P/cgroup.subtree_control" +cpuset || die "enable cpuset on $P"
cg_write "$POD/cgroup.subtree_control" +cpuset || die "enable cpuset on $POD"

# 1 + 2
claim "$A" 2
expect_null_domains claimed "2"
cg_write "$B/cpuset.cpus" 2 || info "the sibling's write was refused: $(cg_read "$B/cpuset.cpus")"
check_eq "1: a sibling over the claim invalidates it, no reason given" "isolated invalid" "$(cg_read "$A/cpuset.cpus.partition")"
info "zombie: root effective=[$(cg_read cpuset.cpus.effective)] isolated=[$(cg_read cpuset.cpus.isolated)]"
cg_write "$B/cpuset.cpus" 0-1
cg_write "$A/cpuset.cpus.partition" member
cg_clear_exclusive "$A"
unclaim_parents
check_eq "2: member gives the CPU back to the root" 0-3 "$(cg_read cpuset.cpus.effective)"
expect_null_domains "2-member-stale" "2"
repair 2

# 3
claim "$A" 3
cg_write "$B/cpuset.cpus" 3 || true
check_eq "3: zombie again" "isolated invalid" "$(cg_read "$A/cpuset.cpus.partition")"
cg_write "$B/cpuset.cpus" 0-1
rmdir "$CG/$A" || die "rmdir the zombie"
unclaim_parents
check_eq "3: the leaked CPU stays in the root's cpuset.cpus.isolated, no partition holds it" 3 "$(cg_read cpuset.cpus.isolated)"
check_eq "3: the root's effective CPUs lack the leaked CPU" 0-2 "$(cg_read cpuset.cpus.effective)"
expect_null_domains "3-leaked" "3"

repair 3
rmdir "$CG/$B" "$CG/$POD" "$CG/$P"
check_no_exclusive_left "no cpuset.cpus.exclusive left"
expect_null_domains after ""
