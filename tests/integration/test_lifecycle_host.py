"""The wrapper's container lifecycle on this host, with real runc (cgroup v1).

Every test keeps the host's root cpuset flag as it found it
(v1_manage_root_flag = false), uses its own state_dir, log, runc --root and
cgroup parent, and fails if the wrapper leaves its balanced cpuset behind.
Run by hand:

    ISOLCPUS_WRAPPER=build/runc-isolcpus /usr/bin/python3 -m pytest -v \
        tests/integration/test_lifecycle_host.py

The fault-injection test needs a build with -DISOLCPUS_FAULT_INJECTION=ON.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import unique_id
from lifecycle_support import (ANNOTATION, BALANCED, CPUSET, Host, balanced_cpus, exclusive_host, json_lines,
                               root_flag, wait_for_quiet_host, wait_until)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


@pytest.fixture
def host(tmp_path: Path, wrapper: Path, real_runc: Path, busybox: Path):
    if not (CPUSET / "cpuset.sched_load_balance").exists():
        pytest.fail(f"{CPUSET} is not a cgroup v1 cpuset hierarchy: these tests are for the v1 host")
    with exclusive_host():
        wait_for_quiet_host()
        before = root_flag()
        h = Host(tmp_path, wrapper, real_runc, busybox)
        yield h
        problems = h.cleanup()
        assert root_flag() == before, "the host's root cpuset flag changed"
        if problems:
            pytest.fail("; ".join(problems))


def assert_released(host: Host, cid: str):
    # A live container's entry keeps its claim until `runc delete` is seen
    # through: a watcher reconciles the moment it exits.
    wait_until(lambda: host.entry(cid) is None, 10, f"the ledger to let go of {cid}: {host.ledger()}")
    assert host.parent_flag() == 1
    assert balanced_cpus() is None, f"{BALANCED} left behind"
    if (CPUSET / host.cgroup(cid)).exists():
        assert host.flag(cid) == 1


def assert_isolated(host: Host, cid: str, cpus: str = "1"):
    e = host.entry(cid)
    assert e is not None and e["state"] == "isolated", f"not isolated: {e}"
    assert e["cpus"] == cpus
    assert e["isolation"]["cpus"] == cpus
    assert e["isolation"]["cgroup"].strip("/") == host.cgroup(cid)
    assert host.flag(cid) == 0
    assert host.parent_flag() == 0
    housekeeping = {"1": "0", "0": "1"}[cpus]
    assert balanced_cpus() == housekeeping
    assert (CPUSET / host.cgroup(cid) / "cpuset.cpus").read_text().strip() == cpus


def start_isolated(host: Host, cid: str, **bundle_kw) -> Path:
    b = host.bundle(cid, **bundle_kw)
    host.ok("create", "--bundle", b, cid)
    host.ok("start", cid)
    assert_isolated(host, cid)
    return b


# 1 ---------------------------------------------------------------------------


def test_annotated_container_is_isolated_from_start_to_delete(host: Host):
    cid = unique_id("iso")
    b = host.bundle(cid)
    root_before = root_flag()

    host.ok("create", "--bundle", b, cid)
    e = host.entry(cid)
    assert e is not None and e["state"] == "decided" and e["cpus"] == "1"
    assert "isolation" not in e
    assert e["bundle"] == str(b)
    assert host.flag(cid) == 1 and host.parent_flag() == 1
    assert balanced_cpus() is None

    host.ok("start", cid)
    state = host.runc_state(cid)
    assert state["status"] == "running"
    e = host.entry(cid)
    assert e["init_pid"] == state["pid"]
    assert e["init_start_ticks"] > 0
    assert_isolated(host, cid)
    assert any(c["cgroup"].strip("/") == host.parent for c in host.ledger()["v1"]["flag_changes"])
    assert "v1_manage_root_flag=false" in host.log_text()  # the root-flag warning
    for _ in range(2):
        time.sleep(1)
        assert host.flag(cid) == 0 and host.parent_flag() == 0
        assert host.entry(cid)["state"] == "isolated"

    host.ok("kill", cid, "KILL")
    wait_until(lambda: host.runc_state(cid)["status"] == "stopped", 10, "the container to stop")
    host.ok("delete", cid)
    assert host.runc_state(cid) is None
    assert_released(host, cid)
    assert host.ledger()["v1"]["flag_changes"] == []
    assert root_flag() == root_before


# 2 ---------------------------------------------------------------------------


@pytest.mark.parametrize("annotations", [
    {},
    {ANNOTATION: "disable", "io.kubernetes.cri-o.ContainerType": "sandbox"},
    {ANNOTATION: "disable", "io.kubernetes.cri.container-type": "sandbox"},
], ids=["plain", "crio-sandbox", "containerd-sandbox"])
def test_ineligible_containers_are_not_touched(host: Host, annotations):
    cid = unique_id("plain")
    b = host.bundle(cid, annotations=annotations)
    host.ok("create", "--bundle", b, cid)
    assert host.entry(cid) is None
    host.ok("start", cid)
    assert host.runc_state(cid)["status"] == "running"
    assert host.entry(cid) is None
    assert host.flag(cid) == 1 and host.parent_flag() == 1
    assert balanced_cpus() is None
    host.ok("delete", "--force", cid)
    assert host.ledger()["entries"] == []


# 3 ---------------------------------------------------------------------------


def memory_limit(host: Host, cid: str) -> int:
    return int((Path("/sys/fs/cgroup/memory") / host.cgroup(cid) / "memory.limit_in_bytes").read_text())


def test_update_moves_isolation_with_the_cpus(host: Host):
    cid = unique_id("upd")
    start_isolated(host, cid)

    # -r - : JSON on stdin, cpus and memory together; the bytes reach runc.
    body = json.dumps({"cpu": {"cpus": "0"}, "memory": {"limit": 64 << 20}}).encode()
    host.ok("update", "-r", "-", cid, input=body)
    assert_isolated(host, cid, "0")
    assert memory_limit(host, cid) == 64 << 20

    # -r FILE
    f = host.tmp / "resources.json"
    f.write_text(json.dumps({"cpu": {"cpus": "1"}}))
    host.ok("update", "-r", f, cid)
    assert_isolated(host, cid, "1")

    # --cpuset-cpus
    host.ok("update", "--cpuset-cpus", "0", cid)
    assert_isolated(host, cid, "0")
    host.ok("update", "--cpuset-cpus", "1", cid)
    assert_isolated(host, cid, "1")

    # Memory only, on stdin: passes through, runc still gets the exact bytes.
    body = json.dumps({"memory": {"limit": 96 << 20}}).encode()
    host.ok("update", "-r", "-", cid, input=body)
    assert memory_limit(host, cid) == 96 << 20
    assert_isolated(host, cid, "1")
    host.ok("update", "--memory", str(80 << 20), cid)
    assert memory_limit(host, cid) == 80 << 20
    assert_isolated(host, cid, "1")

    # runc's own failure status comes back, and the old set stays isolated.
    # (runc rejects the memory value while decoding, before it touches a
    # cgroup; the wrapper still reads the new cpus and has to move them.)
    body = json.dumps({"cpu": {"cpus": "0"}, "memory": {"limit": "lots"}}).encode()
    direct = subprocess.run([str(host.runc), "--root", str(host.root), "update", "-r", "-", cid], input=body,
                            capture_output=True)
    assert direct.returncode != 0
    assert_isolated(host, cid, "1")
    r = host.call("update", "-r", "-", cid, input=body)
    assert r.returncode == direct.returncode, r.stderr
    assert_isolated(host, cid, "1")

    host.ok("delete", "--force", cid)
    assert_released(host, cid)


def test_update_between_create_and_start_moves_the_decision(host: Host):
    # Found by this suite: the wrapper ignored updates of created containers,
    # so start tried to isolate the old set and failed (CPU not in cpuset).
    cid = unique_id("updcreated")
    b = host.bundle(cid)
    host.ok("create", "--bundle", b, cid)
    host.ok("update", "--cpuset-cpus", "0", cid)
    e = host.entry(cid)
    assert e["state"] == "decided" and e["cpus"] == "0", e
    assert host.flag(cid) == 1
    host.ok("start", cid)
    assert_isolated(host, cid, "0")
    host.ok("delete", "--force", cid)
    assert_released(host, cid)


def test_update_of_unisolated_container_passes_stdin_through(host: Host):
    cid = unique_id("updplain")
    b = host.bundle(cid, isolated=False)
    host.ok("create", "--bundle", b, cid)
    host.ok("start", cid)
    body = json.dumps({"cpu": {"cpus": "0"}, "memory": {"limit": 48 << 20}}).encode()
    host.ok("update", "-r", "-", cid, input=body)
    assert memory_limit(host, cid) == 48 << 20
    assert (CPUSET / host.cgroup(cid) / "cpuset.cpus").read_text().strip() == "0"
    assert host.entry(cid) is None and host.flag(cid) == 1
    host.ok("delete", "--force", cid)


# 4 ---------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["next-lifecycle-call", "ctl-reconcile"])
def test_killed_and_never_deleted_container_is_released(host: Host, by):
    cid = unique_id("dead")
    start_isolated(host, cid)
    host.kill_init(cid)
    assert host.entry(cid)["state"] == "isolated"  # nobody noticed yet
    if by == "ctl-reconcile":
        r = host.reconcile()
        assert r.returncode == 0, r.stderr
    else:
        other = unique_id("other")
        ob = host.bundle(other, isolated=False)
        host.ok("create", "--bundle", ob, other)
    assert_released(host, cid)
    assert host.flag(cid) == 1  # its cgroup still exists (not deleted): flag restored
    assert "gone" in host.log_text()
    host.ok("delete", "--force", cid)
    assert_released(host, cid)


def test_cpuset_made_by_runc_create_is_flagged_as_soon_as_create_exits(host: Host):
    """v1: runc create makes the new container's cpuset with flag 1; covering
    the isolated CPU (a pod sandbox gets the pod's whole cpuset), it would
    balance that CPU again until some later wrapper call.  The create-time
    watcher closes that window when runc create exits, with no further call."""
    cid = unique_id("iso")
    start_isolated(host, cid)
    sandbox = unique_id("sandbox")
    sb = host.bundle(sandbox, isolated=False, cpus="0-1", shares=2)
    host.ok("create", "--bundle", sb, sandbox)
    wait_until(lambda: host.flag(sandbox) == 0, 10, f"{sandbox}'s new cpuset flag cleared by the create-time watcher")
    assert host.entry(sandbox) is None, "the plain container itself is not isolated"
    assert_isolated(host, cid)
    host.ok("delete", "--force", sandbox)
    host.ok("kill", cid, "9")
    wait_until(lambda: host.runc_state(cid) is None or host.runc_state(cid).get("status") == "stopped", 10,
               f"{cid} stopped")
    host.ok("delete", cid)
    assert_released(host, cid)


# 5 ---------------------------------------------------------------------------


def test_concurrent_lifecycles_keep_the_ledger_sound(host: Host):
    rounds = 6
    errors: list[str] = []
    stop = threading.Event()

    def isolated_loop():
        for i in range(rounds):
            cid = f"{host.parent}-iso{i}"
            b = host.bundle(cid)
            for args in (("create", "--bundle", b, cid), ("start", cid)):
                r = host.call(*args)
                if r.returncode != 0:
                    errors.append(f"{args}: {r.stderr.decode(errors='replace')}")
            e = host.entry(cid)
            if e is None or e["state"] != "isolated" or host.flag(cid) != 0:
                errors.append(f"round {i}: not isolated: {e}")
            for args in (("kill", cid, "KILL"), ("delete", "--force", cid)):
                host.call(*args)
            if host.entry(cid) is not None:
                errors.append(f"round {i}: entry left after delete")

    def plain_loop():
        for i in range(rounds):
            cid = f"{host.parent}-plain{i}"
            b = host.bundle(cid, isolated=False, cpus="0")
            for args in (("create", "--bundle", b, cid), ("start", cid), ("delete", "--force", cid)):
                r = host.call(*args)
                if r.returncode != 0:
                    errors.append(f"{args}: {r.stderr.decode(errors='replace')}")

    reads = [0]

    def reader():
        path = host.state_dir / "ledger.json"
        while not stop.is_set():
            if path.exists():
                try:
                    doc = json.loads(path.read_text())
                    assert isinstance(doc["entries"], list)
                    reads[0] += 1
                except Exception as exc:  # noqa: BLE001 - any torn read is the failure
                    errors.append(f"ledger unreadable mid-run: {exc!r}")
            time.sleep(0.01)

    threads = [threading.Thread(target=f) for f in (isolated_loop, plain_loop)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    stop.set()
    watcher.join()
    assert not errors, errors
    assert reads[0] > 0
    doc = host.ledger()
    assert doc["entries"] == []
    assert doc["v1"]["flag_changes"] == []
    assert host.parent_flag() == 1
    assert balanced_cpus() is None


@pytest.mark.parametrize("policy", ["fail", "warn"])
def test_second_container_on_an_isolated_cpu(host: Host, policy):
    first = unique_id("first")
    start_isolated(host, first)
    host.configure(on_failure=policy)
    second = unique_id("second")
    b = host.bundle(second)
    log = host.tmp / "caller.log"
    r = host.create(second, b, log=log)
    if policy == "fail":
        assert r.returncode == 1
        err = r.stderr.decode()
        assert err.startswith("runc-isolcpus:") and "CPU" in err and second in err, err
        errors = [line for line in json_lines(log) if line["level"] == "error"]
        assert errors and second in errors[-1]["msg"]
        assert host.runc_state(second) is None
    else:
        assert r.returncode == 0, r.stderr
        host.ok("start", second)
        assert host.runc_state(second)["status"] == "running"
        assert any(line["level"] == "warning" for line in json_lines(log))
        # Not isolated, but on an isolated CPU: the v1 invariant keeps its
        # flag at 0 too while the first container holds CPU 1.
    assert host.entry(second) is None
    assert_isolated(host, first)
    host.ok("delete", "--force", first)
    assert_released(host, first)
    if policy == "warn":
        assert host.flag(second) == 1
        host.ok("delete", "--force", second)
    assert host.ledger()["v1"]["flag_changes"] == []


# 6 ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["fail", "warn"])
def test_isolation_failing_at_start(host: Host, policy):
    host.configure(on_failure=policy)
    cid = unique_id("bad")
    b = host.bundle(cid)
    host.ok("create", "--bundle", b, cid)
    # Take CPU 1 away from the container behind the wrapper's back: the
    # isolator refuses CPUs outside the container's own cpuset.
    (CPUSET / host.cgroup(cid) / "cpuset.cpus").write_text("0")
    log = host.tmp / "caller.log"
    r = host.call("start", cid, log=log)
    lines = json_lines(log)
    if policy == "fail":
        assert r.returncode == 1
        err = r.stderr.decode()
        assert err.startswith("runc-isolcpus:"), err
        assert "not in the container's" in err and cid in err, err
        errors = [line for line in lines if line["level"] == "error"]
        assert errors and "not in the container's" in errors[-1]["msg"], lines
        assert host.runc_state(cid)["status"] == "created"
        assert host.entry(cid) is None, "a refused start keeps its claim"  # reliability item 8
    else:
        assert r.returncode == 0, r.stderr
        assert host.runc_state(cid)["status"] == "running"
        warnings = [line for line in lines if line["level"] == "warning"]
        assert warnings and "not in the container's" in warnings[-1]["msg"], lines
        assert host.entry(cid) is None
    assert host.flag(cid) == 1 and host.parent_flag() == 1
    assert balanced_cpus() is None
    host.ok("delete", "--force", cid)
    assert_released(host, cid)


@pytest.mark.parametrize("policy", ["fail", "warn"])
def test_isolatable_cpus_guardrail(host: Host, policy):
    host.configure(on_failure=policy, isolatable_cpus="0")
    cid = unique_id("guard")
    b = host.bundle(cid)
    log = host.tmp / "caller.log"
    r = host.create(cid, b, log=log)
    if policy == "fail":
        assert r.returncode == 1
        assert r.stderr.decode().startswith("runc-isolcpus:") and "isolatable_cpus" in r.stderr.decode()
        assert any(line["level"] == "error" and "isolatable_cpus" in line["msg"] for line in json_lines(log))
        assert host.runc_state(cid) is None
    else:
        assert r.returncode == 0, r.stderr
        host.ok("start", cid)
        assert host.runc_state(cid)["status"] == "running"
        assert any(line["level"] == "warning" and "isolatable_cpus" in line["msg"] for line in json_lines(log))
        assert host.flag(cid) == 1
        host.ok("delete", "--force", cid)
    assert host.entry(cid) is None
    assert balanced_cpus() is None


# 7 ---------------------------------------------------------------------------


def test_denied_namespace_is_refused(host: Host):
    host.configure(allowed_namespaces=["rt"])
    cid = unique_id("ns")
    b = host.bundle(cid, annotations={ANNOTATION: "disable", "io.kubernetes.pod.namespace": "default"})
    log = host.tmp / "caller.log"
    r = host.create(cid, b, log=log)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.startswith("runc-isolcpus:") and '"default"' in err or "default" in err, err
    assert any("default" in line["msg"] for line in json_lines(log) if line["level"] == "error")
    assert host.entry(cid) is None and host.runc_state(cid) is None

    allowed = unique_id("nsok")
    b = host.bundle(allowed, annotations={ANNOTATION: "disable", "io.kubernetes.pod.namespace": "rt"})
    host.ok("create", "--bundle", b, allowed)
    host.ok("start", allowed)
    assert_isolated(host, allowed)
    host.ok("delete", "--force", allowed)
    assert_released(host, allowed)


# 8 ---------------------------------------------------------------------------

# v1.root.flag is not reachable here: the tests never let the wrapper manage
# the host's root flag (v1_manage_root_flag = false).
FAULT_STEPS = ["v1.balanced.mkdir", "v1.balanced.mems", "v1.balanced.cpus", "v1.balanced.flag",
               "v1.container.flag", "v1.cpuset.flag"]


def fault_injection_built(wrapper: Path) -> bool | None:
    """ISOLCPUS_FAULT_INJECTION from the wrapper's build tree, None if unknown."""
    cache = wrapper.parent / "CMakeCache.txt"
    if not cache.exists():
        return None
    for line in cache.read_text().splitlines():
        if line.startswith("ISOLCPUS_FAULT_INJECTION:"):
            return line.partition("=")[2].strip().upper() in ("ON", "1", "TRUE", "YES")
    return False


@pytest.mark.parametrize("recovery", ["ctl-reconcile", "next-call"])
@pytest.mark.parametrize("step", FAULT_STEPS)
def test_crash_mid_isolation_is_undone(host: Host, step, recovery):
    if fault_injection_built(host.wrapper) is False:
        pytest.skip(f"{host.wrapper} was built without -DISOLCPUS_FAULT_INJECTION=ON: crash recovery "
                    "needs the fault-injection build")
    cid = unique_id("crash")
    b = host.bundle(cid)
    host.ok("create", "--bundle", b, cid)
    r = host.call("start", cid, extra_env={"RUNC_ISOLCPUS_FAULT": step})
    assert r.returncode == -9, (
        f"start was not killed at {step} (exit {r.returncode}): build with -DISOLCPUS_FAULT_INJECTION=ON")
    e = host.entry(cid)
    assert e["state"] == "isolating" and "isolation" in e
    assert host.runc_state(cid)["status"] == "created"  # runc start never ran

    if recovery == "ctl-reconcile":
        rr = host.reconcile()
        assert rr.returncode == 0, rr.stderr
    else:
        other = unique_id("other")
        host.ok("create", "--bundle", host.bundle(other, isolated=False), other)
    e = host.entry(cid)
    assert e is not None and e["state"] == "decided" and "isolation" not in e, e
    assert host.flag(cid) == 1 and host.parent_flag() == 1
    assert balanced_cpus() is None
    assert host.ledger()["v1"]["flag_changes"] == []
    assert "interrupted isolation" in host.log_text()

    host.ok("start", cid)
    assert_isolated(host, cid)
    host.ok("delete", "--force", cid)
    assert_released(host, cid)


# 9 ---------------------------------------------------------------------------


def test_foreground_run_keeps_exit_status_and_releases_on_exit(host: Host):
    cid = unique_id("run")
    b = host.bundle(cid, args=("sh", "-c", "sleep 3; exit 7"))
    argv = [str(host.wrapper), "--root", str(host.root), "run", "--bundle", str(b), cid]
    proc = subprocess.Popen(argv, env=host.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        wait_until(lambda: (e := host.entry(cid)) is not None and e["state"] == "isolated", 10,
                   "the run to be isolated")
        assert host.entry(cid)["init_pid"] == proc.pid  # the wrapper became runc
        assert host.flag(cid) == 0 and host.parent_flag() == 0
        assert balanced_cpus() == "0"
        time.sleep(1)
        assert host.flag(cid) == 0
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 7, err
    # The exit watcher gives the CPUs back shortly after runc exits.
    wait_until(lambda: host.entry(cid) is None, 10, "the exit watcher to release the CPUs")
    assert host.parent_flag() == 1
    wait_until(lambda: balanced_cpus() is None, 5, "the balanced cpuset to go")
    assert host.runc_state(cid) is None


def test_detached_run_stays_isolated_until_delete(host: Host):
    cid = unique_id("rund")
    b = host.bundle(cid)
    host.ok("run", "--detach", "--bundle", b, cid)
    assert host.runc_state(cid)["status"] == "running"
    assert_isolated(host, cid)
    # runc itself has exited: reconcile must still see the container alive.
    time.sleep(1)
    r = host.reconcile()
    assert r.returncode == 0, r.stderr
    assert_isolated(host, cid)
    host.ok("delete", "--force", cid)
    assert_released(host, cid)
    assert host.runc_state(cid) is None


# 10 --------------------------------------------------------------------------


def test_invalid_config_starts_unisolated_and_says_why(host: Host):
    host.configure(raw_extra='on_failur = "warn"\n')
    cid = unique_id("typo")
    b = host.bundle(cid)
    log = host.tmp / "caller.log"
    r = host.create(cid, b, log=log)
    assert r.returncode == 0, r.stderr
    host.ok("start", cid)
    assert host.runc_state(cid)["status"] == "running"
    assert host.entry(cid) is None
    assert host.flag(cid) == 1 and host.parent_flag() == 1
    assert balanced_cpus() is None
    text = host.log_text()
    assert "on_failur" in text and str(host.config) in text, text
    assert any("on_failur" in line["msg"] for line in json_lines(log))
    host.ok("delete", "--force", cid)


def test_invalid_config_still_releases_what_the_ledger_holds(host: Host):
    cid = unique_id("typo2")
    start_isolated(host, cid)
    host.configure(raw_extra='modee = "always"\n')
    host.ok("delete", "--force", cid)
    assert_released(host, cid)


def test_foreground_run_that_fails_to_start_gives_cpus_back(host: Host):
    cid = unique_id("runbad")
    b = host.bundle(cid, args=("/bin/no-such-program",))
    r = host.call("run", "--bundle", b, cid)
    assert r.returncode != 0
    wait_until(lambda: host.entry(cid) is None, 10, "the exit watcher to release the CPUs")
    assert host.parent_flag() == 1
    wait_until(lambda: balanced_cpus() is None, 5, "the balanced cpuset to go")


def test_foreground_run_whose_runc_dies_keeps_the_live_container_isolated(host: Host):
    cid = unique_id("runorphan")
    b = host.bundle(cid)
    argv = [str(host.wrapper), "--root", str(host.root), "run", "--bundle", str(b), cid]
    with open(host.tmp / "run.out", "wb") as out:
        proc = subprocess.Popen(argv, env=host.env(), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    wait_until(lambda: (st := host.runc_state(cid)) is not None and st["status"] == "running", 10,
               "the container to run")
    wait_until(lambda: (e := host.entry(cid)) is not None and e["state"] == "isolated", 10, "the isolation")
    proc.kill()  # runc, not the container: its init lives on
    proc.wait()
    time.sleep(2)  # the exit watcher has run its reconcile by now
    assert host.runc_state(cid)["status"] == "running"
    assert_isolated(host, cid)
    host.ok("delete", "--force", cid)
    assert_released(host, cid)


def test_run_refused_under_fail(host: Host):
    first = unique_id("first")
    start_isolated(host, first)
    cid = unique_id("runrefused")
    b = host.bundle(cid, args=("true",))
    r = host.call("run", "--bundle", b, cid)
    assert r.returncode == 1
    assert r.stderr.decode().startswith("runc-isolcpus:")
    assert host.runc_state(cid) is None and host.entry(cid) is None
    assert_isolated(host, first)
    host.ok("delete", "--force", first)
    assert_released(host, first)


def test_container_deleted_behind_the_wrappers_back_is_released(host: Host):
    cid = unique_id("bypass")
    start_isolated(host, cid)
    # Plain runc, not the wrapper: the cgroup goes before anyone releases.
    subprocess.run([str(host.runc), "--root", str(host.root), "delete", "--force", cid], check=True,
                   capture_output=True)
    assert not (CPUSET / host.cgroup(cid)).exists()
    r = host.reconcile()
    assert r.returncode == 0, r.stderr
    assert_released(host, cid)
    assert host.ledger()["v1"]["flag_changes"] == []


@pytest.mark.parametrize("how", ["create-start", "run-detach"])
def test_container_in_runcs_default_cgroup(host: Host, how):
    # No cgroupsPath: runc uses /<id>, a top-level cpuset of its own.
    cid = unique_id("deflt")
    b = host.bundle(cid, default_cgroup=True)
    if how == "create-start":
        host.ok("create", "--bundle", b, cid)
        host.ok("start", cid)
    else:
        host.ok("run", "--detach", "--bundle", b, cid)
    e = host.entry(cid)
    assert e is not None and e["state"] == "isolated", e
    assert e["isolation"]["cgroup"].strip("/") == cid
    assert int((CPUSET / cid / "cpuset.sched_load_balance").read_text()) == 0
    assert balanced_cpus() == "0"
    host.ok("delete", "--force", cid)
    # The container was alive when delete ran: its exit watcher releases it
    # once runc is done (at once here, slower under the sanitizers).
    wait_until(lambda: host.entry(cid) is None, 10, f"the ledger to let go of {cid}: {host.ledger()}")
    assert balanced_cpus() is None


@pytest.mark.parametrize("detach", [True, False])
def test_failed_restore_gives_its_cpus_back(host: Host, detach):
    # CRIU cannot checkpoint on this host, so only a failing restore runs
    # here: the wrapper isolates first (no `start` follows a restore), runc
    # fails, and the CPUs come back (exit watcher, or the next reconcile).
    cid = unique_id("restore")
    b = host.bundle(cid)
    args = ["restore", "--image-path", host.tmp / "no-such-image", "--bundle", b, cid]
    if detach:
        args.insert(1, "--detach")
    r = host.call(*args)
    assert r.returncode != 0
    assert host.runc_state(cid) is None
    if detach:
        e = host.entry(cid)
        assert e is not None and e["state"] == "isolated", e  # isolated before runc ran
        rr = host.reconcile()
        assert rr.returncode == 0, rr.stderr
    wait_until(lambda: host.entry(cid) is None, 10, "the CPUs to come back")
    assert host.parent_flag() == 1
    wait_until(lambda: balanced_cpus() is None, 5, "the balanced cpuset to go")
