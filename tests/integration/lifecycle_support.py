"""The `host` fixture and helpers for the lifecycle tests on this host: the
wrapper in front of real runc on this host's cgroup v1 cpuset hierarchy, one
file per subcommand or concern like runc's tests/integration/<subcommand>.bats
(test_create_start_delete.py, test_update.py, test_run.py, test_reconcile.py,
test_on_failure.py, test_invalid_config.py; test_reliability_host.py and
test_upgrade.py use the fixture too).

Every Host keeps its own state_dir, log, runc --root and cgroup parent, never
manages the root cpuset's flag (v1_manage_root_flag = false), and cleans up
what it made; the fixture fails a test that changes the host's root flag or
leaves the wrapper's balanced cpuset behind.  The balanced cpuset the wrapper
creates has a fixed name, so these tests take the e2e suites' host lock
(HOST_LOCK) for each test.  A test file imports the fixture by name:

    from lifecycle_support import host  # noqa: F401  (the fixture)

Run by hand, e.g.:

    ISOLCPUS_WRAPPER=build/runc-isolcpus /usr/bin/python3 -m pytest -v \
        tests/integration/test_create_start_delete.py

The fault-injection tests (test_reconcile.py) need a build with
-DISOLCPUS_FAULT_INJECTION=ON.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import make_busybox_bundle, toml_value
from cpuset_view import (CPUSET, boot_isolated_cpus, online_cpus, parse_cpus, show_cpus, unbalanced_if_root_were_0,
                         walk_cpusets)

CGROUP_MOUNTS = Path("/sys/fs/cgroup")
BALANCED = CPUSET / "runc-isolcpus.balanced"
ANNOTATION = "cpu-load-balancing.crio.io"


def read_flag(cgroup: str) -> int:
    return int((CPUSET / cgroup.strip("/") / "cpuset.sched_load_balance").read_text())


def root_flag() -> int:
    return int((CPUSET / "cpuset.sched_load_balance").read_text())


def balanced_cpus() -> str | None:
    try:
        return (BALANCED / "cpuset.cpus").read_text().strip()
    except FileNotFoundError:
        return None


def foreign_isolation() -> str | None:
    """Another user of the wrapper isolating on this host right now, if any.

    The balanced cpuset has a fixed name and an isolation flips the flag of
    every overlapping cpuset, ours included: two suites isolating at once
    would see each other's changes.
    """
    if BALANCED.exists():
        return f"{BALANCED} exists"
    for flag in CPUSET.glob("*/cpuset.sched_load_balance"):
        if flag.read_text().strip() == "0":
            return f"{flag} is 0"
    return None


# The host suites in tests/e2e take this lock for the same reason
# (tests/e2e/e2e_host.py): one isolating suite at a time.
HOST_LOCK = Path("/run/runc-isolcpus-e2e.lock")


@contextlib.contextmanager
def exclusive_host():
    with open(HOST_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_for_quiet_host(timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    busy = foreign_isolation()
    while busy is not None and time.monotonic() < deadline:
        time.sleep(1)
        busy = foreign_isolation()
    if busy is not None:
        raise AssertionError(f"the host's cpuset tree is in use by another isolation ({busy}) for {timeout}s: "
                             "run these tests alone")


def make_bundle(bundle: Path, busybox: Path, runc: Path, *, args=("sleep", "1000"), cpus: str | None = "1",
                mems: str | None = "0", shares: int | None = 1024, annotations: dict | None = None,
                cgroups_path: str | None = None) -> Path:
    """conftest's busybox bundle with this module's defaults: one whole pinned CPU."""
    return make_busybox_bundle(bundle, busybox, runc, args=args, cpus=cpus, mems=mems, shares=shares,
                               annotations=annotations, cgroups_path=cgroups_path)


class Host:
    """One test's private wrapper setup against real runc."""

    def __init__(self, tmp: Path, wrapper: Path, runc: Path, busybox: Path):
        self.tmp = tmp
        self.wrapper = wrapper
        self.runc = runc
        self.busybox = busybox
        self.state_dir = tmp / "state"
        self.state_dir.mkdir(mode=0o700)
        os.chmod(self.state_dir, 0o700)
        self.log_file = tmp / "wrapper.log"
        self.root = tmp / "runc-root"
        self.parent = f"isolcpus-test-{uuid.uuid4().hex[:10]}"
        self.config = tmp / "config.toml"
        self.ctl = tmp / "bin" / "runc-isolcpus-ctl"
        self.ctl.parent.mkdir()
        self.ctl.symlink_to(Path(wrapper).with_name("runc-isolcpus-ctl"))  # built beside the wrapper
        self.ids: list[str] = []
        self.top_level: list[str] = []  # containers in runc's default cgroup /<id>
        self.configure()

    # -- configuration -------------------------------------------------
    def configure(self, raw_extra: str = "", **keys):
        base = dict(runtime=str(self.runc), log_file=str(self.log_file), log_level="debug",
                    state_dir=str(self.state_dir), mode="annotation", on_failure="fail",
                    min_housekeeping_cpus=1, v1_manage_root_flag=False)
        base.update(keys)
        text = "".join(f"{k} = {toml_value(v)}\n" for k, v in base.items()) + raw_extra
        self.config.write_text(text)

    # -- bundles and calls ----------------------------------------------
    def cgroup(self, cid: str) -> str:
        return f"{self.parent}/{cid}"

    def bundle(self, cid: str, *, isolated: bool = True, annotations: dict | None = None,
               default_cgroup: bool = False, **kw) -> Path:
        """default_cgroup: no cgroupsPath, so runc picks /<id> (a top-level cpuset)."""
        if annotations is None:
            annotations = {ANNOTATION: "disable"} if isolated else {}
        self.ids.append(cid)
        if default_cgroup:
            self.top_level.append(cid)
        return make_bundle(self.tmp / cid, self.busybox, self.runc, annotations=annotations,
                           cgroups_path=None if default_cgroup else "/" + self.cgroup(cid), **kw)

    def env(self, extra: dict | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNC_ISOLCPUS")}
        env["RUNC_ISOLCPUS_CONFIG"] = str(self.config)
        if extra:
            env.update(extra)
        return env

    def call(self, *args, log: Path | None = None, input: bytes | None = None, extra_env: dict | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
        """runc-isolcpus [--log F --log-format json] --root R args..."""
        argv = [str(self.wrapper)]
        if log is not None:
            argv += ["--log", str(log), "--log-format", "json"]
        argv += ["--root", str(self.root), *[str(a) for a in args]]
        # Files, not pipes: a detached container's init inherits our stdio and
        # would hold a pipe open (no EOF) for as long as it lives.
        with tempfile.TemporaryFile(dir=self.tmp) as out, tempfile.TemporaryFile(dir=self.tmp) as err:
            r = subprocess.run(argv, env=self.env(extra_env), stdout=out, stderr=err, timeout=timeout,
                               input=input, stdin=None if input is not None else subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, r.returncode, out.read(), err.read())

    def ok(self, *args, **kw) -> subprocess.CompletedProcess:
        r = self.call(*args, **kw)
        assert r.returncode == 0, f"{args} exited {r.returncode}: {r.stderr.decode(errors='replace')}"
        return r

    def create(self, cid: str, bundle: Path, **kw):
        return self.call("create", "--bundle", bundle, cid, **kw)

    def reconcile(self) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.ctl), "--config", str(self.config), "reconcile"], env=self.env(),
                              capture_output=True, timeout=60)

    def runc_state(self, cid: str) -> dict | None:
        r = subprocess.run([str(self.runc), "--root", str(self.root), "state", cid], capture_output=True)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def kill_init(self, cid: str):
        state = self.runc_state(cid)
        assert state is not None, f"container {cid} has no runc state"
        os.kill(state["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = self.runc_state(cid)
            if st is None or st["status"] == "stopped":
                return
            time.sleep(0.1)
        raise AssertionError(f"container {cid} still runs after SIGKILL")

    # -- observation -----------------------------------------------------
    def ledger(self) -> dict:
        path = self.state_dir / "ledger.json"
        if not path.exists():
            return {"entries": [], "v1": {"balanced_cgroup": "", "flag_changes": []}}
        return json.loads(path.read_text())

    def entry(self, cid: str) -> dict | None:
        found = [e for e in self.ledger()["entries"] if e["container_id"] == cid]
        assert len(found) <= 1, f"duplicate ledger entries for {cid}: {found}"
        return found[0] if found else None

    def flag(self, cid: str) -> int:
        return read_flag(self.cgroup(cid))

    def parent_flag(self) -> int:
        return read_flag(self.parent)

    def log_text(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    # -- cleanup ---------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Deletes containers and cgroups; returns problems the test must fail
        on.  Every step runs whatever an earlier one found."""
        problems = []
        for cid in self.ids:
            # Through the wrapper first, so a failed test still gives its CPUs back.
            r = self.call("delete", "--force", cid)
            if r.returncode != 0 and self.runc_state(cid) is not None:
                problems.append(f"the wrapper's delete --force {cid} exited {r.returncode}: "
                                f"{r.stderr.decode(errors='replace').strip()}")
            subprocess.run([str(self.runc), "--root", str(self.root), "delete", "--force", cid],
                           capture_output=True)
        # runc removes the containers' own cgroups, not the parent it made.
        for top in cgroup_trees([*self.top_level, self.parent]):
            problems += remove_cgroup_tree(top)
        entries = self.ledger()["entries"]
        if BALANCED.exists() and not any(e.get("isolation") for e in entries):
            problems.append(f"{BALANCED} left behind with cpus {balanced_cpus()!r}")
            problems += remove_cgroup_tree(BALANCED)
        return problems


def cgroup_trees(names) -> list[Path]:
    """`names` (top-level cgroups) in every mounted hierarchy where they exist:
    runc makes a container's cgroup path in all of them (the unified one of
    a hybrid host included)."""
    hierarchies = sorted(d for d in CGROUP_MOUNTS.iterdir() if d.is_dir() and not d.is_symlink())
    return [h / name for h in hierarchies for name in names if (h / name).is_dir()]


def remove_cgroup_tree(top: Path) -> list[str]:
    """Kills what is left in `top` (a SIGKILLed `runc create` or `runc run`
    orphans its `runc init`) and removes it, deepest first; the directories
    it could not remove."""
    dirs = [Path(d) for d, _, _ in os.walk(top, topdown=False)]
    for d in dirs:
        kill_cgroup_tasks(d)
    problems = []
    for d in dirs:
        for _ in range(100):
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError as e:
                last = e
                kill_cgroup_tasks(d)
                time.sleep(0.05)  # tasks still leaving
        else:
            problems.append(f"cannot remove {d}: {last}")
    return problems


def kill_cgroup_tasks(d: Path) -> None:
    for name in ("cgroup.procs", "tasks"):
        try:
            pids = {int(x) for x in (d / name).read_text().split()}
        except (OSError, ValueError):
            continue
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def json_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


# -- the fixture and the assertions every lifecycle test makes -------------


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
        if root_flag() != before:
            problems.append(f"the host's root cpuset flag changed from {before} to {root_flag()}")
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
    assert_only_these_unbalanced(host, parse_cpus(cpus))
    assert (CPUSET / host.cgroup(cid) / "cpuset.cpus").read_text().strip() == cpus


def assert_only_these_unbalanced(host: Host, isolated: frozenset[int]):
    """The kernel's rule over the whole cpuset tree, with the root's flag
    taken as 0 (these tests leave it to the host, as v1_manage_root_flag =
    false does): exactly `isolated` and the boot's isolcpus= CPUs are in no
    scheduler domain.  Then the wrapper's own rule for its balanced cpuset:
    it holds exactly the housekeeping CPUs, and it is made unless top-level
    cpusets of the host's, with flag 1 and none of the isolated CPUs,
    already cover them (then it exists only if the ledger kept it from
    before)."""
    nodes = walk_cpusets()
    online = online_cpus()
    boot = boot_isolated_cpus()
    unbalanced = unbalanced_if_root_were_0(nodes, online, boot)
    tree = "; ".join(n.files() for n in nodes)
    assert unbalanced == isolated | boot, (f"the kernel would balance all but {show_cpus(unbalanced)}, not all "
                                           f"but {show_cpus(isolated | boot)}: {tree}")
    housekeeping = online - isolated - boot
    covered: set[int] = set()
    for n in nodes:
        if n.rel and "/" not in n.rel and n.rel != BALANCED.name and n.flag == 1 and not n.cpus & isolated:
            covered |= n.cpus
    kept = bool(host.ledger().get("v1", {}).get("balanced_cgroup"))
    if housekeeping <= covered and not kept:
        assert balanced_cpus() is None, f"{BALANCED} made though the host's cpusets balance the rest: {tree}"
    else:
        assert balanced_cpus() == show_cpus(housekeeping), f"{BALANCED} is not the housekeeping CPUs: {tree}"


def start_isolated(host: Host, cid: str, **bundle_kw) -> Path:
    b = host.bundle(cid, **bundle_kw)
    host.ok("create", "--bundle", b, cid)
    host.ok("start", cid)
    assert_isolated(host, cid)
    return b
