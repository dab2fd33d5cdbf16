"""`runc run` and `runc restore` through the wrapper on this host's cgroup v1
with real runc: a foreground run keeps its exit status and gives its CPUs
back when it exits (or fails to start), a detached run stays isolated until
delete, a run whose runc dies keeps its live container isolated, a refused
run never reaches runc, and a failed restore gives its CPUs back.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import unique_id
from lifecycle_support import (Host, assert_isolated, assert_only_these_unbalanced, assert_released, balanced_cpus,
                               start_isolated, wait_until)
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


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
        assert_only_these_unbalanced(host, frozenset({1}))
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
