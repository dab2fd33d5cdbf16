"""What the next lifecycle call or `runc-isolcpus-ctl reconcile` repairs on
this host's cgroup v1 with real runc: a container killed and never deleted,
one deleted with plain runc behind the wrapper's back, and an isolation
interrupted by a crash at each kernel write (fault injection: needs a build
with -DISOLCPUS_FAULT_INJECTION=ON).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import unique_id
from lifecycle_support import CPUSET, Host, assert_isolated, assert_released, balanced_cpus, start_isolated
from lifecycle_support import host  # noqa: F401  (the fixture)
from soak_support import fault_injection_built

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


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


# v1.root.flag is not reachable here: the tests never let the wrapper manage
# the host's root flag (v1_manage_root_flag = false).
FAULT_STEPS = ["v1.balanced.mkdir", "v1.balanced.mems", "v1.balanced.cpus", "v1.balanced.flag",
               "v1.container.flag", "v1.cpuset.flag"]


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
