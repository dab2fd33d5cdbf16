# 6.1 cgroup v2 with on_failure=warn: the container starts, unisolated.
ON_FAILURE=warn
. /isolvm/scenarios/_wrap_common.sh
ID=old-warn
CGP=kubepods.slice/kubepods-pod99999999.slice/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
expect_null_domains before ""
ctr_up wrap $ID || die "wrapper create/start under warn"
check_eq "container running" running "$(ctr_status $ID)"
check_eq "container pinned" 2-3 "$(cpus_allowed "$(ctr_pid $ID)")"
check_eq "partition untouched" member "$(cg_read $CGP/cpuset.cpus.partition)"
check_contains "warning names the kernel version needed" "6.7" "$(cat /tmp/isolcpus.log 2>/dev/null)"
expect_null_domains during ""
ctr_down $ID
expect_null_domains after ""
check_ledger_clean $ID
