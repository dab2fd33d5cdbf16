# Baseline, no wrapper (cgroup v1): root sched_load_balance 0 + a balanced
# housekeeping sibling on 0-1 + a container cpuset on 2-3 with flag 0 leaves
# 2-3 with NULL domains; setting the root flag back restores them.
[ "$ISOLVM_CGROUP" = v1 ] || die "needs isolvm.cgroup=v1"
V=$CG/cpuset
R=cpuset
check_eq "root flag starts at 1" 1 "$(cg_read $R/cpuset.sched_load_balance)"
expect_null_domains before ""
mkdir -p "$V/housekeeping" "$V/ctr" || die "mkdir"
cg_write $R/housekeeping/cpuset.cpus 0-1 || die "hk cpus"
cg_write $R/housekeeping/cpuset.mems 0 || die "hk mems"
cg_write $R/ctr/cpuset.cpus 2-3 || die "ctr cpus"
cg_write $R/ctr/cpuset.mems 0 || die "ctr mems"
cg_write $R/ctr/cpuset.sched_load_balance 0 || die "ctr flag"
# Nothing changes while the root balances everything.
expect_null_domains "root-still-1" ""
cg_write $R/cpuset.sched_load_balance 0 || die "root flag"
expect_null_domains during "2 3"

cg_write $R/cpuset.sched_load_balance 1
expect_null_domains after ""
rmdir "$V/ctr" "$V/housekeeping"
expect_null_domains "after-rmdir" ""
