"""sd_tunings: CRI-O's high-performance annotations through containerd's CRI
on the node people run (systemd as PID 1, SystemdCgroup = true), with
Debian's irqbalance running.  What it proves:
- every annotation reaches the spec through the handler's pod_annotations;
- the CFS quota of the scope and the pod slice stays lifted across
  `systemctl daemon-reload` (the control shows systemd does rewrite a raw
  write), and comes back when the pod goes;
- irqbalance takes the ban list through its socket: its own answer names
  the CPUs, it is never restarted, not even by 20 pods started two at a
  time, and it gets its own list back at the end;
- IRQ masks, PM QoS latency and quota read as before afterwards.
"""

from __future__ import annotations

import glob
import json
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from guestlib import V2, Scenario, run

ROOT = Path("/sys/fs/cgroup")
QUOTA_ROOT = ROOT if V2 else ROOT / "cpu,cpuacct"
QUOTA_FILE = "cpu.max" if V2 else "cpu.cfs_quota_us"
LIFTED = "max 100000" if V2 else "-1"
ALL = {"cpu-load-balancing.crio.io": "disable", "cpu-quota.crio.io": "disable",
       "irq-load-balancing.crio.io": "disable", "cpu-c-states.crio.io": "max_latency:10"}


def read(path: Path | str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as e:
        return f"<{e.strerror}>"


def quota(cgroup: str) -> str:
    return read(QUOTA_ROOT / cgroup / QUOTA_FILE)


def irq_masks() -> dict[str, str]:
    return {p.split("/")[3]: read(p) for p in sorted(glob.glob("/proc/irq/[0-9]*/smp_affinity"))}


def pm_qos() -> dict[int, str]:
    return {c: read(f"/sys/devices/system/cpu/cpu{c}/power/pm_qos_resume_latency_us") for c in range(4)}


def ask_irqbalance(sock: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall(b"setup")
        return s.recv(65536).decode(errors="replace")


def irqbalance() -> dict:
    """Its PID, systemd's restart count, and the ban list it reports itself
    (the `setup` answer of its socket ends in "BANNED <mask>")."""
    show = run(["systemctl", "show", "irqbalance", "-p", "MainPID", "-p", "NRestarts"], check=False).stdout
    props = dict(line.split("=", 1) for line in show.split() if "=" in line)
    banned = None
    for sock in glob.glob("/run/irqbalance/irqbalance*.sock"):
        for _ in range(3):  # it answers between two passes of its loop
            try:
                words = ask_irqbalance(sock).split()
            except OSError as e:
                banned = f"<no answer: {e}>"
                continue
            if "BANNED" in words:
                banned = words[words.index("BANNED") + 1]
            break
    return {"pid": props.get("MainPID"), "restarts": props.get("NRestarts"), "banned": banned}


def mask_cpus(mask: str | None) -> set[int]:
    if mask is None or mask.startswith("<"):
        return set()
    value = int(mask.replace(",", ""), 16)
    return {b for b in range(value.bit_length()) if value >> b & 1}


def control_daemon_reload_rewrites_raw_quota(s: Scenario) -> None:
    run(["systemd-run", "--unit=isolvm-quota", "--property=CPUQuota=50%", "sleep", "100000"])
    cg = "system.slice/isolvm-quota.service"
    (QUOTA_ROOT / cg / QUOTA_FILE).write_text(LIFTED)
    run(["systemctl", "daemon-reload"])
    s.check_eq("control: systemd rewrites a raw quota write at daemon-reload", "50000 100000" if V2 else "50000",
               quota(cg))
    run(["systemctl", "stop", "isolvm-quota.service"], check=False)


def moved(s: Scenario, label: str, masks0: dict[str, str]) -> None:
    """With irqbalance running, an IRQ mask that no longer reads what the
    wrapper wrote is irqbalance's (the wrapper restores only its own): shown,
    not judged.  The busybox guests (no irqbalance) check exact restores."""
    changed = {irq: m for irq, m in irq_masks().items() if m != masks0.get(irq)}
    s.info(f"{label}: IRQs irqbalance placed anew meanwhile: {changed or 'none'}")


def held_irqs_off(s: Scenario, label: str, cpus: set[int]) -> None:
    log = read("/var/log/runc-isolcpus.log")
    bad = [f"{irq}={m}" for irq, m in irq_masks().items()
           if mask_cpus(m) & cpus and f"/proc/irq/{irq}/smp_affinity" not in log]
    s.check(f"{label}: every IRQ the kernel lets us move is off CPUs {sorted(cpus)}", not bad, " ".join(bad))


def sd_tunings(s: Scenario) -> None:
    from kubelet import Kubelet

    run(["systemctl", "start", "irqbalance"], check=False)
    s.require("irqbalance (Debian's package) runs", read("/proc/1/comm") == "systemd" and
              run(["systemctl", "is-active", "irqbalance"], check=False).stdout.strip() == "active")
    for _ in range(50):
        if glob.glob("/run/irqbalance/irqbalance*.sock"):
            break
        time.sleep(0.2)
    s.expect_null_domains("before", [])
    ib0 = irqbalance()
    s.info(f"irqbalance before: {ib0}")
    control_daemon_reload_rewrites_raw_quota(s)
    masks0, default0, qos0 = irq_masks(), read("/proc/irq/default_smp_affinity"), pm_qos()
    s.info(f"OBSERVED before: default_smp_affinity={default0} {masks0} pm_qos={qos0}")

    kubelet = Kubelet(Path("/var/log/pods"))
    kubelet.start()
    g = kubelet.run_pod("tuned", "guaranteed", "isolcpus", ALL, cpus=2)
    c = kubelet.add_container(g, "rt", "2-3", 2048, quota=200000)
    scope = kubelet.scope_of(c, g)
    pod = scope.rsplit("/", 1)[0]
    pod_quota0 = "200000 100000" if V2 else "200000"  # the kubelet's CPUQuotaPerSecUSec for 2 CPUs
    s.expect_null_domains("during", [2, 3])
    entry = [e for e in json.loads(read("/run/runc-isolcpus/ledger.json")).get("entries", [])
             if e.get("container_id") == c.id]
    s.check("the ledger holds every annotation (they reached the spec through pod_annotations)",
            len(entry) == 1 and {t["knob"] for t in entry[0].get("tunings", [])} ==
            {"cpu-quota", "irq-load-balancing", "cpu-c-states"}, json.dumps(entry))
    s.check_eq("the scope's quota is lifted", LIFTED, quota(scope))
    s.check_eq("the pod slice's quota is lifted", LIFTED, quota(pod))
    s.check("the drop-ins tell systemd", Path(f"/run/systemd/system.control/cri-containerd-{c.id}.scope.d/"
                                              "90-runc-isolcpus-cpu-quota.conf").exists())
    s.check_eq("PM QoS on CPU 2", "10", pm_qos()[2])
    s.check_eq("PM QoS on CPU 0 untouched", qos0[0], pm_qos()[0])
    s.check_eq("default_smp_affinity without CPUs 2-3", "3", read("/proc/irq/default_smp_affinity"))
    held_irqs_off(s, "during", {2, 3})
    s.info(f"OBSERVED during: default_smp_affinity={read('/proc/irq/default_smp_affinity')} {irq_masks()} "
           f"pm_qos={pm_qos()} scope {QUOTA_FILE}={quota(scope)} pod {QUOTA_FILE}={quota(pod)}")

    run(["systemctl", "daemon-reload"])
    s.check_eq("after daemon-reload the scope's quota is still lifted", LIFTED, quota(scope))
    s.check_eq("after daemon-reload the pod slice's quota is still lifted", LIFTED, quota(pod))
    time.sleep(12)  # one irqbalance pass (10 s): it reads a new ban list when it rescans
    ib = irqbalance()
    s.info(f"irqbalance during: {ib}")
    if not s.check("irqbalance reports CPUs 2-3 banned (its own answer)", {2, 3} <= mask_cpus(ib["banned"]),
                   str(ib)):
        s.info(run(["journalctl", "-u", "irqbalance", "--no-pager", "-n", "30"], check=False).stdout)
    held_irqs_off(s, "after an irqbalance pass", {2, 3})

    kubelet.remove_container(g, c)
    s.check_eq("the pod slice's quota is back once its container is gone", pod_quota0, quota(pod))
    kubelet.remove_pod(g)
    s.expect_null_domains("after", [])
    moved(s, "after", masks0)
    s.check_eq("default_smp_affinity as before", default0, read("/proc/irq/default_smp_affinity"))
    s.check_eq("PM QoS as before", qos0, pm_qos())
    s.check("no drop-in left", not glob.glob("/run/systemd/system.control/*/90-runc-isolcpus-*"))
    s.info(f"OBSERVED after: default_smp_affinity={read('/proc/irq/default_smp_affinity')} {irq_masks()} "
           f"pm_qos={pm_qos()} pod {QUOTA_FILE} back to {pod_quota0!r} before the pod went")

    if not V2:
        return  # the burst runs once, in the 6.12 boot
    # 20 pods, two at a time, each keeping IRQs off its CPU: irqbalance is
    # told through its socket, never restarted.
    def one(cpu: str, i: int):
        p = kubelet.run_pod(f"irq-{i}-{cpu}", "guaranteed", "isolcpus", {"irq-load-balancing.crio.io": "disable"},
                            cpus=1)
        kubelet.add_container(p, "rt", cpu, 1024)
        return p

    with ThreadPoolExecutor(2) as pool:
        for i in range(10):
            pods = list(pool.map(lambda cpu: one(cpu, i), ["2", "3"]))
            for p in pods:
                kubelet.remove_pod(p)
    # irqbalance sleeps through a pass after each new list and misses
    # connections meanwhile: the wrapper never waits for it, and the next
    # call or the minute timer's reconcile delivers what it missed.
    for _ in range(6):
        time.sleep(11)
        run(["runc-isolcpus-ctl", "reconcile"], check=False)
        if not json.loads(read("/run/runc-isolcpus/ledger.json")).get("irqbalance_told"):
            break
    time.sleep(11)
    ib1 = irqbalance()
    s.info(f"irqbalance after 20 pods: {ib1}")
    s.check_eq("irqbalance was never restarted (same PID)", ib0["pid"], ib1["pid"])
    s.check_eq("systemd counted no restart", ib0["restarts"], ib1["restarts"])
    s.check_eq("irqbalance has its own ban list back", ib0["banned"], ib1["banned"])
    # Its IRQs are irqbalance's to place again (the wrapper restores only a
    # mask that still reads what it wrote): none of ours is left behind.
    moved(s, "after the 20 pods", masks0)
    s.check("no entry holds an IRQ: every mask the wrapper wrote was given back",
            not json.loads(read("/run/runc-isolcpus/ledger.json")).get("entries"))
    log = read("/var/log/runc-isolcpus.log")
    refused = [line for line in log.splitlines() if "did not take its ban list" in line]
    s.info(f"OBSERVED after the 20 pods: {irq_masks()}; irqbalance told "
           f"{log.count('irqbalance: banned CPUs')} times, did not take it {len(refused)} times"
           + (f", e.g. {refused[-1]}" if refused else ""))
    s.check("the ledger is empty", not json.loads(read("/run/runc-isolcpus/ledger.json")).get("entries"))


# ---- irqbalance without a socket: the environment-file fallback ----

DROPIN = Path("/run/systemd/system/irqbalance.service.d/50-isolvm-no-socket.conf")
RECONCILE_TIMER = "runc-isolcpus-reconcile.timer"


def pause_reconcile_timer() -> None:
    """Stops the timer and lets a reconcile it already started finish."""
    run(["systemctl", "stop", RECONCILE_TIMER])
    for _ in range(300):
        state = run(["systemctl", "is-active", "runc-isolcpus-reconcile.service"], check=False).stdout.strip()
        if state != "activating":
            return
        time.sleep(0.2)


def irqbalance_unit() -> dict:
    show = run(["systemctl", "show", "irqbalance", "-p", "MainPID", "-p", "NRestarts", "-p", "ActiveState",
                "-p", "ActiveEnterTimestampMonotonic"], check=False).stdout
    props = dict(line.split("=", 1) for line in show.split() if "=" in line)
    env = None
    try:
        for item in Path(f"/proc/{props.get('MainPID', '0')}/environ").read_bytes().split(b"\0"):
            if item.startswith(b"IRQBALANCE_BANNED_CPULIST="):
                env = item.split(b"=", 1)[1].decode()
    except OSError:
        env = "<no process>"
    return {"pid": props.get("MainPID"), "state": props.get("ActiveState"), "restarts": props.get("NRestarts"),
            "started": int(props.get("ActiveEnterTimestampMonotonic", "0")) / 1e6, "list": env}


def reconcile_until(s: Scenario, what: str, pred, seconds: float) -> dict:
    """`ctl reconcile` every 10 s (the timer runs it every minute too) until
    irqbalance's own environment satisfies `pred`."""
    deadline = time.monotonic() + seconds
    while True:
        out = run(["runc-isolcpus-ctl", "reconcile"], check=False).stdout
        unit = irqbalance_unit()
        if pred(unit) or time.monotonic() > deadline:
            s.info(f"{what}: {unit}; reconcile said: {out.strip().splitlines()[:-1]}")
            return unit
        time.sleep(10)


def sd_irqbalance_file(s: Scenario) -> None:
    """An irqbalance whose socket the node cannot reach (older than 1.8, or
    built without one; here its /run/irqbalance is private to it): the ban
    list goes in /etc/default/irqbalance, and reconcile restarts the daemon
    outside the lock, never sooner than a minute after its last start, so a
    burst of pods is one restart and systemd's start limit is never hit."""
    from kubelet import Kubelet

    env_file = Path("/etc/default/irqbalance")
    original = env_file.read_bytes()
    # Its socket directory is another one, bound where it looks.
    hidden = Path("/run/isolvm-irqbalance")
    hidden.mkdir(exist_ok=True)
    DROPIN.parent.mkdir(parents=True, exist_ok=True)
    DROPIN.write_text(f"[Service]\nRuntimeDirectory=\nBindPaths={hidden}:/run/irqbalance\n")
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "restart", "irqbalance"])
    Path("/run/irqbalance").mkdir(exist_ok=True)
    for _ in range(50):
        if glob.glob(f"{hidden}/*.sock"):
            break
        time.sleep(0.2)
    u0 = irqbalance_unit()
    s.info(f"sockets: ours {glob.glob('/run/irqbalance/*')}, its own {glob.glob(f'{hidden}/*')}")
    s.require("irqbalance runs with its socket out of the node's reach",
              u0["state"] == "active" and not glob.glob("/run/irqbalance/*.sock") and
              bool(glob.glob(f"{hidden}/*.sock")), str(u0))
    s.expect_null_domains("before", [])
    check = run(["runc-isolcpus-ctl", "check"], check=False).stdout
    s.check("check says the ban list goes in the file", "goes in /etc/default/irqbalance as "
            "IRQBALANCE_BANNED_CPULIST" in check, check)

    # The package's minute timer also runs reconcile, which writes the file
    # (its job): paused, so that only the wrapper runs while the pods start,
    # and each reconcile below is this scenario's own.
    pause_reconcile_timer()
    kubelet = Kubelet(Path("/var/log/pods"))
    kubelet.start()
    pods = []
    for cpu in ("2", "3"):  # a burst of two: one restart for both
        p = kubelet.run_pod(f"irqfile-{cpu}", "guaranteed", "isolcpus", {"irq-load-balancing.crio.io": "disable"},
                            cpus=1)
        kubelet.add_container(p, "rt", cpu, 1024)
        pods.append(p)
    s.check_eq("the wrapper left the file alone (no /etc write under the node lock)", original,
               env_file.read_bytes())
    out = run(["runc-isolcpus-ctl", "reconcile"], check=False).stdout
    text = env_file.read_text()
    s.check("reconcile bans CPUs 2-3 in our block, after the package's lines",
            text.startswith(original.decode()) and "\nIRQBALANCE_BANNED_CPULIST=2-3\n# END runc-isolcpus\n" in text,
            text[len(original):])
    s.check("a reconcile within a minute of irqbalance's start defers the restart", "restart deferred" in out, out)
    s.check_eq("irqbalance was not restarted yet", u0["pid"], irqbalance_unit()["pid"])
    u1 = reconcile_until(s, "restarted with the list", lambda u: u["list"] == "2-3", 100)
    s.check_eq("irqbalance restarted once and runs with CPUs 2-3 banned (its environment)", "2-3", u1["list"])
    s.check("its restart came at least a minute after its start", u1["started"] - u0["started"] >= 60,
            f"{u1['started'] - u0['started']:.1f}s")
    time.sleep(12)  # one pass of irqbalance with its new list
    held_irqs_off(s, "after a pass of the restarted irqbalance", {2, 3})
    out = run(["runc-isolcpus-ctl", "reconcile"], check=False).stdout
    s.check_eq("a reconcile with nothing new leaves it alone", u1["pid"], irqbalance_unit()["pid"])

    for p in pods:
        kubelet.remove_pod(p)
    s.expect_null_domains("after", [])
    run(["runc-isolcpus-ctl", "reconcile"], check=False)
    s.check("the file is back byte for byte once the pods are gone", env_file.read_bytes() == original,
            env_file.read_text()[-300:])
    u2 = reconcile_until(s, "restarted without the list", lambda u: u["list"] is None, 100)
    s.check("irqbalance runs with its own configuration again (no list in its environment)",
            u2["list"] is None and u2["pid"] != u1["pid"], str(u2))
    s.check("spaced a minute from the one before", u2["started"] - u1["started"] >= 60,
            f"{u2['started'] - u1['started']:.1f}s")
    s.check_eq("irqbalance is active and systemd counted no failure restart", ("active", "0"),
               (u2["state"], u2["restarts"]))
    starts = run(["journalctl", "-u", "irqbalance", "--no-pager", "-o", "cat"], check=False).stdout
    s.info(f"OBSERVED irqbalance starts by systemd: {starts.count('Started')} in this boot; "
           f"environments {u0['list']!r} -> {u1['list']!r} -> {u2['list']!r}")
    s.check("the mark for a pending restart is gone", not Path("/run/runc-isolcpus/irqbalance-file-changed").exists())
    DROPIN.unlink()
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "restart", "irqbalance"], check=False)
    run(["systemctl", "start", RECONCILE_TIMER], check=False)
