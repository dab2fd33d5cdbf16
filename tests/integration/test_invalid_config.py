"""A config.toml with problems, on this host's cgroup v1 with real runc: the
wrapper isolates nothing new and says why (its log and the caller's --log),
but still releases what the ledger holds.
"""

from __future__ import annotations

import os

import pytest

from conftest import unique_id
from lifecycle_support import Host, assert_released, balanced_cpus, json_lines, start_isolated
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


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
