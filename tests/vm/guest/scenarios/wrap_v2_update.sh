# `runc update` of an isolated container: isolation follows the new cpuset,
# by flag (--cpuset-cpus) and by resources document on stdin (-r -).
. /isolvm/scenarios/_wrap_common.sh
ID=upd
CGP=kubepods.slice/kubepods-pod55555555.slice/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
expect_null_domains before ""
ctr_up wrap $ID || die "create/start"
expect_null_domains during "2 3"
check_ledger_has $ID
rt wrap update --cpuset-cpus 3 $ID || fail "wrapper update --cpuset-cpus 3"
check_eq "cgroup cpuset.cpus after update" 3 "$(cg_read $CGP/cpuset.cpus)"
check_eq "root isolated after narrowing" 3 "$(cg_read cpuset.cpus.isolated)"
expect_null_domains "after-update-3" "3"
printf '{"cpu":{"cpus":"2-3"}}' >/run/isolvm/res.json
if $WRAPPER --root "$RUNC_ROOT" update -r - $ID </run/isolvm/res.json >"$RT_OUT" 2>&1; then
	pass "wrapper update -r - (stdin) exit 0"
else
	fail "wrapper update -r -: $(cat "$RT_OUT")"
fi
check_eq "cgroup cpuset.cpus after -r -" 2-3 "$(cg_read $CGP/cpuset.cpus)"
check_eq "root isolated after widening" 2-3 "$(cg_read cpuset.cpus.isolated)"
expect_null_domains "after-update-2-3" "2 3"
ctr_down $ID
expect_null_domains after ""
check_no_exclusive_left "no ancestor keeps cpuset.cpus.exclusive"
check_ledger_clean $ID
