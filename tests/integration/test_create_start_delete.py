"""The wrapper's create, start and delete (and kill) in front of real runc on
this host's cgroup v1: an opted-in container is isolated from start to
delete, an ineligible one is never touched, the cpuset runc create makes is
flagged when create exits, runc's default cgroup works, and concurrent
lifecycles keep the ledger sound.  The Host fixture and the assertions are
in lifecycle_support.py, which says how to run these by hand.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from conftest import unique_id
from cpuset_view import online_cpus, show_cpus
from lifecycle_support import (ANNOTATION, CPUSET, Host, assert_isolated, assert_only_these_unbalanced, assert_released,
                               balanced_cpus, root_flag, start_isolated, wait_until)
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


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


def test_plain_container_on_the_housekeeping_cpus_does_not_stand_in_for_the_balanced_cpuset(host: Host):
    # A pod's cpuset comes and goes: when it went, its CPUs would lose their
    # domain.  Only the host's own top-level cpusets count as balancing.
    plain = unique_id("plain")
    host.ok("run", "--detach", "--bundle", host.bundle(plain, isolated=False, cpus="0"), plain)
    cid = unique_id("iso")
    start_isolated(host, cid)
    assert host.flag(plain) == 1
    assert balanced_cpus() == show_cpus(online_cpus() - {1})
    host.ok("delete", "--force", plain)
    assert_isolated(host, cid)
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
    assert_only_these_unbalanced(host, frozenset({1}))
    host.ok("delete", "--force", cid)
    # The container was alive when delete ran: its exit watcher releases it
    # once runc is done (at once here, slower under the sanitizers).
    wait_until(lambda: host.entry(cid) is None, 10, f"the ledger to let go of {cid}: {host.ledger()}")
    assert balanced_cpus() is None


def test_host_cpuset_already_balancing_the_housekeeping_cpus(host: Host):
    # A cpuset of the host's own with flag 1 and exactly the housekeeping CPUs
    # (an operator's layout, or a leftover of an interrupted run) already keeps
    # them in a domain, so no balanced cpuset is made; when the container's
    # CPUs move onto that cpuset's, the balanced cpuset is needed, and made.
    own = f"{host.parent}-own"
    host.top_level.append(own)
    (CPUSET / own).mkdir()
    (CPUSET / own / "cpuset.mems").write_text("0")
    (CPUSET / own / "cpuset.cpus").write_text(show_cpus(online_cpus() - {1}))
    cid = unique_id("hostbal")
    start_isolated(host, cid)  # CPU 1; the host's cpuset balances CPU 0
    assert balanced_cpus() is None
    assert (CPUSET / own / "cpuset.sched_load_balance").read_text().strip() == "1"

    host.ok("update", "--cpuset-cpus", "0", cid)
    assert_isolated(host, cid, "0")  # the balanced cpuset is made, unless the host has one for CPU 1 too
    # The host's cpuset now overlaps the isolated CPU: its flag went to 0
    # (the v1 invariant), and it is recorded so it comes back.
    assert (CPUSET / own / "cpuset.sched_load_balance").read_text().strip() == "0"

    host.ok("delete", "--force", cid)
    assert_released(host, cid)
    assert (CPUSET / own / "cpuset.sched_load_balance").read_text().strip() == "1"


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
            # A SIGKILLed init not yet reaped is still alive to `delete
            # --force`: the CPUs are unisolated at once and the entry goes
            # when the exit watcher sees runc's delete finish.
            deadline = time.monotonic() + 15
            while host.entry(cid) is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            if host.entry(cid) is not None:
                errors.append(f"round {i}: entry left 15 s after delete: {host.entry(cid)}")

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
