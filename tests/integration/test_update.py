"""`runc update` through the wrapper on this host's cgroup v1 with real runc:
the isolation moves with the container's cpus (-r -, -r FILE,
--cpuset-cpus), other resources pass through with runc's exact bytes, runc's
own failure status comes back, and an update between create and start moves
the decision.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import unique_id
from lifecycle_support import CPUSET, Host, assert_isolated, assert_released, start_isolated
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


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
