"""When the wrapper cannot or may not isolate, on this host's cgroup v1 with
real runc: on_failure = "fail" refuses the call (one stderr line, an error
in the caller's --log, runc never runs), "warn" lets it run unisolated with a
warning.  Cases: a second container on an isolated CPU, a start whose CPUs
left the container's cpuset, the isolatable_cpus guardrail, and a namespace
outside allowed_namespaces.
"""

from __future__ import annotations

import os

import pytest

from conftest import unique_id
from lifecycle_support import (ANNOTATION, CPUSET, Host, assert_isolated, assert_released, balanced_cpus, json_lines,
                               start_isolated)
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


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
