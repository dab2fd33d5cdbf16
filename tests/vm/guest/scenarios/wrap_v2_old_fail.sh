# 6.1 cgroup v2 (no remote partitions): with on_failure=fail the wrapper
# refuses to run the container (at create or at start, whichever does the
# kernel work) with a message naming 6.7; the container never runs and no
# CPU loses its domains.  The refused container is then deleted, so the
# ledger is clean for the next scenario.
ON_FAILURE=fail
. /isolvm/scenarios/_wrap_common.sh
ID=old-fail
make_bundle $ID 2-3 2048 "/kubepods.slice/kubepods-pod88888888.slice/$ID" disable
expect_null_domains before ""
refused=""
if rt wrap create --bundle /run/bundles/$ID $ID; then
	info "create passed; the refusal must come at start"
	if rt wrap start $ID; then :; else refused=start; fi
else
	refused=create
fi
if [ -n "$refused" ]; then pass "wrapper refused at $refused"; else fail "wrapper ran the container on a kernel without remote partitions (on_failure=fail)"; fi
msg="$(cat "$RT_OUT") $(cat /tmp/isolcpus.log 2>/dev/null)"
check_contains "refusal names the kernel version needed" "6.7" "$msg"
st=$(ctr_status $ID)
check "container is not running (state: ${st:-none})" test "$st" != running
expect_null_domains after ""
# Clean up whatever runc kept, through the wrapper.
if [ -n "$st" ]; then rt wrap delete --force $ID || fail "wrapper delete --force of the refused container"; fi
check "no container left" sh -c "! $RUNC --root $RUNC_ROOT state $ID >/dev/null 2>&1"
check_ledger_clean $ID
