"""Isolation proven on real Debian kernels: qemu guests (TCG) read the
scheduler's own view (/proc/schedstat, debugfs sched/domains) before, during
and after each scenario.  See tests/vm/ for the harness.

Environment (set by ctest): ISOLCPUS_WRAPPER (the built runc-isolcpus),
ISOLCPUS_SOURCE_DIR (the source tree).  Needs root (apt, qemu); the harness
installs qemu-system-x86 / busybox-static / cpio itself and caches kernels in
/var/cache/runc-isolcpus-vm.

Time budget: one boot per row of BOOTS, each 10-25 s under TCG; the whole
module must stay under BUDGET_SECONDS (checked by the last test).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("ISOLCPUS_SOURCE_DIR", Path(__file__).resolve().parents[2]))
VM = SOURCE_DIR / "tests" / "vm"
WRAPPER = os.environ.get("ISOLCPUS_WRAPPER", "")
BOOT_TIMEOUT = 150  # seconds per guest, generous for a loaded CI machine
BUDGET_SECONDS = 1600  # the whole module, kernels cached or not: CI has 90 minutes for everything
SOAK_TIMEOUT = 900  # the soak boot alone

# (kernel, cgroup mode, scenarios run in one boot, scenarios expected to FAIL)
BOOTS = [
    # Stage 1: the harness and the kernel facts, no wrapper.
    ("6.12", "v2", ("base_v2_remote", "base_runc"), ()),
    ("6.1", "v1", ("base_v1_flag", "base_runc"), ()),
    # selftest_fail is the negative control: the harness must see a mismatch.
    ("6.1", "v2", ("base_v2_old", "selftest_fail", "base_runc"), ("selftest_fail",)),
    # Stage 2: real runc through the wrapper.  Mostly one boot each: a broken
    # scenario must not leave state behind for the next.  Scenarios that
    # check their own end state (everything restored) share a boot with one
    # that came before, to keep the module inside its budget.
    ("6.12", "v2", ("wrap_v2_lifecycle", "demo"), ()),
    ("6.12", "v2", ("wrap_v2_two_ab",), ()),
    ("6.12", "v2", ("wrap_v2_two_ba", "wrap_v2_zombie"), ()),
    ("6.12", "v2", ("wrap_v2_side_by_side", "wrap_v2_relative"), ()),
    # crun (bookworm's 1.8.1) as the runtime: its state layout and flags.
    ("6.12", "v2", ("wrap_v2_update", "wrap_v2_crun", "wrap_tunings"), ()),
    # Crash recovery: the wrapper SIGKILLed mid-isolation (fault injection).
    ("6.12", "v2", ("wrap_v2_sigkill", "wrap_v2_crash"), ()),
    # v1: a cpuset created while isolated re-balances until the next reconcile.
    ("6.1", "v1", ("wrap_v1_lifecycle", "wrap_v1_new_cpuset", "wrap_tunings"), ()),
    ("6.1", "v2", ("wrap_v2_old_fail", "wrap_v2_old_warn"), ()),
    # 6.12's zombie partition, its leaked CPU and the repair release relies
    # on.  Alone: removing a zombie leaves freed memory on the kernel's list
    # of remote partitions, and later partition work in that boot oopses.
    ("6.12", "v2", ("base_v2_zombie",), ()),
    # The crash soak: 50 random rounds (ISOLVM_SOAK_ROUNDS for more), the wrapper SIGKILLed at random
    # (docs/INVARIANTS.md); its own, longer timeout.
    ("6.12", "v2", ("soak_v2",), ()),
]
CASES = [(k, cg, scens, s, s in expect_fail) for k, cg, scens, expect_fail in BOOTS for s in scens]

# The node people run (tests/vm/systemd/): Debian with systemd as PID 1,
# containerd's CRI with SystemdCgroup = true, the project's .deb installed by
# dpkg in the guest, and a kubelet-like driver (tests/vm/systemd/kubelet.py).
SYSTEMD_BOOTS = [
    # sd_reboot reboots the guest (containerd's state on a virtio disk): last.
    ("6.12", "v2", ("sd_kubelet", "sd_kubelet_restarts", "sd_reconcile_timer", "sd_crun", "sd_tunings",
                      "sd_configure", "sd_installer", "sd_reboot")),
    # The legacy shape: cgroup v1 under systemd (systemd.unified_cgroup_hierarchy=0).
    ("6.1", "v1", ("sd_kubelet", "sd_kubelet_restarts", "sd_reconcile_timer", "sd_crun", "sd_tunings",
                   "sd_irqbalance_file")),
]
SYSTEMD_CASES = [(k, cg, scens, s) for k, cg, scens in SYSTEMD_BOOTS for s in scens]
SYSTEMD_TIMEOUT = 660  # sd_tunings waits out irqbalance passes (about 200 s in the 6.12 boot)
SYSTEMD_REBOOT_EXTRA = 180  # the second boot, its setup and sd_reboot's second half

_spent = {"boots": 0.0}


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def kernels():
    assert os.geteuid() == 0, "the VM tests need root (apt-get install, qemu, /var/cache)"
    t = time.monotonic()
    r = _run([str(VM / "fetch-kernels")])
    _spent["fetch"] = time.monotonic() - t
    assert r.returncode == 0, f"tests/vm/fetch-kernels failed:\n{r.stdout}\n{r.stderr}"
    return True


@pytest.fixture(scope="module")
def initrd(kernels, tmp_path_factory):
    out = tmp_path_factory.mktemp("isolvm") / "initrd.cpio"
    cmd = [str(VM / "build-initramfs"), "--out", str(out)]
    if WRAPPER:
        assert os.access(WRAPPER, os.X_OK), f"ISOLCPUS_WRAPPER={WRAPPER} is not an executable (build runc-isolcpus)"
        cmd += ["--wrapper", WRAPPER]
    r = _run(cmd)
    assert r.returncode == 0, f"build-initramfs failed:\n{r.stderr}"
    return out


@pytest.fixture(scope="module")
def systemd_initrd(kernels, tmp_path_factory):
    """The systemd guest, with the .deb cpack makes from this build."""
    assert WRAPPER, "ISOLCPUS_WRAPPER is not set: run through ctest"
    build = Path(WRAPPER).parent
    assert (build / "CPackConfig.cmake").is_file(), f"{build}/CPackConfig.cmake missing"
    out = tmp_path_factory.mktemp("isolvm-systemd")
    r = _run(["cpack", "-G", "DEB", "-B", str(out / "deb"), "--config", str(build / "CPackConfig.cmake")],
             cwd=build, timeout=900)
    assert r.returncode == 0, f"cpack failed:\n{r.stdout}\n{r.stderr}"
    debs = list((out / "deb").glob("*.deb"))
    assert len(debs) == 1, f"expected one .deb, found {debs}"
    t = time.monotonic()
    r = _run([str(VM / "build-systemd-initramfs"), "--out", str(out / "initrd.cpio.zst"), "--deb", str(debs[0])])
    _spent["systemd_build"] = time.monotonic() - t
    assert r.returncode == 0, f"build-systemd-initramfs failed:\n{r.stderr}"
    return out / "initrd.cpio.zst"


def _boot_cache(initrd, init="busybox"):
    cache = {}

    def get(kernel, cgroup, scens):
        key = (kernel, cgroup, scens)
        if key not in cache:
            log = initrd.parent / f"console-{init}-{kernel}-{cgroup}-{'+'.join(scens)}.log"
            timeout = SOAK_TIMEOUT if "soak_v2" in scens else SYSTEMD_TIMEOUT if init == "systemd" else BOOT_TIMEOUT
            if "sd_reboot" in scens:
                timeout += SYSTEMD_REBOOT_EXTRA
            # Inside the module's budget, so a slow guest fails here with its
            # console instead of ctest killing the whole module.
            left = BUDGET_SECONDS - _spent["boots"] - _spent.get("fetch", 0.0) - _spent.get("systemd_build", 0.0)
            timeout = max(60, min(timeout, left))
            t = time.monotonic()
            disk = ["--disk", str(log.with_suffix(".img"))] if "sd_reboot" in scens else []
            r = _run([str(VM / "run-guest"), "--kernel", kernel, "--initrd", str(initrd), "--cgroup", cgroup,
                      "--init", init, "--scenarios", ",".join(scens), "--log", str(log), "--timeout",
                      str(timeout), "--json", *disk])
            _spent["boots"] += time.monotonic() - t
            try:
                res = json.loads(r.stdout)
            except json.JSONDecodeError:
                pytest.fail(f"run-guest printed no JSON (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
            res["stderr"] = r.stderr
            res["exit"] = r.returncode
            cache[key] = res
        return cache[key]

    return get


@pytest.fixture(scope="module")
def boots(initrd):
    """Boot results, one guest per BOOTS row, booted on first use."""
    return _boot_cache(initrd)


@pytest.fixture(scope="module")
def systemd_boots(systemd_initrd):
    return _boot_cache(systemd_initrd, "systemd")


def _scenario_markers(res, scen):
    return [m for m in res["markers"] if m.split(" ")[1:2] == [scen]]


@pytest.mark.parametrize("kernel,cgroup,scens,scen,expect_fail", CASES,
                         ids=[f"{k}-{cg}-{s}" for k, cg, _, s, _ in CASES])
def test_scenario(boots, capsys, kernel, cgroup, scens, scen, expect_fail):
    _judge(boots(kernel, cgroup, scens), capsys, kernel, cgroup, scen, expect_fail)


@pytest.mark.parametrize("kernel,cgroup,scens,scen", SYSTEMD_CASES,
                         ids=[f"systemd-{k}-{cg}-{s}" for k, cg, _, s in SYSTEMD_CASES])
def test_systemd_scenario(systemd_boots, capsys, kernel, cgroup, scens, scen):
    res = systemd_boots(kernel, cgroup, scens)
    setup = [m for m in res["markers"] if m.startswith("CHECK setup")]
    assert setup and not [m for m in setup if " FAIL " in m], "guest setup failed:\n" + "\n".join(setup)
    _judge(res, capsys, kernel, cgroup, scen, False)
    if scen == "sd_reboot":
        assert res["boots"] == 2, f"sd_reboot: the guest booted {res['boots']} time(s), expected a reboot"


def _judge(res, capsys, kernel, cgroup, scen, expect_fail):
    mine = _scenario_markers(res, scen)
    # Shown even when the test passes, so CI logs carry the kernel's view.
    with capsys.disabled():
        sys.stdout.write(f"\n--- {kernel} {cgroup} {scen} (boot {res['elapsed']}s) ---\n")
        for note in res.get("retried", []):
            sys.stdout.write(f"    RETRIED BOOT: {note}\n")
        for m in mine:
            if m.startswith(("DOMAINS", "RESULT")) or " FAIL " in m or "systemd" in m or " soak summary" in m or " soak: seed" in m or "KERNEL ORPHAN" in m:
                sys.stdout.write(f"    {m}\n")
        sys.stdout.flush()
    assert not res.get("tcg_race"), f"guest hit the TCG live-patching race twice: {res['tcg_race']}\n{res['stderr']}"
    assert not res["timed_out"], f"guest timed out\n{res['stderr']}"
    assert res["done"], f"guest never printed DONE (crash or init died)\n{res['stderr']}"
    result = res["results"].get(scen)
    checks = [m for m in mine if m.startswith("CHECK")]
    assert checks, f"{scen} ran no checks:\n" + "\n".join(mine)
    if expect_fail:
        # Negative control: mismatches must be reported as FAIL, and run-guest must exit non-zero.
        assert result == "FAIL", f"negative control {scen} did not fail: {result}"
        assert any(" FAIL " in c for c in checks)
        assert res["exit"] != 0
        return
    failed = [c for c in checks if " FAIL " in c]
    assert result == "PASS" and not failed, (
        f"{scen} on {kernel} {cgroup}: {result}\n" + "\n".join(mine) + "\n\n" + res["stderr"])
    domains = [m for m in mine if m.startswith("DOMAINS")]
    assert any(" before :: " in d for d in domains) and any(" after" in d for d in domains), \
        f"{scen} printed no before/after domain maps"


def test_demo_map(boots):
    """The map scripts/demo shows: CPUs 2-3 ISOLATED (rt/web) only while the container lives."""
    res = boots("6.12", "v2", ("wrap_v2_lifecycle", "demo"))
    rows = {}
    for m in res["markers"]:
        if m.startswith("DEMO "):
            cells = [c for c in m[len("DEMO "):].strip().split("  ") if c.strip()]
            cells = [c.strip() for c in cells]
            if cells and cells[0] in ("before", "during", "after"):
                rows.setdefault(cells[0], cells[1:])
    iso = "ISOLATED (rt/web)"
    assert rows == {"before": ["balanced"] * 4, "during": ["balanced", "balanced", iso, iso],
                    "after": ["balanced"] * 4}, "demo map:\n" + "\n".join(m for m in res["markers"] if m.startswith("DEMO"))


def test_zz_time_budget(capsys):
    total = _spent["boots"] + _spent.get("fetch", 0.0) + _spent.get("systemd_build", 0.0)
    with capsys.disabled():
        sys.stdout.write(f"\nVM suite: {len(BOOTS) + len(SYSTEMD_BOOTS)} boots, {_spent['boots']:.0f}s in guests, "
                         f"{_spent.get('fetch', 0.0):.0f}s fetching; budget {BUDGET_SECONDS}s\n")
    assert total < BUDGET_SECONDS, f"VM tests took {total:.0f}s, over the {BUDGET_SECONDS}s budget"
