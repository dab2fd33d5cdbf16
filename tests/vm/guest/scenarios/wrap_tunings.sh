# CRI-O's high-performance set on one container through the wrapper, on a
# real kernel: load balancing off, CFS quota lifted on the container and
# its pod, IRQs off its CPUs (default_smp_affinity and every IRQ the kernel
# lets us move), C-states limited through PM QoS; all of it as before once
# the container is deleted.  cpufreq does not exist under qemu TCG: a pod
# asking for a governor is refused (on_failure=fail) with nothing changed,
# and `check` says the knob is unavailable.  Observed values are printed
# (OBSERVED lines) for the record.
ON_FAILURE=fail
. /isolvm/scenarios/_wrap_common.sh
require_ctl
ID=tuned
POD=kubepods/pod66666666
if [ "$ISOLVM_CGROUP" = v2 ]; then
	QFILE=cpu.max CPUCG=$CG POD_QUOTA="400000 100000" LIFTED="max 100000" OWN_QUOTA="200000 100000"
	echo +cpu >"$CG/cgroup.subtree_control"
	mkdir -p "$CG/kubepods" && echo "+cpu +cpuset" >"$CG/kubepods/cgroup.subtree_control"
else
	QFILE=cpu.cfs_quota_us CPUCG=$CG/cpu,cpuacct POD_QUOTA=400000 LIFTED=-1 OWN_QUOTA=200000
fi
mkdir -p "$CPUCG/$POD"
echo "$POD_QUOTA" >"$CPUCG/$POD/$QFILE" || fail "cannot set the pod's quota"
check_eq "pod quota before" "$POD_QUOTA" "$(cat "$CPUCG/$POD/$QFILE")"

make_bundle $ID 2-3 2048 "/$POD/$ID" disable
sed -i 's|"shares": 2048|"shares": 2048, "quota": 200000, "period": 100000|' /run/bundles/$ID/config.json
bundle_annotate $ID cpu-quota.crio.io disable
bundle_annotate $ID irq-load-balancing.crio.io disable
bundle_annotate $ID cpu-c-states.crio.io disable

expect_null_domains before ""
irq_masks() { for f in /proc/irq/[0-9]*/smp_affinity; do printf '%s=%s ' "${f#/proc/irq/}" "$(cat "$f")"; done; }
pm_qos() { for c in 0 1 2 3; do printf 'cpu%s=%s ' $c "$(cat /sys/devices/system/cpu/cpu$c/power/pm_qos_resume_latency_us)"; done; }
before_irqs=$(irq_masks)
before_default=$(cat /proc/irq/default_smp_affinity)
before_qos=$(pm_qos)
mark OBSERVED "$SCEN" "before: default_smp_affinity=$before_default $before_irqs"
mark OBSERVED "$SCEN" "before: pm_qos_resume_latency_us $before_qos pod $QFILE=$(cat "$CPUCG/$POD/$QFILE")"

ctr_up wrap $ID || die "create/start"
check_eq "container running" running "$(ctr_status $ID)"
expect_null_domains during "2 3"
check_eq "container quota lifted" "$LIFTED" "$(cat "$CPUCG/$POD/$ID/$QFILE")"
check_eq "pod quota lifted" "$LIFTED" "$(cat "$CPUCG/$POD/$QFILE")"
check_eq "CPU 2 takes no C-state" "n/a" "$(cat /sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us)"
check_eq "CPU 3 takes no C-state" "n/a" "$(cat /sys/devices/system/cpu/cpu3/power/pm_qos_resume_latency_us)"
check_eq "CPU 0 keeps every C-state" "0" "$(cat /sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us)"
check_eq "default_smp_affinity without CPUs 2-3" 3 "$(cat /proc/irq/default_smp_affinity)"
moved=0 refused=0
for f in /proc/irq/[0-9]*/smp_affinity; do
	m=$(cat "$f")
	if [ $((0x$m & 0xc)) -eq 0 ]; then
		moved=$((moved + 1))
	elif grep -q "left alone: .*${f}" /tmp/isolcpus.log; then
		refused=$((refused + 1))
		info "the kernel kept $f at $m (its affinity is managed): reported in the log"
	else
		fail "$f reads $m: still on CPUs 2-3 and not reported"
	fi
done
check "IRQs moved off CPUs 2-3 ($moved, $refused kept by the kernel and reported)" test $moved -gt 0
mark OBSERVED "$SCEN" "during: default_smp_affinity=$(cat /proc/irq/default_smp_affinity) $(irq_masks)"
mark OBSERVED "$SCEN" "during: pm_qos_resume_latency_us $(pm_qos) pod $QFILE=$(cat "$CPUCG/$POD/$QFILE") container $QFILE=$(cat "$CPUCG/$POD/$ID/$QFILE")"
check_ledger_has $ID
check "ledger records the tunings' files" grep -q '"tuning_changes"' /run/runc-isolcpus/ledger.json
ctl status
check_contains "status shows the C-state file" "cpu-c-states=disable (/sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us: n/a)" "$(cat $RT_OUT)"

# A `runc update` rewrites the quota; reconcile sets it back.
rt wrap update --cpu-quota 150000 $ID || fail "runc update"
ctl reconcile
check_eq "reconcile set the quota back" "$LIFTED" "$(cat "$CPUCG/$POD/$ID/$QFILE")"

ctr_down $ID
check_ledger_clean $ID
expect_null_domains after ""
check_eq "pod quota restored" "$POD_QUOTA" "$(cat "$CPUCG/$POD/$QFILE")"
check_eq "pm_qos restored" "$before_qos" "$(pm_qos)"
check_eq "default_smp_affinity restored" "$before_default" "$(cat /proc/irq/default_smp_affinity)"
check_eq "every IRQ's mask restored" "$before_irqs" "$(irq_masks)"
mark OBSERVED "$SCEN" "after: default_smp_affinity=$(cat /proc/irq/default_smp_affinity) $(irq_masks)"
mark OBSERVED "$SCEN" "after: pm_qos_resume_latency_us $(pm_qos) pod $QFILE=$(cat "$CPUCG/$POD/$QFILE")"

# No cpufreq under TCG: the governor is refused, and nothing else is left.
GOV=gov
make_bundle $GOV 2-3 2048 "/$POD/$GOV" disable
bundle_annotate $GOV cpu-c-states.crio.io disable
bundle_annotate $GOV cpu-freq-governor.crio.io performance
refused=""
if rt wrap create --bundle /run/bundles/$GOV $GOV; then
	if rt wrap start $GOV; then :; else refused=start; fi
else
	refused=create
fi
check "governor refused under on_failure=fail (at ${refused:-nowhere})" test -n "$refused"
check_contains "the refusal names cpufreq" "cpufreq" "$(cat $RT_OUT) $(cat /tmp/isolcpus.log)"
if [ -n "$(ctr_status $GOV)" ]; then rt wrap delete --force $GOV || fail "delete --force $GOV"; fi
check_ledger_clean $GOV
check_eq "pm_qos untouched by the refused pod" "$before_qos" "$(pm_qos)"
expect_null_domains "after the refusal" ""
ctl check || true
check_contains "check says the governor is unavailable" "cpu-freq-governor" "$(cat $RT_OUT)"
# Hook mode (CRI-O's or podman's hooks.d, no wrapper): the same engine from
# `runc-isolcpus-ctl hook`, run by real runc from the bundle's hooks.
hooks_on() { # ID: createRuntime isolates, poststop releases
	h="\"path\": \"$CTL\", \"args\": [\"runc-isolcpus-ctl\", \"--config\", \"$RUNC_ISOLCPUS_CONFIG\", \"hook\""
	sed -i "1s|^{|{\"hooks\": {\"createRuntime\": [{$h, \"createRuntime\"]}], \"poststop\": [{$h, \"poststop\"]}]},|" \
		"/run/bundles/$1/config.json"
}
HK=hooked
make_bundle $HK 2-3 2048 "/$POD/$HK" disable
bundle_annotate $HK irq-load-balancing.crio.io disable
bundle_annotate $HK cpu-c-states.crio.io max_latency:20
hooks_on $HK
ctr_up runc $HK || die "runc create/start with the hooks"
expect_null_domains "hook mode, during" "2 3"
check_eq "hook mode: CPU 2's latency limit" 20 "$(cat /sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us)"
check_eq "hook mode: default_smp_affinity without CPUs 2-3" 3 "$(cat /proc/irq/default_smp_affinity)"
check_ledger_has $HK
rt runc kill $HK KILL || fail "runc kill $HK"
wait_stopped $HK
rt runc delete $HK || fail "runc delete $HK (poststop releases)"
check_ledger_clean $HK
expect_null_domains "hook mode, after" ""
check_eq "hook mode: pm_qos restored" "$before_qos" "$(pm_qos)"
check_eq "hook mode: every IRQ's mask restored" "$before_irqs" "$(irq_masks)"
check_eq "hook mode: default_smp_affinity restored" "$before_default" "$(cat /proc/irq/default_smp_affinity)"

# on_failure = "warn": the pod asking for a governor this node cannot give
# starts, without its isolation and tunings, and nothing is left changed.
write_wrapper_config warn
WN=warned
make_bundle $WN 2-3 2048 "/$POD/$WN" disable
bundle_annotate $WN cpu-c-states.crio.io disable
bundle_annotate $WN cpu-freq-governor.crio.io performance
ctr_up wrap $WN || fail "on_failure=warn: the container did not start"
check_eq "on_failure=warn: running" running "$(ctr_status $WN)"
expect_null_domains "on_failure=warn, during" ""
check_eq "on_failure=warn: no C-state limit left from the failed tunings" "$before_qos" "$(pm_qos)"
check_contains "on_failure=warn: the log names cpufreq" "cpufreq" "$(cat /tmp/isolcpus.log)"
ctr_down $WN
check_ledger_clean $WN
rmdir "$CPUCG/$POD" 2>/dev/null || true
