# Guest-side helpers, sourced by /init for each scenario (busybox ash).
# $SCEN names the running scenario.  Every host-visible line is a marker:
#   @@ISOLVM DOMAINS <scen> <label> :: cpu0: domain0 f | ... | cpu2: NULL  [debugfs 1 1 0 0]
#   @@ISOLVM CHECK <scen> PASS|FAIL <what>
#   @@ISOLVM INFO <scen> <text>
# A failed check is recorded in /run/isolvm/$SCEN.fails; /init turns that
# into the scenario's RESULT.

CG=/sys/fs/cgroup
RUNC=/usr/bin/runc
WRAPPER=/usr/bin/runc-isolcpus
CTL=/usr/bin/runc-isolcpus-ctl
LEDGER=/run/runc-isolcpus/ledger.json
RUNC_ROOT=/run/runc
ISOLVM_POLL=${ISOLVM_POLL:-10}
mkdir -p /run/isolvm /run/bundles

mark() { echo "@@ISOLVM $*"; }
info() { mark INFO "$SCEN" "$*"; }
pass() { mark CHECK "$SCEN" PASS "$*"; }
fail() {
	mark CHECK "$SCEN" FAIL "$*"
	echo "$*" >>"/run/isolvm/$SCEN.fails"
}
# Abort the scenario: a precondition broke, later checks would only mislead.
die() {
	fail "FATAL: $*"
	exit 1
}

check() { # description command...
	d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
check_eq() { # description expected actual
	if [ "$2" = "$3" ]; then pass "$1 (= '$3')"; else fail "$1: expected '$2', got '$3'"; fi
}
check_contains() { # description needle haystack
	case $3 in *"$2"*) pass "$1 (contains '$2')" ;; *) fail "$1: '$2' not in: $3" ;; esac
}

# --- scheduler domains: the kernel's own view -------------------------------

# One line per CPU from /proc/schedstat: "<cpu> <ndomains> <domainK mask>..."
# (each cpuN line is followed by one domainK line per domain level; none =
# NULL domain = never balanced).  The mask is field 2, or field 3 on kernels
# whose schedstat names the level first.
schedstat_domains() {
	awk '
		/^cpu[0-9]+ / { c = substr($1, 4); order[++n] = c; cnt[c] = 0; dom[c] = ""; cur = c; next }
		/^domain[0-9]+ / && cur != "" {
			m = $2; if (m !~ /^[0-9a-f,]+$/) m = $3
			dom[cur] = dom[cur] " " $1 " " m; cnt[cur]++
		}
		END { for (i = 1; i <= n; i++) print order[i], cnt[order[i]] dom[order[i]] }
	' /proc/schedstat
}

# Number of domainK entries under debugfs per CPU ("-" when absent).
debugfs_domain_counts() {
	out=""
	for d in /sys/devices/system/cpu/cpu[0-9]*; do
		n=${d##*/cpu}
		dd=/sys/kernel/debug/sched/domains/cpu$n
		if [ -d "$dd" ]; then
			k=$(ls "$dd" 2>/dev/null | grep -c '^domain')
		else
			k=-
		fi
		out="$out $k"
	done
	echo "${out# }"
}

# "cpu0: domain0 f | cpu1: domain0 f | cpu2: NULL | cpu3: NULL  [debugfs 1 1 0 0]"
domain_map() {
	schedstat_domains | awk '
		{ s = "cpu" $1 ":"; if ($2 == 0) s = s " NULL"; else for (i = 3; i <= NF; i++) s = s " " $i
		  out = (NR > 1 ? out " | " : "") s }
		END { printf "%s", out }'
	echo "  [debugfs $(debugfs_domain_counts)]"
}

# CPUs (space separated, ascending) that have no domain, per schedstat and per
# debugfs.  Both views must agree for a poll to succeed.
null_cpus_schedstat() { schedstat_domains | awk '$2 == 0 { printf "%s%s", sep, $1; sep = " " }'; }
null_cpus_debugfs() {
	i=0
	res=""
	for k in $(debugfs_domain_counts); do
		[ "$k" = 0 ] && res="$res $i"
		i=$((i + 1))
	done
	echo "${res# }"
}
debugfs_usable() { [ -d /sys/kernel/debug/sched/domains/cpu0 ]; }

show_domains() { # label
	mark DOMAINS "$SCEN" "$1" :: "$(domain_map)"
}

# Domain rebuilds are asynchronous: poll (bounded by $ISOLVM_POLL seconds)
# until exactly the CPUs in $2 ("2 3", or "" for none) have NULL domains.
expect_null_domains() { # label "cpus"
	label=$1
	want=$2
	tries=$((ISOLVM_POLL * 5))
	while :; do
		a=$(null_cpus_schedstat)
		if debugfs_usable; then b=$(null_cpus_debugfs); else b=$a; fi
		[ "$a" = "$want" ] && [ "$b" = "$want" ] && break
		tries=$((tries - 1))
		[ $tries -le 0 ] && break
		sleep 0.2
	done
	show_domains "$label"
	if [ "$a" = "$want" ] && [ "$b" = "$want" ]; then
		pass "$label: NULL domains on [${want:-none}], every other CPU balanced"
	else
		fail "$label: expected NULL domains on [${want:-none}], schedstat says [${a:-none}], debugfs says [${b:-none}] after ${ISOLVM_POLL}s"
		# The state at the moment of the mismatch explains more than the end state.
		dump_debug "at $label"
	fi
}

# --- cgroup files -------------------------------------------------------------

cg_read() { cat "$CG/$1" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'; }
# Write and report; returns the write's status.
cg_write() { # relpath value
	if printf '%s\n' "$2" >"$CG/$1" 2>/run/isolvm/werr; then
		info "wrote '$2' > $1"
		return 0
	fi
	fail "write '$2' > $CG/$1: $(cat /run/isolvm/werr)"
	return 1
}
# cpuset.cpus.exclusive is cleared by a lone newline, not an empty write.
cg_clear_exclusive() { # relpath-of-dir
	if printf '\n' >"$CG/$1/cpuset.cpus.exclusive" 2>/run/isolvm/werr; then
		info "cleared $1/cpuset.cpus.exclusive"
	else
		fail "clear $1/cpuset.cpus.exclusive: $(cat /run/isolvm/werr)"
	fi
}

# Every cgroup dir below $CG (v2) or $CG/cpuset (v1), parents first.
cg_dirs() { find "${1:-$CG}" -mindepth 1 -type d | sort; }

# v2: no cgroup but the root may keep a cpuset.cpus.exclusive claim.
check_no_exclusive_left() { # description
	left=""
	for d in $(cg_dirs); do
		f=$d/cpuset.cpus.exclusive
		[ -f "$f" ] || continue
		v=$(cat "$f")
		[ -n "$v" ] && left="$left ${d#"$CG"/}=$v"
	done
	check_eq "$1" "" "${left# }"
}

# --- OCI bundles and runtimes -------------------------------------------------

# make_bundle ID CPUS SHARES CGROUPS_PATH ANNOTATION-VALUE|none [CMD...]
# -> /run/bundles/ID/config.json (rootfs shared, from /isolvm/config.json.tmpl)
make_bundle() {
	id=$1 cpus=$2 shares=$3 cgpath=$4 annot=$5
	shift 5
	b=/run/bundles/$id
	mkdir -p "$b"
	if [ "$annot" = none ]; then
		akey=isolvm.test aval=plain
	else
		akey=cpu-load-balancing.crio.io aval=$annot
	fi
	sed -e "s|@CPUS@|$cpus|" -e "s|\"@SHARES@\"|$shares|" -e "s|@CGPATH@|$cgpath|" \
		-e "s|@ANNOT_KEY@|$akey|" -e "s|@ANNOT_VAL@|$aval|" \
		/isolvm/config.json.tmpl >"$b/config.json"
}

# bundle_annotate ID KEY VALUE: one more annotation in ID's config.json
# (e.g. io.kubernetes.pod.namespace, so the ledger says who owns the CPUs).
bundle_annotate() {
	sed -i "s|\"annotations\": {|\"annotations\": {\"$2\": \"$3\", |" "/run/bundles/$1/config.json"
}

# Wrapper config: on_failure = $1 (fail|warn).
write_wrapper_config() {
	mkdir -p /etc/isolvm
	cat >/etc/isolvm/isolcpus.toml <<EOF
runtime = "$RUNC"
mode = "annotation"
on_failure = "$1"
state_dir = "/run/runc-isolcpus"
min_housekeeping_cpus = 2
log_file = "/tmp/isolcpus.log"
log_level = "debug"
EOF
	export RUNC_ISOLCPUS_CONFIG=/etc/isolvm/isolcpus.toml
}

require_wrapper() {
	[ -x "$WRAPPER" ] || die "wrapper binary missing from the initramfs (build-initramfs --wrapper)"
}

# rt runc|wrap ARGS...: run a runtime with --root $RUNC_ROOT; output -> $RT_OUT.
RT_OUT=/run/isolvm/rt.out
rt() {
	which=$1
	shift
	case $which in
	runc) bin=$RUNC ;;
	wrap) bin=$WRAPPER ;;
	esac
	"$bin" --root "$RUNC_ROOT" "$@" >"$RT_OUT" 2>&1 </dev/null
	rc=$?
	if [ $rc != 0 ]; then
		info "$which $*: exit $rc"
		sed "s/^/@@ISOLVM INFO $SCEN   | /" "$RT_OUT"
	fi
	return $rc
}

# rt_fault STEP ARGS...: the wrapper with RUNC_ISOLCPUS_FAULT=STEP (a build
# with ISOLCPUS_FAULT_INJECTION SIGKILLs itself after that isolator step).
# The exit status (137 = killed by SIGKILL) is left in $RT_RC.
rt_fault() {
	step=$1
	shift
	RUNC_ISOLCPUS_FAULT=$step "$WRAPPER" --root "$RUNC_ROOT" "$@" >"$RT_OUT" 2>&1 </dev/null
	RT_RC=$?
	info "RUNC_ISOLCPUS_FAULT=$step runc-isolcpus $*: exit $RT_RC"
	sed "s/^/@@ISOLVM INFO $SCEN   | /" "$RT_OUT"
}

# ctl ARGS...: runc-isolcpus-ctl with the scenario's config; its output is
# shown and kept in $RT_OUT.
ctl() {
	"$CTL" --config "$RUNC_ISOLCPUS_CONFIG" "$@" >"$RT_OUT" 2>&1 </dev/null
	rc=$?
	info "runc-isolcpus-ctl $*: exit $rc"
	sed "s/^/@@ISOLVM INFO $SCEN   | /" "$RT_OUT"
	return $rc
}
require_ctl() {
	[ -x "$CTL" ] || die "$CTL missing from the initramfs (build-initramfs --wrapper links it)"
}

# ledger_field ID KEY: a string/number field of ID's ledger entry ("" when
# there is no entry).  The document is nlohmann::json's dump(2): one key per
# line, and container_id precedes the other keys of its entry (alphabetical
# or insertion order alike), so the last container_id seen names the entry.
ledger_field() {
	[ -f "$LEDGER" ] || return 0
	awk -v id="$1" -v key="$2" '
		/"container_id": "/ { cur = $0; sub(/.*"container_id": "/, "", cur); sub(/".*/, "", cur); next }
		cur == id && index($0, "\"" key "\": ") {
			v = $0; sub(/^[^:]*: */, "", v); sub(/,$/, "", v); gsub(/"/, "", v); print v; exit
		}
	' "$LEDGER"
}
ledger_state() { ledger_field "$1" state; }

# v1: every cpuset's sched_load_balance as "path=flag ..." (root first).
v1_flags() {
	out="/=$(cg_read cpuset/cpuset.sched_load_balance)"
	for d in $(cg_dirs "$CG/cpuset"); do
		r=${d#"$CG"/cpuset/}
		out="$out $r=$(cg_read "cpuset/$r/cpuset.sched_load_balance")"
	done
	echo "$out"
}

# create+start; the container runs `sleep` from the bundle's rootfs.
ctr_up() { # runc|wrap ID
	rt "$1" create --bundle "/run/bundles/$2" "$2" || return 1
	rt "$1" start "$2" || return 1
	return 0
}

ctr_status() { "$RUNC" --root "$RUNC_ROOT" state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
ctr_pid() { "$RUNC" --root "$RUNC_ROOT" state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
cpus_allowed() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/status"; }

# --- diagnostics ----------------------------------------------------------------

dump_debug() { # [when]
	mark DEBUG "$SCEN" "${1:-end of scenario}: domains :: $(domain_map)"
	if [ "$ISOLVM_CGROUP" = v2 ]; then
		mark DEBUG "$SCEN" "root: cpus.effective=$(cg_read cpuset.cpus.effective) isolated=$(cg_read cpuset.cpus.isolated 2>/dev/null)"
		for d in $(cg_dirs); do
			r=${d#"$CG"/}
			mark DEBUG "$SCEN" "$r: cpus=$(cg_read "$r/cpuset.cpus") excl=$(cg_read "$r/cpuset.cpus.exclusive") excl.eff=$(cg_read "$r/cpuset.cpus.exclusive.effective") part=$(cg_read "$r/cpuset.cpus.partition") eff=$(cg_read "$r/cpuset.cpus.effective")"
		done
	else
		mark DEBUG "$SCEN" "cpuset root: sched_load_balance=$(cg_read cpuset/cpuset.sched_load_balance)"
		for d in $(cg_dirs "$CG/cpuset"); do
			r=${d#"$CG"/}
			mark DEBUG "$SCEN" "$r: cpus=$(cg_read "$r/cpuset.cpus") slb=$(cg_read "$r/cpuset.sched_load_balance")"
		done
	fi
	if [ -f /tmp/isolcpus.log ]; then
		tail -n 80 /tmp/isolcpus.log | sed "s/^/@@ISOLVM DEBUG $SCEN wrapper-log | /"
	fi
	ls -la /run/runc-isolcpus 2>&1 | sed "s/^/@@ISOLVM DEBUG $SCEN state_dir | /"
	for f in /run/runc-isolcpus/*; do
		[ -f "$f" ] && { tr -d '\n' <"$f" | sed "s/^/@@ISOLVM DEBUG $SCEN ledger $f | /"; echo; }
	done
	dmesg | grep -Ei 'sched-domain|cpuset|partition' | tail -n 20 | sed "s/^/@@ISOLVM DEBUG $SCEN dmesg | /"
}
