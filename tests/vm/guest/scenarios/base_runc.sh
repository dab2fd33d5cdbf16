# Baseline, no wrapper: real runc creates, starts and deletes a busybox
# container pinned to 2-3 under a nested cgroupsPath; state on tmpfs.
# Plain runc never touches balancing: every CPU keeps its domains throughout.
ID=base-runc
CGP=kubepods.slice/kubepods-podrunc.slice/$ID
make_bundle $ID 2-3 2048 "/$CGP" none
expect_null_domains before ""
ctr_up runc $ID || die "runc create/start failed"
check_eq "container running" running "$(ctr_status $ID)"
pid=$(ctr_pid $ID)
[ -n "$pid" ] || die "no pid from runc state"
check_eq "container process pinned" 2-3 "$(cpus_allowed "$pid")"
if [ "$ISOLVM_CGROUP" = v2 ]; then
	check_eq "container cgroup cpuset.cpus" 2-3 "$(cg_read "$CGP/cpuset.cpus")"
	check "container pid in its cgroup" grep -qx "$pid" "$CG/$CGP/cgroup.procs"
else
	check_eq "container v1 cpuset.cpus" 2-3 "$(cg_read "cpuset/$CGP/cpuset.cpus")"
	check "container pid in its cgroup" grep -qx "$pid" "$CG/cpuset/$CGP/cgroup.procs"
fi
check "state dir on tmpfs" grep -q "^tmpfs /run " /proc/mounts
check "state.json present" test -f "$RUNC_ROOT/$ID/state.json"
expect_null_domains during ""
rt runc kill $ID KILL || fail "runc kill"
i=0
while [ "$(ctr_status $ID)" != stopped ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
rt runc delete $ID || fail "runc delete"
check "container gone from runc" sh -c "! $RUNC --root $RUNC_ROOT state $ID >/dev/null 2>&1"
if [ "$ISOLVM_CGROUP" = v2 ]; then
	check "container cgroup removed" test ! -d "$CG/$CGP"
else
	check "container cgroup removed" test ! -d "$CG/cpuset/$CGP"
fi
expect_null_domains after ""
