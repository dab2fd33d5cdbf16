# The demo (scripts/demo): one annotated container of pod rt/web pinned to
# CPUs 2-3, started and deleted through runc-isolcpus; a CPU map per phase
# (before/during/after) from the scheduler's own view, the raw
# /proc/schedstat domain masks, and the ledger's record of the owner.
# Everything the host shows is in "@@ISOLVM DEMO" lines, printed as one block
# at the end.
. /isolvm/scenarios/_wrap_common.sh
require_ctl
NS=rt
PODNAME=web
ID=web-app
CGP=kubepods.slice/kubepods-pod3f1c2a7e.slice/$ID
make_bundle $ID 2-3 2048 "/$CGP" disable
bundle_annotate $ID io.kubernetes.pod.namespace $NS
bundle_annotate $ID io.kubernetes.pod.name $PODNAME
bundle_annotate $ID io.kubernetes.container.name app

OUT=/run/isolvm/demo
mkdir -p $OUT
: >$OUT/map
: >$OUT/raw
NCPU=$(schedstat_domains | wc -l)

cell() { printf '%-19s' "$1"; }
# One map row from /proc/schedstat: a CPU without a domain is ISOLATED, and
# the ledger names whose CPUs those are.
map_row() { # LABEL
	owner=$(ledger_field $ID pod_namespace)/$(ledger_field $ID pod_name)
	[ "$owner" = / ] && owner="no ledger owner"
	row=$(printf '%-10s' "$1")
	for c in $(schedstat_domains | awk '{ print $1 ":" $2 }'); do
		n=${c%%:*}
		if [ "${c#*:}" = 0 ]; then row="$row$(cell "ISOLATED ($owner)")"; else row="$row$(cell balanced)"; fi
	done
	echo "$row" | sed 's/ *$//' >>$OUT/map
	printf '%-10s%s\n' "$1" "$(domain_map)" >>$OUT/raw
}

expect_null_domains before ""
map_row before
ctr_up wrap $ID || die "create/start $ID through runc-isolcpus"
check_eq "container pinned" 2-3 "$(cpus_allowed "$(ctr_pid $ID)")"
v2_isolated_checks "$CGP" 2-3
expect_null_domains during "2 3"
map_row during
check_eq "ledger owner" "$NS/$PODNAME" "$(ledger_field $ID pod_namespace)/$(ledger_field $ID pod_name)"
ledger_line="container $ID of pod $(ledger_field $ID pod_namespace)/$(ledger_field $ID pod_name) (container $(ledger_field $ID container_name)): state $(ledger_state $ID), CPUs $(ledger_field $ID cpus), cgroup /$CGP"
# status on a real kernel: exit 0 (ledger and kernel agree), CPUs 2-3 isolated
# by this container in both columns, 0-1 balanced in both.
check "runc-isolcpus-ctl status exits 0 (ledger and kernel agree)" ctl status
cp "$RT_OUT" $OUT/status
for c in 2 3; do
	check "status: cpu$c isolated by $ID in ledger and kernel" \
		grep -Eq "^ +$c +isolated +isolated +$ID " $OUT/status
done
for c in 0 1; do
	check "status: cpu$c balanced in ledger and kernel" grep -Eq "^ +$c +balanced +balanced " $OUT/status
done
check_contains "status summary" "2 isolated by containers" "$(cat $OUT/status)"
check_contains "status summary" "0 problems" "$(cat $OUT/status)"
check "runc-isolcpus-ctl check passes on 6.12 v2" ctl check
ctr_down $ID
expect_null_domains after ""
map_row after
check_ledger_clean $ID
check_no_exclusive_left "no cgroup keeps cpuset.cpus.exclusive"

{
	hdr=$(printf '%-10s' "")
	i=0
	while [ $i -lt "$NCPU" ]; do
		hdr="$hdr$(cell "cpu$i")"
		i=$((i + 1))
	done
	echo "$hdr" | sed 's/ *$//'
	cat $OUT/map
	echo
	echo "/proc/schedstat domain masks (a CPU without a domain line is never load-balanced):"
	cat $OUT/raw
	echo
	echo "ledger while isolated: $ledger_line"
	echo
	echo "runc-isolcpus-ctl status while isolated:"
	sed 's/^/  /' $OUT/status
} | sed 's/^/@@ISOLVM DEMO /'
