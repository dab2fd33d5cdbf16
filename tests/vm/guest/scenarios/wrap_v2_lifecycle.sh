# 6.12 v2 through the wrapper: an annotated container pinned to 2-3 in a
# kubepods-like cgroupfs path is isolated while it lives, released on delete.
. /isolvm/scenarios/_wrap_common.sh
ID=iso1
POD=kubepods.slice/kubepods-pod11111111.slice
CGP=$POD/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
expect_null_domains before ""
ctr_up wrap $ID || die "wrapper create/start failed"
check_eq "container running" running "$(ctr_status $ID)"
pid=$(ctr_pid $ID)
check_eq "container pinned" 2-3 "$(cpus_allowed "$pid")"
v2_isolated_checks "$CGP" 2-3
check_eq "kubepods.slice exclusive" 2-3 "$(cg_read kubepods.slice/cpuset.cpus.exclusive)"
check_eq "pod slice exclusive" 2-3 "$(cg_read $POD/cpuset.cpus.exclusive)"
expect_null_domains during "2 3"
check_ledger_has $ID
ctr_down $ID
expect_null_domains after ""
check_no_exclusive_left "no ancestor keeps cpuset.cpus.exclusive"
check_eq "root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
check_ledger_clean $ID
