# Baseline, no wrapper (kernel >= 6.7, cgroup v2): a remote `isolated`
# partition deep in a kubepods-like tree takes CPUs 2-3 out of balancing, and
# undoing it (member, then clearing the exclusive claims bottom-up) gives them back.
[ "$ISOLVM_CGROUP" = v2 ] || die "needs isolvm.cgroup=v2"
P=kubepods.slice
POD=$P/kubepods-podbase.slice
C=$POD/ctr

expect_null_domains before ""
mkdir -p "$CG/$C" || die "mkdir $C"
cg_write "$P/cgroup.subtree_control" +cpuset || die "enable cpuset on $P"
cg_write "$POD/cgroup.subtree_control" +cpuset || die "enable cpuset on $POD"
cg_write "$C/cpuset.cpus" 2-3 || die "cpuset.cpus"
# Top-down: each ancestor's claim must cover its child's.
cg_write "$P/cpuset.cpus.exclusive" 2-3 || die "exclusive on $P"
cg_write "$POD/cpuset.cpus.exclusive" 2-3 || die "exclusive on $POD"
cg_write "$C/cpuset.cpus.exclusive" 2-3 || die "exclusive on $C"
cg_write "$C/cpuset.cpus.partition" isolated || die "partition"
# A valid keyword is accepted even when the result is invalid: read it back.
check_eq "partition reads back" isolated "$(cg_read "$C/cpuset.cpus.partition")"
check_eq "root cpuset.cpus.isolated" 2-3 "$(cg_read cpuset.cpus.isolated)"
expect_null_domains during "2 3"
check_eq "root effective CPUs shrink" 0-1 "$(cg_read cpuset.cpus.effective)"

cg_write "$C/cpuset.cpus.partition" member
cg_clear_exclusive "$C"
cg_clear_exclusive "$POD"
cg_clear_exclusive "$P"
check_eq "root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
expect_null_domains after ""
check_no_exclusive_left "no cpuset.cpus.exclusive left"
rmdir "$CG/$C" "$CG/$POD" "$CG/$P"
