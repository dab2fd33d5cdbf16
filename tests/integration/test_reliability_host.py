"""The reliability issue's items, each triggered for real on this host with
real runc (cgroup v1) where the trigger can be made real: a full state dir,
a caller that keeps stdin open, a FIFO as config.json, a SIGKILLed update, a
container created behind the wrapper's back, a `runc delete` that fails, a
start the kernel refuses.  Item 1 (a kernel write refused during release)
cannot be provoked on a real kernel on demand: the model test covers it
over the kernel-rule fakes (tests/unit/lifecycle/model_test.cpp).

Fault injection (RUNC_ISOLCPUS_FAULT, RUNC_ISOLCPUS_FAIL_SAVE) needs a build
with -DISOLCPUS_FAULT_INJECTION=ON, which scripts/setup makes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lifecycle_support import CPUSET, Host, assert_isolated, wait_until
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


def started_isolated(h: Host, cid: str, cpus: str = "1") -> Path:
    b = h.bundle(cid, cpus=cpus)
    h.ok("create", "--bundle", b, cid)
    h.ok("start", cid)
    assert_isolated(h, cid, cpus)
    assert h.flag(cid) == 0
    return b


def cgroup_cpus(h: Host, cid: str) -> str:
    return (CPUSET / h.cgroup(cid) / "cpuset.cpus").read_text().strip()


def status(h: Host) -> subprocess.CompletedProcess:
    return subprocess.run([str(h.ctl), "--config", str(h.config), "status", "--json"], env=h.env(),
                          capture_output=True, text=True, timeout=60)


# -- item 2: a ledger save that fails after the kernel work ---------------------


def test_save_failing_after_apply_undoes_the_isolation_and_refuses_the_start(host: Host):
    b = host.bundle("c1")
    host.ok("create", "--bundle", b, "c1")
    r = host.call("start", "c1", extra_env={"RUNC_ISOLCPUS_FAIL_SAVE": "an isolation"})
    assert r.returncode == 1, r.stderr
    assert b"cannot record an isolation in the ledger" in r.stderr
    assert b"the isolation was undone" in r.stderr
    assert host.flag("c1") == 1, "the kernel kept an isolation the ledger could not record"
    assert host.runc_state("c1")["status"] == "created", "runc start ran although the start was refused"
    # Disk and kernel agree; with the disk back, the container starts isolated.
    host.ok("start", "c1")
    assert_isolated(host, "c1")


def test_full_state_dir_refuses_the_decision_and_changes_nothing(host: Host, tmp_path: Path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mnt)], check=True)
    try:
        state = mnt / "state"
        state.mkdir(mode=0o700)
        host.configure(state_dir=str(state))
        host.state_dir = state
        filler = mnt / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        b = host.bundle("c1")
        r = host.create("c1", b)
        assert r.returncode == 1
        assert b"No space left on device" in r.stderr, r.stderr
        assert host.runc_state("c1") is None, "runc create ran without a recorded decision"
        filler.unlink()
        host.ok("create", "--bundle", b, "c1")
        host.ok("start", "c1")
        assert_isolated(host, "c1")
        host.ok("delete", "--force", "c1")
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# -- item 3: create with the id of a live container ----------------------------


def test_create_with_a_live_id_touches_nothing(host: Host):
    started_isolated(host, "c1")
    before = host.entry("c1")
    other = host.bundle("c1b")
    r = host.create("c1", other)
    assert r.returncode != 0
    assert b"already exists" in r.stderr, r.stderr  # runc's own words
    assert host.flag("c1") == 0, "the live container lost its isolation"
    assert host.entry("c1") == before
    assert host.runc_state("c1")["status"] == "running"


# -- item 4: nothing that can block runs under the node lock -------------------


def test_update_waiting_on_stdin_does_not_hold_the_node(host: Host):
    host.configure(lock_timeout_ms=3000)
    started_isolated(host, "c1")
    argv = [str(host.wrapper), "--root", str(host.root), "update", "-r", "-", "c1"]
    update = subprocess.Popen(argv, env=host.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)  # the wrapper now waits for stdin
        assert update.poll() is None
        # Every other call on the node goes on meanwhile, well inside the lock timeout.
        plain = host.bundle("p1", isolated=False, cpus="0")
        t0 = time.monotonic()
        host.ok("create", "--bundle", plain, "p1")
        host.ok("start", "p1")
        host.ok("delete", "--force", "p1")
        assert time.monotonic() - t0 < 3.0
        out, err = update.communicate(json.dumps({"cpu": {"cpus": "0"}}).encode(), timeout=60)
    finally:
        if update.poll() is None:
            update.kill()
    assert update.returncode == 0, err
    assert_isolated(host, "c1", "0")
    assert cgroup_cpus(host, "c1") == "0"


def test_fifo_as_config_json_does_not_hold_the_node(host: Host):
    host.configure(lock_timeout_ms=3000)
    b = host.bundle("f1")
    (b / "config.json").unlink()
    os.mkfifo(b / "config.json")
    stuck = subprocess.Popen([str(host.wrapper), "--root", str(host.root), "create", "--bundle", str(b), "f1"],
                             env=host.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        started_isolated(host, "c1")  # the node works meanwhile
        host.ok("delete", "--force", "c1")
    finally:
        stuck.kill()  # runc itself waits on the FIFO: not ours to fix
        stuck.wait()
    assert "config.json: not a regular file" in host.log_text()


# -- item 5: the wrapper SIGKILLed during update ---------------------------------


@pytest.mark.parametrize("crash_at, runs_on", [
    ("saved:the update's runc child", "1"),  # before runc update could run
    ("save:an update's new cpus", "0"),       # after runc update moved it
])
def test_sigkilled_update_is_settled_on_the_set_that_won(host: Host, crash_at: str, runs_on: str):
    started_isolated(host, "c1")
    r = host.call("update", "--cpuset-cpus", "0", "c1", extra_env={"RUNC_ISOLCPUS_FAULT": crash_at})
    assert r.returncode == -signal.SIGKILL
    e = host.entry("c1")
    assert e is not None and "update" in e, f"no update in flight recorded: {e}"
    wait_until(lambda: cgroup_cpus(host, "c1") == runs_on, 10, f"the container on CPUs {runs_on}")
    out = host.reconcile()
    assert out.returncode == 0, out.stderr
    assert b"settled 1" in out.stdout, out.stdout
    assert_isolated(host, "c1", runs_on)
    assert host.flag("c1") == 0
    assert "update" not in host.entry("c1")


# -- item 6: no wall-clock grace; a start without a decision decides ---------------


def test_decision_lives_as_long_as_its_creator_whatever_the_clock(host: Host):
    creator = subprocess.Popen(["sleep", "600"])
    try:
        ticks = int(Path(f"/proc/{creator.pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        ledger = {"version": 1, "v1": {"balanced_cgroup": "", "flag_changes": []}, "entries": [{
            "runc_root": str(host.root), "container_id": "slow", "state": "decided", "cpus": "1",
            "bundle": "/nonexistent", "cgroups_path": "/" + host.cgroup("slow"), "systemd_cgroup": False,
            "pod_namespace": "", "pod_name": "", "container_name": "",
            "decided_at": int(time.time()) - 3600,  # an hour ago, or an NTP step
            "isolated_at": 0, "init_pid": 0, "init_start_ticks": 0,
            "creator": {"pid": creator.pid, "start_ticks": ticks}}]}
        (host.state_dir / "ledger.json").write_text(json.dumps(ledger))
        host.reconcile()
        assert host.entry("slow") is not None, "a slow create lost its decision"
    finally:
        creator.kill()
        creator.wait()
    out = host.reconcile()
    assert b"dropped 1" in out.stdout
    assert host.entry("slow") is None


def test_start_without_a_decision_decides_from_the_bundle_runc_recorded(host: Host):
    b = host.bundle("c1")
    # Created behind the wrapper's back (an older wrapper, a lost ledger).
    subprocess.run([str(host.runc), "--root", str(host.root), "create", "--bundle", str(b), "c1"], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert host.entry("c1") is None
    host.ok("start", "c1")
    assert_isolated(host, "c1")
    assert host.flag("c1") == 0


# -- item 7: a container that survives a failed delete ---------------------------


def test_container_surviving_a_failed_delete_keeps_its_claim_and_is_isolated_again(host: Host, tmp_path: Path):
    started_isolated(host, "c1")
    failing = tmp_path / "failing-runc"
    failing.write_text("#!/bin/sh\necho 'runc: delete failed (test)' >&2\nexit 1\n")
    failing.chmod(0o755)
    host.configure(runtime=str(failing))
    try:
        r = host.call("delete", "--force", "c1")
        assert r.returncode == 1
        assert host.runc_state("c1")["status"] == "running"
        assert host.entry("c1") is not None, "the survivor lost its claim"
    finally:
        host.configure()  # real runc again, for the rest and for cleanup
    # The delete's exit watcher (or any later call) finds it still running
    # and isolates it again; its CPUs were never free for another pod.
    wait_until(lambda: (host.entry("c1") or {}).get("state") == "isolated", 10, "c1 isolated again")
    other = host.bundle("c2")
    r = host.create("c2", other)
    assert r.returncode == 1 and b"already" in r.stderr, "another pod took the survivor's CPUs"
    assert_isolated(host, "c1")
    assert host.flag("c1") == 0


# -- item 8: a refused start gives its claim back at once -------------------------


def test_refused_start_gives_its_claim_back(host: Host):
    b = host.bundle("c1")
    host.ok("create", "--bundle", b, "c1")
    (CPUSET / host.cgroup("c1") / "cpuset.cpus").write_text("0")  # moved behind our back
    r = host.call("start", "c1")
    assert r.returncode == 1
    assert b"not in the container's" in r.stderr, r.stderr
    assert host.entry("c1") is None, "the refused start kept its claim"
    # The kubelet's retry, under a new container id, finds the CPU free.
    retry = host.bundle("c1-retry")
    host.ok("create", "--bundle", retry, "c1-retry")
    host.ok("start", "c1-retry")
    assert_isolated(host, "c1-retry")


# -- review findings: what the first fixes still missed -------------------------


def test_start_around_the_wrapper_is_shown_and_isolated_by_the_next_call(host: Host):
    """A `runc start` that bypasses the wrapper leaves a decided entry with no
    init: status must name it (I2), and the next acting call isolates it."""
    b = host.bundle("c1")
    host.ok("create", "--bundle", b, "c1")
    r = subprocess.run([str(host.runc), "--root", str(host.root), "start", "c1"], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert host.flag("c1") == 1
    s = status(host)
    assert s.returncode == 2, f"status saw no problem:\n{s.stdout}"
    assert "without isolation" in s.stdout, s.stdout
    r = host.reconcile()
    assert r.returncode == 0, r.stderr
    assert (host.entry("c1") or {}).get("state") == "isolated", host.ledger()
    assert host.flag("c1") == 0
    assert "without isolation" not in status(host).stdout


def test_update_follows_the_cgroup_not_runcs_exit_status(host: Host, tmp_path: Path):
    """runc update can fail after it wrote cpuset.cpus: the entry follows the
    set the container runs on, not the exit status."""
    started_isolated(host, "c1", cpus="1")
    lying = tmp_path / "failing-after-write-runc"
    lying.write_text(f"#!/bin/sh\n{host.runc} \"$@\"\necho 'runc: update failed late (test)' >&2\nexit 1\n")
    lying.chmod(0o755)
    host.configure(runtime=str(lying))
    try:
        r = host.call("update", "--cpuset-cpus", "0", "c1")
        assert r.returncode == 1
    finally:
        host.configure()
    assert cgroup_cpus(host, "c1") == "0"
    e = host.entry("c1")
    assert e is not None and e["cpus"] == "0", f"the entry kept the old set while the container moved: {e}"


def test_delete_of_a_created_isolated_container_gives_the_cpus_back_at_once(host: Host, tmp_path: Path):
    """A created container already isolated (its `runc start` failed after
    the wrapper isolated it): plain `runc delete` removes it, and the CPUs
    come back without waiting for another call."""
    b = host.bundle("c1")
    host.ok("create", "--bundle", b, "c1")
    failing = tmp_path / "failing-start-runc"
    failing.write_text(f"#!/bin/sh\ncase \" $* \" in *' start '*) echo 'runc: start failed (test)' >&2; "
                       f"exit 1;; esac\nexec {host.runc} \"$@\"\n")
    failing.chmod(0o755)
    host.configure(runtime=str(failing))
    try:
        assert host.call("start", "c1").returncode == 1
    finally:
        host.configure()
    assert host.runc_state("c1")["status"] == "created"
    assert host.flag("c1") == 0, "start isolated before runc ran"
    host.ok("delete", "c1")
    assert host.runc_state("c1") is None
    wait_until(lambda: host.entry("c1") is None, 10, "c1's entry released by the delete's exit watcher")


def test_caller_log_that_is_a_fifo_nobody_reads_does_not_hold_the_call(host: Host, tmp_path: Path):
    """The caller's --log is opened while the node lock is held: a FIFO with
    no reader must not block the call (nor every other call on the node)."""
    b = host.bundle("c1")
    host.ok("create", "--bundle", b, "c1")
    (CPUSET / host.cgroup("c1") / "cpuset.cpus").write_text("0")  # start will be refused
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    t = time.monotonic()
    r = host.call("start", "c1", log=fifo, timeout=30)
    assert r.returncode == 1
    assert b"not in the container's" in r.stderr, r.stderr
    assert time.monotonic() - t < 20, "the call waited on the caller's log FIFO"


def test_runc_state_that_is_a_fifo_or_planted_holds_nothing(host: Host, tmp_path: Path):
    """runc's state.json is read under the node lock: a FIFO there must not
    hang the call (review F2), and a state.json not written by root-owned
    runc must not be adopted as the container's init (review F1)."""
    b = host.bundle("c1")
    host.ok("create", "--bundle", b, "c1")
    state = host.root / "c1" / "state.json"
    saved = tmp_path / "state.json.saved"
    os.replace(state, saved)
    os.mkfifo(state)
    try:
        t = time.monotonic()
        s = subprocess.run([str(host.ctl), "--config", str(host.config), "status"], env=host.env(),
                           capture_output=True, timeout=30)
        r = host.reconcile()
        assert r.returncode == 0, r.stderr
        assert time.monotonic() - t < 20, "status/reconcile waited on a FIFO state.json"
        del s
    finally:
        os.remove(state)
        os.replace(saved, state)
    # Planted: the same state, but writable by others and without exec.fifo
    # (it would say "started"): not adopted.
    os.chmod(state, 0o666)
    fifo = host.root / "c1" / "exec.fifo"
    os.replace(fifo, tmp_path / "exec.fifo.saved")
    try:
        assert host.reconcile().returncode == 0
        e = host.entry("c1")
        # An untrusted state proves nothing: the decision may be dropped (the
        # start re-decides from the bundle), but no init is adopted.
        assert e is None or (e.get("init_pid", 0) == 0 and e["state"] == "decided"), e
    finally:
        os.chmod(state, 0o644)
        os.replace(tmp_path / "exec.fifo.saved", fifo)
