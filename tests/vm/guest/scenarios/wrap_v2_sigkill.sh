# The container's processes die by SIGKILL behind the runtime's back; a
# later delete through the wrapper still gives every CPU its domains back.
. /isolvm/scenarios/_wrap_common.sh
ID=killed
CGP=kubepods.slice/kubepods-pod66666666.slice/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
expect_null_domains before ""
ctr_up wrap $ID || die "create/start"
expect_null_domains during "2 3"
check_ledger_has $ID
pid=$(ctr_pid $ID)
[ -n "$pid" ] || die "no container pid"
kill -KILL "$pid"
wait_stopped $ID
rt wrap delete $ID || fail "wrapper delete after SIGKILL"
expect_null_domains after ""
check_no_exclusive_left "no ancestor keeps cpuset.cpus.exclusive"
check_eq "root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
check_ledger_clean $ID
