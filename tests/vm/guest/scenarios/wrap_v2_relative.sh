# `runc run -d` with an empty and with a relative cgroupsPath, called from a
# process in a non-root cgroup (a login session's scope): runc (fs2) puts
# the container under the parent of its own cgroup, so the wrapper, which
# isolates before runc runs, must isolate that cgroup, not /<id> under the
# mount root (issue 10, item 2).
. /isolvm/scenarios/_wrap_common.sh
SESS=isolvm-user.slice
SCOPE=$SESS/session-1.scope
mkdir -p "$CG/$SCOPE" || die "mkdir $SCOPE"
# This scenario runs in a subshell of init: $$ would be PID 1.
read -r MYPID _ </proc/self/stat
echo "$MYPID" >"$CG/$SCOPE/cgroup.procs" || die "cannot move the scenario's shell into $SCOPE"
check_eq "the caller runs in a session scope" "0::/$SCOPE" "$(cat /proc/self/cgroup)"
make_bundle rel 2-3 2048 "" disable
expect_null_domains before ""
rt wrap run -d --bundle /run/bundles/rel rel || die "wrapper run -d rel"
check_eq "rel running" running "$(ctr_status rel)"
check_eq "runc put rel under the scope's parent" "0::/$SESS/rel" "$(cat "/proc/$(ctr_pid rel)/cgroup")"
check "no cgroup /rel at the root" test ! -d "$CG/rel"
v2_isolated_checks "$SESS/rel" 2-3
expect_null_domains during "2 3"
rt wrap delete --force rel || fail "wrapper delete --force rel"
expect_null_domains after-empty ""
check_ledger_clean rel

make_bundle relpath 3 1024 "pods/relpath" disable
rt wrap run -d --bundle /run/bundles/relpath relpath || die "wrapper run -d relpath"
check_eq "runc put relpath under the scope's parent" "0::/$SESS/pods/relpath" "$(cat "/proc/$(ctr_pid relpath)/cgroup")"
v2_isolated_checks "$SESS/pods/relpath" 3
expect_null_domains during-relative "3"
rt wrap delete --force relpath || fail "wrapper delete --force relpath"
echo "$MYPID" >"$CG/cgroup.procs"
expect_null_domains after ""
check_no_exclusive_left "no ancestor keeps cpuset.cpus.exclusive"
check_ledger_clean relpath
