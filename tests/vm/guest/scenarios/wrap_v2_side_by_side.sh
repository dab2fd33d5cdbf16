# An isolated container (2-3) and a plain one (0-1, no annotation) side by side;
# the isolated one is removed with `delete --force` while running (CRI-O style).
. /isolvm/scenarios/_wrap_common.sh
ISO=kubepods.slice/kubepods-pod33333333.slice/iso
PLAIN=kubepods.slice/kubepods-pod44444444.slice/plain
make_bundle iso 2-3 2048 "/$ISO" disable
make_bundle plain 0-1 2048 "/$PLAIN" none
expect_null_domains before ""
ctr_up wrap iso || die "create/start iso"
ctr_up wrap plain || die "create/start plain"
check_eq "plain running" running "$(ctr_status plain)"
check_eq "plain pinned" 0-1 "$(cpus_allowed "$(ctr_pid plain)")"
check_eq "plain partition untouched" member "$(cg_read $PLAIN/cpuset.cpus.partition)"
check_eq "plain pod slice has no exclusive claim" "" "$(cg_read kubepods.slice/kubepods-pod44444444.slice/cpuset.cpus.exclusive)"
v2_isolated_checks "$ISO" 2-3
expect_null_domains during "2 3"
check_ledger_has iso
ctr_down plain
expect_null_domains "plain-deleted" "2 3"
rt wrap delete --force iso || fail "wrapper delete --force iso"
check "iso gone from runc" sh -c "! $RUNC --root $RUNC_ROOT state iso >/dev/null 2>&1"
expect_null_domains after ""
check_no_exclusive_left "no ancestor keeps cpuset.cpus.exclusive"
check_ledger_clean iso
