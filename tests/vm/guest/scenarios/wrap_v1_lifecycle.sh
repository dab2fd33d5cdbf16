# 6.1 cgroup v1 through the wrapper: root flag to 0, container flag 0, the
# rest kept balanced; delete restores the root flag and every domain.
. /isolvm/scenarios/_wrap_common.sh
[ "$ISOLVM_CGROUP" = v1 ] || die "needs isolvm.cgroup=v1"
ID=iso-v1
CGP=kubepods/pod77777777/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
check_eq "root flag before" 1 "$(cg_read cpuset/cpuset.sched_load_balance)"
expect_null_domains before ""
ctr_up wrap $ID || die "create/start"
check_eq "container running" running "$(ctr_status $ID)"
check_eq "container pinned" 2-3 "$(cpus_allowed "$(ctr_pid $ID)")"
check_eq "root flag while isolated" 0 "$(cg_read cpuset/cpuset.sched_load_balance)"
check_eq "container flag" 0 "$(cg_read cpuset/$CGP/cpuset.sched_load_balance)"
expect_null_domains during "2 3"
check_ledger_has $ID
ctr_down $ID
check_eq "root flag restored" 1 "$(cg_read cpuset/cpuset.sched_load_balance)"
expect_null_domains after ""
check_ledger_clean $ID
