# 6.12 v2 crash soak (docs/INVARIANTS.md): random lifecycles of three
# containers through the wrapper and real runc (create, start, update of
# cpus, SIGKILL of the init, delete with and without --force, ids reused),
# with the wrapper SIGKILLed at random: by the fault switch at an isolator
# step or a ledger save, or by a timer a few ms after it starts.  After every
# round: `runc-isolcpus-ctl reconcile`, then the invariants from the kernel's
# own files and /proc/schedstat:
#   I1  every CPU in a cpuset.cpus.exclusive or in the root's
#       cpuset.cpus.isolated belongs to a ledger entry whose container lives;
#       no entry outlives its container;
#   I2  a running opted-in container is isolated (partition "isolated", its
#       CPUs in cpuset.cpus.isolated), or status exits non-zero;
#   I3  no CPU claimed by two entries;
#   the scheduler agrees: exactly the isolated CPUs have no domain.
# SOAK_ROUNDS (kernel command line isolvm.soak_rounds) and SOAK_SEED replay.
. /isolvm/scenarios/_wrap_common.sh
require_ctl
POD=kubepods.slice/kubepods-podsoak.slice
ROUNDS=${SOAK_ROUNDS:-50}
SEED=${SOAK_SEED:-$(($(date +%s) % 100000 + 1))}
SEED0=$SEED
info "soak: seed=$SEED rounds=$ROUNDS (replay: ISOLVM_SOAK_SEED=$SEED on the host)"

# A deterministic PRNG in ash arithmetic: rnd N sets R to 0..N-1.
rnd() {
	SEED=$(((SEED * 1103515245 + 12345) % 2147483648))
	R=$(((SEED / 65536) % $1))
}
expand() { # "2-3" / "2,3" -> "2 3"
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] || continue
		[ -n "$b" ] || b=$a
		i=$a
		while [ "$i" -le "$b" ]; do
			echo "$i"
			i=$((i + 1))
		done
	done | sort -n | uniq | tr '\n' ' ' | sed 's/ *$//'
}
has_cpu() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

CRASHES=0
TIMER_KILLS=0
KILLS=0
VIOLATIONS=0
ORPHANS=0
UNISOLATED=0 # rounds x containers running unisolated, shown by status (I2 allows it)
CALLS=0
violation() {
	VIOLATIONS=$((VIOLATIONS + 1))
	fail "round $ROUND: $*"
}

# One wrapper call, maybe crashed: 1 in 5 by the fault switch, 1 in 8 by a timer.
wcall() {
	CALLS=$((CALLS + 1))
	eval "OPS=\"\$OPS $1:\${$#}\""
	rnd 40
	if [ $R -lt 8 ]; then
		rnd 7
		case $R in
		0) step="v2.ancestor:*" ;; 1) step=v2.exclusive ;; 2) step=v2.partition ;;
		3) step="save:*" ;; 4) step="saved:*" ;; 5) step=v2.rebuild ;; *) step="save:an update in flight" ;;
		esac
		RUNC_ISOLCPUS_FAULT=$step "$WRAPPER" --root "$RUNC_ROOT" "$@" >/dev/null 2>&1 </dev/null
		[ $? = 137 ] && CRASHES=$((CRASHES + 1))
	elif [ $R -lt 13 ]; then
		rnd 9
		"$WRAPPER" --root "$RUNC_ROOT" "$@" >/dev/null 2>&1 </dev/null &
		p=$!
		sleep "0.0$R"
		kill -9 $p 2>/dev/null && TIMER_KILLS=$((TIMER_KILLS + 1))
		wait $p 2>/dev/null
	else
		"$WRAPPER" --root "$RUNC_ROOT" "$@" >/dev/null 2>&1 </dev/null
	fi
	return 0
}

annotated() { eval "[ \"\${ANN_$1:-0}\" = 1 ]"; }

act() { # ID
	id=$1
	st=$(ctr_status "$id")
	rnd 10
	if [ -z "$st" ]; then
		# create (ids are reused across rounds); 1 in 6 plain on the housekeeping CPUs
		rnd 6
		if [ $R = 0 ]; then
			make_bundle "$id" 0-1 2048 "/$POD/$id" none
			eval "ANN_$id=0"
		else
			rnd 3
			case $R in 0) c=2 s=1024 ;; 1) c=3 s=1024 ;; *) c=2-3 s=2048 ;; esac
			make_bundle "$id" $c $s "/$POD/$id" disable
			eval "ANN_$id=1"
		fi
		wcall create --bundle "/run/bundles/$id" "$id"
	elif [ "$st" = created ] && [ $R -lt 7 ]; then
		wcall start "$id"
	elif [ "$st" = running ] && [ $R -lt 3 ]; then
		rnd 2
		wcall update --cpuset-cpus $((R + 2)) "$id"
	elif [ "$st" = running ] && [ $R -lt 5 ]; then
		OPS="$OPS kill:$id"
		kill -9 "$(ctr_pid "$id")" 2>/dev/null && KILLS=$((KILLS + 1))
		sleep 0.2
	else
		rnd 2
		if [ $R = 0 ]; then wcall delete --force "$id"; else wcall delete "$id"; fi
	fi
}

# The first orphan's surroundings: every cgroup that is or was a partition,
# and the kernel's last words on cpusets.
orphan_context() {
	for d in $(cg_dirs); do
		[ -f "$d/cpuset.cpus.partition" ] || continue
		info "round $ROUND: orphan context ${d#$CG/}: cpus=$(cat "$d/cpuset.cpus") effective=$(cat "$d/cpuset.cpus.effective") exclusive=$(cat "$d/cpuset.cpus.exclusive") xeffective=$(cat "$d/cpuset.cpus.exclusive.effective" 2>/dev/null) partition=$(cat "$d/cpuset.cpus.partition")"
	done
	dmesg | grep -i -E "cpuset|partition" | tail -5 | while read -r l; do info "round $ROUND: orphan dmesg $l"; done
}

check_round() {
	held=""
	for d in $(cg_dirs); do
		[ -f "$d/cpuset.cpus.exclusive" ] || continue
		held="$held $(expand "$(cat "$d/cpuset.cpus.exclusive")")"
	done
	isolated=$(expand "$(cg_read cpuset.cpus.isolated)")
	held=$(expand "$(echo $held $isolated | tr ' ' ',')")
	owned=""
	for id in s0 s1 s2; do
		state=$(ledger_state $id)
		st=$(ctr_status $id)
		[ -n "$state" ] || {
			if [ "$st" = running ] && annotated $id; then
				violation "I2: opted-in container $id runs with no ledger entry"
			fi
			continue
		}
		case $st in running | created) ;; *) violation "I1/I4: entry $id ($state) outlived its container (runc: ${st:-gone})" ;; esac
		cpus=$(expand "$(ledger_field $id cpus)")
		for c in $cpus; do
			has_cpu "$owned" "$c" && violation "I3: CPU $c claimed twice (again by $id)"
		done
		owned="$owned $cpus"
		case $state in isolating | releasing) violation "I4: entry $id still $state after reconcile" ;; esac
		if [ "$st" = running ] && annotated $id; then
			# I2: isolated in the kernel, or status says it is not.
			part=$(cg_read "$POD/$id/cpuset.cpus.partition")
			missing=""
			for c in $cpus; do
				has_cpu "$isolated" "$c" || missing="$missing $c"
			done
			if [ "$state" != isolated ] || [ "$part" != isolated ] || [ -n "$missing" ]; then
				if ctl status; then
					violation "I2: $id runs as $state, partition '$part', CPUs [${missing# }] not in cpuset.cpus.isolated ($isolated), and status shows no problem"
				fi
				UNISOLATED=$((UNISOLATED + 1))
				# What the kernel may be refusing because of: the pod's cgroups.
				for d in $(cg_dirs "$CG/$POD"); do
					info "round $ROUND: $id unisolated; ${d#$CG/}: cpus=$(cg_read "${d#$CG/}/cpuset.cpus") exclusive=$(cg_read "${d#$CG/}/cpuset.cpus.exclusive") partition=$(cg_read "${d#$CG/}/cpuset.cpus.partition") procs=$(wc -l <"$d/cgroup.procs")"
				done
			fi
		fi
	done
	for c in $held; do
		has_cpu "$owned" "$c" || violation "I1: the kernel holds CPU $c (exclusive/isolated: $held) for no live entry (owned: $owned)"
	done
	# The scheduler's own view (/proc/schedstat).  Strict both ways: an entry
	# isolated by a valid partition has no domain on its CPUs, and a CPU
	# without a domain belongs to a live entry.  6.12 leaves one behind when
	# a partition it invalidated (a sibling's cpuset.cpus over it) is released
	# or removed; release makes the kernel rebuild its domains
	# (base_v2_zombie, docs/INVARIANTS.md).
	want=""
	for id in s0 s1 s2; do
		[ "$(ledger_state $id)" = isolated ] || continue
		[ "$(cg_read "$POD/$id/cpuset.cpus.partition")" = isolated ] || continue
		want="$want $(expand "$(ledger_field $id cpus)")"
	done
	tries=25
	while :; do
		got=$(null_cpus_schedstat)
		ok=1
		for c in $want; do has_cpu "$got" "$c" || ok=0; done
		[ $ok = 1 ] || [ $tries -le 0 ] && break
		sleep 0.2
		tries=$((tries - 1))
	done
	[ $ok = 1 ] || violation "schedstat: NULL domains on [${got:-none}], but valid isolated partitions hold [${want# }]"
	for c in $got; do
		if ! has_cpu "$owned" "$c"; then
			ORPHANS=$((ORPHANS + 1))
			violation "I1: KERNEL ORPHAN: CPU $c has no sched domain and no live entry owns it (cpuset.cpus.isolated: [$isolated], root cpuset.cpus.effective: [$(cg_read cpuset.cpus.effective)])"
			[ "$ORPHANS" = 1 ] && orphan_context
		fi
	done
}

expect_null_domains before ""
START=$(date +%s)
ROUND=1
while [ $ROUND -le $ROUNDS ]; do
	rnd 3
	n=$((R + 1))
	while [ $n -gt 0 ]; do
		rnd 3
		act s$R
		n=$((n - 1))
	done
	info "round $ROUND ops:$OPS"
	OPS=""
	ctl reconcile || violation "runc-isolcpus-ctl reconcile failed: $(cat "$RT_OUT")"
	check_round
	ROUND=$((ROUND + 1))
done

for id in s0 s1 s2; do
	[ -n "$(ctr_status $id)" ] && rt wrap delete --force $id
done
ctl reconcile
for id in s0 s1 s2; do check_ledger_clean $id; done
check_no_exclusive_left "end: no cgroup keeps cpuset.cpus.exclusive"
check_eq "end: root cpuset.cpus.isolated empty" "" "$(cg_read cpuset.cpus.isolated)"
expect_null_domains after ""
info "soak summary: seed=$SEED0 rounds=$ROUNDS wrapper-calls=$CALLS crashes-by-fault-switch=$CRASHES crashes-by-timer=$TIMER_KILLS container-kills=$KILLS invariant-violations=$VIOLATIONS kernel-orphan-rounds=$ORPHANS reported-unisolated=$UNISOLATED time=$(($(date +%s) - START))s"
check_eq "soak: invariant violations over $ROUNDS rounds (seed $SEED0)" 0 "$VIOLATIONS"
