# Two containers of one pod, CPU 2 and CPU 3, deleted in $ORDER.
. /isolvm/scenarios/_wrap_common.sh
POD=kubepods.slice/kubepods-pod22222222.slice
make_bundle ctr-a 2 1024 "/$POD/ctr-a" disable
make_bundle ctr-b 3 1024 "/$POD/ctr-b" disable
expect_null_domains before ""
ctr_up wrap ctr-a || die "create/start ctr-a"
expect_null_domains "during-a" "2"
ctr_up wrap ctr-b || die "create/start ctr-b"
v2_isolated_checks "$POD/ctr-a" 2-3
check_eq "ctr-b partition" isolated "$(cg_read "$POD/ctr-b/cpuset.cpus.partition")"
check_eq "pod slice exclusive covers both" 2-3 "$(cg_read $POD/cpuset.cpus.exclusive)"
expect_null_domains "during-a+b" "2 3"
check_ledger_has ctr-a
check_ledger_has ctr-b
first=${ORDER%% *}
second=${ORDER##* }
ctr_down "$first"
if [ "$first" = ctr-a ]; then left=3; else left=2; fi
expect_null_domains "after-$first" "$left"
check_eq "pod slice exclusive shrinks" "$left" "$(cg_read $POD/cpuset.cpus.exclusive)"
check_eq "root isolated shrinks" "$left" "$(cg_read cpuset.cpus.isolated)"
ctr_down "$second"
expect_null_domains after ""
check_no_exclusive_left "no ancestor keeps cpuset.cpus.exclusive"
check_ledger_clean ctr-a
check_ledger_clean ctr-b
