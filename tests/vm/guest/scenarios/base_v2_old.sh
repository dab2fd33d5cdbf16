# Baseline, no wrapper (kernel < 6.7, cgroup v2): no cpuset.cpus.exclusive, so a
# deep container cgroup cannot be isolated (the write succeeds, the read-back
# says "isolated invalid"), while a child of the root can.
[ "$ISOLVM_CGROUP" = v2 ] || die "needs isolvm.cgroup=v2"
P=kubepods.slice
POD=$P/kubepods-podold.slice
C=$POD/ctr
expect_null_domains before ""
check "no cpuset.cpus.exclusive before 6.7" test ! -e "$CG/cpuset.cpus.exclusive"
mkdir -p "$CG/$C" || die "mkdir"
cg_write "$P/cgroup.subtree_control" +cpuset || die "subtree $P"
cg_write "$POD/cgroup.subtree_control" +cpuset || die "subtree $POD"
cg_write "$C/cpuset.cpus" 2-3 || die "cpus"
cg_write "$C/cpuset.cpus.partition" isolated
check_contains "deep partition is invalid" "isolated invalid" "$(cg_read "$C/cpuset.cpus.partition")"
expect_null_domains "deep-invalid" ""
cg_write "$C/cpuset.cpus.partition" member
rmdir "$CG/$C" "$CG/$POD" "$CG/$P"

mkdir "$CG/top" || die "mkdir top"
cg_write top/cpuset.cpus 2-3 || die "top cpus"
cg_write top/cpuset.cpus.partition isolated || die "top partition"
check_eq "child-of-root partition valid" isolated "$(cg_read top/cpuset.cpus.partition)"
expect_null_domains "top-level-isolated" "2 3"
cg_write top/cpuset.cpus.partition member
expect_null_domains after ""
rmdir "$CG/top"
