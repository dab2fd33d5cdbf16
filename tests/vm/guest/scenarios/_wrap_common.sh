# Shared by the wrap_* scenarios: runc driven through the wrapper.
require_wrapper
write_wrapper_config "${ON_FAILURE:-fail}"
: >/tmp/isolcpus.log

# Wait (bounded) until runc reports the container stopped.
wait_stopped() {
	i=0
	while [ "$(ctr_status "$1")" != stopped ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check_eq "$1 stopped" stopped "$(ctr_status "$1")"
}
ctr_down() { # ID: kill + delete through the wrapper
	rt wrap kill "$1" KILL || fail "wrapper kill $1"
	wait_stopped "$1"
	rt wrap delete "$1" || fail "wrapper delete $1"
	check "$1 gone from runc" sh -c "! $RUNC --root $RUNC_ROOT state $1 >/dev/null 2>&1"
}
# The ledger must not keep an entry for a deleted container.
check_ledger_clean() { # ID
	# A live container's entry keeps its claim until `runc delete` is seen
	# through: the wrapper's exit watcher reconciles the moment it exits.
	_i=0
	while grep -rqs "\"$1\"" /run/runc-isolcpus && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if grep -rqs "\"$1\"" /run/runc-isolcpus; then
		fail "ledger under /run/runc-isolcpus still names $1"
	else
		pass "ledger has no entry for $1"
	fi
}
# While a container is isolated the ledger must name it (so that
# check_ledger_clean is not vacuous).
check_ledger_has() { # ID
	if grep -qs "\"$1\"" /run/runc-isolcpus/ledger.json; then
		pass "ledger names $1"
	else
		fail "ledger /run/runc-isolcpus/ledger.json does not name $1"
	fi
}
v2_isolated_checks() { # cgroup-rel-path cpus
	check_eq "$1 partition" isolated "$(cg_read "$1/cpuset.cpus.partition")"
	check_eq "root cpuset.cpus.isolated" "$2" "$(cg_read cpuset.cpus.isolated)"
}
