"""Crash soak: random container lifecycles through the wrapper with real runc
on this host (cgroup v1), the wrapper SIGKILLed at random, and the
invariants checked after every round.

Each round drives 2-4 containers (most annotated `cpu-load-balancing.crio.io:
disable` and pinned to one CPU, some plain, a few in runc's default cgroup
/<id>) through create, start, run -d, update (`--cpuset-cpus` and `-r -` with
JSON on stdin), SIGKILL of the container's init, delete with and without
--force, and create / run -d with the id of an existing container.  Any
wrapper call may be armed to crash: RUNC_ISOLCPUS_FAULT=<isolator step> (the
wrapper SIGKILLs itself there; needs -DISOLCPUS_FAULT_INJECTION=ON), or a
SIGKILL from a timer 0-50 ms after it starts (in the wrapper, or in runc once
the wrapper has exec'd it).

After the round's actions: wait for the wrapper's exit watchers, run
`runc-isolcpus-ctl reconcile`, then check (the root flag taken as 0, see
soak_support.py):
  I1  every CPU kept out of load balancing by a flag 0 we set belongs to a
      ledger entry whose container is alive (runc: running or created);
  I2  every running container the ledger holds is isolated in the kernel
      (its cpuset's flag 0, no balanced cpuset covering its CPUs), or status
      --json reports a problem for it; and a container the wrapper isolated
      that still runs (same init) is still held by the ledger;
  I3  no CPU is claimed by two ledger entries;
  I4  all of that after one reconcile with no operator action.
Then every container is deleted through the wrapper, reconcile runs, and the
host must be exactly as found (END): every flag back, no balanced cpuset,
an empty ledger.  A round with a violation is recorded with its actions, the
ledger, status and kernel files; the host is then cleaned up by force so the
next round starts clean, and the test fails at the end.

    SOAK_SEED=<n>        replay a run (the seed is printed)
    SOAK_ROUNDS=<n>      rounds (default 150)
    SOAK_ONLY_ROUND=<n>  run one round of the seed's plan alone
    SOAK_STOP_ON_FIRST=1 stop at the first round with a violation
    SOAK_VERBOSE=1       print every round's actions and outcomes
    SOAK_REPORT=<file>   write every violating round in full there (the
                         failure message details the first three)

150 rounds take about 65-85 s on the 2-CPU development host.  Run by hand:

    ISOLCPUS_WRAPPER=build/runc-isolcpus /usr/bin/python3 -m pytest -v -s \
        tests/integration/test_crash_soak.py
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from lifecycle_support import CPUSET, exclusive_host, root_flag, wait_for_quiet_host
from soak_support import Finding, Soak, SoakHost, check_clean, fault_injection_built, observe, walk_cpusets

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")


def _env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value, 0) if value else default


@pytest.fixture
def soak_host(wrapper: Path, real_runc: Path, busybox: Path):
    if not (CPUSET / "cpuset.sched_load_balance").exists():
        pytest.fail(f"{CPUSET} is not a cgroup v1 cpuset hierarchy: the soak is for the v1 host")
    with exclusive_host():
        wait_for_quiet_host()
        baseline = walk_cpusets()
        before = root_flag()
        tmp = Path(tempfile.mkdtemp(prefix="isolcpus-soak-"))
        host = None
        try:
            host = SoakHost(tmp, wrapper, real_runc, busybox)
            yield host, baseline
        finally:
            problems = host.final_cleanup() if host is not None else []
            shutil.rmtree(tmp, ignore_errors=True)
            assert root_flag() == before, "the host's root cpuset flag changed"
            if problems:
                pytest.fail("cleanup: " + "; ".join(problems))


def test_crash_soak(soak_host, capsys):
    host, baseline = soak_host
    seed = _env_int("SOAK_SEED", None)
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    only = _env_int("SOAK_ONLY_ROUND", None)
    rounds = [only] if only is not None else list(range(_env_int("SOAK_ROUNDS", 150)))
    stop_on_first = os.environ.get("SOAK_STOP_ON_FIRST", "") not in ("", "0")
    faults = fault_injection_built(host.wrapper) is not False

    def out(text: str) -> None:
        with capsys.disabled():
            print(text, flush=True)

    out(f"\nsoak: seed={seed} rounds={len(rounds)} (replay: SOAK_SEED={seed}); fault switch "
        + ("armed" if faults else "NOT built (-DISOLCPUS_FAULT_INJECTION=OFF): timer kills only"))
    soak = Soak(host, seed, baseline, faults, out)
    t0 = time.monotonic()
    for number in rounds:
        soak.run_round(number)
        if stop_on_first and soak.reports:
            break

    # The end: everything deleted (each round did), reconcile, and the host as found.
    host.quiesce()
    rec = host.reconcile()
    assert rec.returncode == 0, rec.stderr
    end = check_clean(observe(host, []), baseline)
    after = walk_cpusets()
    if [(n.rel, n.flag, n.cpus) for n in after] != [(n.rel, n.flag, n.cpus) for n in baseline]:
        end.append(Finding("END", "the cpuset tree differs from the one found:\n"
                                  + "\n".join(n.files() for n in after)))
    seconds = time.monotonic() - t0
    out(soak.summary(seconds) + (f" final-check-violations={len(end)}" if end else ""))
    report = os.environ.get("SOAK_REPORT", "")
    if report:
        Path(report).write_text(soak.failure_message(seconds, detailed=len(soak.reports)))
    assert not end, "the host is not as found after the soak: " + "; ".join(f.message for f in end)
    assert soak.violations() == 0, soak.failure_message(seconds)


# The checker on hand-made kernel and ledger states: a correct isolation
# passes, each broken one is caught (no false positives, no blind spots).

_P = "isolcpus-test-x"


def _obs(nodes, entries, runc, flag_changes=()):
    from soak_support import CpusetNode, Observation, parse_cpus
    tree = [CpusetNode("", 1, frozenset({0, 1}))] + [CpusetNode(rel, flag, parse_cpus(cpus))
                                                     for rel, flag, cpus in nodes]
    ledger = {"entries": entries, "v1": {"balanced_cgroup": "", "flag_changes": list(flag_changes)}}
    return Observation("{}", ledger, 2, {"cpus": [], "containers": []}, "", tree, frozenset({0, 1}), runc)


def _entry(cid, cpus, state="isolated", cgroup=None):
    e = {"container_id": cid, "runc_root": "/r", "cpus": cpus, "state": state}
    if state != "decided":
        e["isolation"] = {"cgroup": cgroup or f"{_P}/{cid}", "cpus": cpus}
    return e


_RUNNING = {"status": "running", "pid": 999999999}  # no such process: init_cpuset() is None


def _kinds(obs, marks=None):
    from soak_support import check_invariants
    return sorted(f.invariant for f in check_invariants(obs, frozenset(), marks or {}))


def test_checker_accepts_a_correct_isolation():
    nodes = [("runc-isolcpus.balanced", 1, "0"), (_P, 0, "0-1"), (f"{_P}/a", 0, "1"), (f"{_P}/plain", 1, "0")]
    assert _kinds(_obs(nodes, [_entry("a", "1")], {"a": _RUNNING}), {"a": 999999999}) == []
    # created, not started yet: alive, holds its CPUs
    assert _kinds(_obs(nodes, [_entry("a", "1")], {"a": {"status": "created", "pid": 1}})) == []
    # nothing isolated, nothing flagged: the parent back at 1
    assert _kinds(_obs([(_P, 1, "0-1"), (f"{_P}/a", 1, "1")], [], {"a": _RUNNING})) == []
    # no cpusets of ours at all: every CPU "unbalanced" with the root at 0, but not because of us
    assert _kinds(_obs([], [], {})) == []


def test_checker_catches_broken_states():
    ok = [("runc-isolcpus.balanced", 1, "0"), (_P, 0, "0-1"), (f"{_P}/a", 0, "1")]
    # I1: a flag 0 of ours with a dead owner, and one with no owner at all
    assert _kinds(_obs(ok, [_entry("a", "1")], {"a": {"status": "stopped", "pid": 0}})) == ["I1"]
    assert _kinds(_obs(ok, [], {})) == ["I1"]
    # I1: the housekeeping CPU with no balanced cpuset over it
    assert _kinds(_obs(ok[1:], [_entry("a", "1")], {"a": _RUNNING})) == ["I1"]
    # I2: the container's flag back at 1; a new flag-1 cpuset over the isolated CPU
    assert _kinds(_obs([ok[0], ok[1], (f"{_P}/a", 1, "1")], [_entry("a", "1")], {"a": _RUNNING})) == ["I2"]
    assert _kinds(_obs(ok + [(f"{_P}/new", 1, "1")], [_entry("a", "1")], {"a": _RUNNING})) == ["I2"]
    # I2: running while the ledger only holds a decision (claimed, never isolated)
    assert _kinds(_obs([(_P, 1, "0-1"), (f"{_P}/a", 1, "1")], [_entry("a", "1", "decided")],
                       {"a": _RUNNING})) == ["I2"]
    # I2: isolated by the wrapper earlier, still running, gone from the ledger
    assert _kinds(_obs([(_P, 1, "0-1"), (f"{_P}/a", 1, "1")], [], {"a": _RUNNING}), {"a": 999999999}) == ["I2"]
    # ... but not once its init changed (a new container under the same id)
    assert _kinds(_obs([(_P, 1, "0-1"), (f"{_P}/a", 1, "1")], [], {"a": _RUNNING}), {"a": 5}) == []
    # I3: one CPU, two entries
    assert _kinds(_obs(ok + [(f"{_P}/b", 1, "0")], [_entry("a", "1"), _entry("b", "1", "decided")],
                       {"a": _RUNNING, "b": {"status": "created", "pid": 1}})) == ["I3"]


def test_checker_ignores_the_root_only_status_problem():
    from soak_support import ROOT_FLAG_FILE
    obs = _obs([(_P, 1, "0-1"), (f"{_P}/a", 1, "1")], [_entry("a", "1")], {"a": _RUNNING})
    obs.status = {"cpus": [{"cpu": 1, "container_id": "a", "problems": [
        f"the ledger says container a holds it isolated, but the kernel balances it: balanced by {ROOT_FLAG_FILE}"]}]}
    assert _kinds(obs) == ["I2"]
    obs.status["cpus"][0]["problems"].append("balanced by /sys/fs/cgroup/cpuset/x/cpuset.sched_load_balance")
    assert _kinds(obs) == []  # status reports it: I2 is satisfied by the report
