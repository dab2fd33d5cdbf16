"""Shared pieces of the lifecycle, lock and reconcile benchmarks (bench/run-*-bench).

Not a test helper: the scripts are run by hand and their figures go into
docs/BENCHMARK.md.  Everything here mirrors tests/integration/lifecycle_support.py
(the wrapper in front of real runc on this host's cgroup v1 cpuset hierarchy, a
private state_dir, log, runc --root and cgroup parent, the root cpuset's flag
left alone) without importing pytest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CGROUP_FS = Path("/sys/fs/cgroup")
CPUSET = CGROUP_FS / "cpuset"
BALANCED = CPUSET / "runc-isolcpus.balanced"
ANNOTATION = "cpu-load-balancing.crio.io"
# The e2e and host lifecycle suites serialise on this lock (the balanced
# cpuset has a fixed name): the benchmarks that isolate take it too.
HOST_LOCK = Path("/run/runc-isolcpus-e2e.lock")


def fail(prog: str, msg: str, code: int = 2):
    print(f"{prog}: {msg}", file=sys.stderr)
    sys.exit(code)


# -- preconditions ---------------------------------------------------------

def default_runc() -> str:
    return shutil.which("runc") or "/usr/sbin/runc"


def check_preconditions(prog: str, runc: str, binaries: dict[str, str], need_busybox: bool = True) -> None:
    """Refuses clearly: not root, runc missing, a binary not built, no busybox."""
    if os.geteuid() != 0:
        fail(prog, "must run as root (it creates runc containers, cgroups and a root-owned state_dir)")
    if not (os.path.isfile(runc) and os.access(runc, os.X_OK)):
        fail(prog, f"runc not found at {runc!r}: apt-get install -y runc, or pass --runc PATH")
    for label, path in binaries.items():
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            fail(prog, f"{label} {path!r} is not an executable file: build it first with\n"
                       "  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && "
                       "cmake --build build -j1 --target runc-isolcpus runc-isolcpus-ctl\n"
                       f"or pass --{label.replace('_', '-')} PATH")
    if need_busybox and not Path("/bin/busybox").is_file():
        fail(prog, "/bin/busybox missing: apt-get install -y busybox-static")


# -- statistics ------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": statistics.median(values), "p10": percentile(values, 0.10),
            "p90": percentile(values, 0.90), "p99": percentile(values, 0.99), "mean": statistics.fmean(values),
            "max": max(values)}


def bootstrap_median_ci(values: list[float], rounds: int = 2000, seed: int = 1) -> tuple[float, float]:
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(rounds))
    return meds[int(0.025 * rounds)], meds[int(0.975 * rounds)]


def table(headers: list[str], rows: list[list], first_width: int | None = None) -> str:
    """A plain fixed-width table: first column left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else f"{c:.3f}" if isinstance(c, float)
                                             else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if first_width:
        widths[0] = max(widths[0], first_width)
    out = []
    for j, r in enumerate(cells):
        out.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def machine_info(runc: str) -> dict:
    return {
        "cpu": next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), "?"),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "runc": subprocess.run([runc, "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


# -- host exclusivity ------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from lifecycle_support import foreign_isolation  # noqa: E402  (the tests' own check)


@contextlib.contextmanager
def exclusive_host(prog: str, timeout: float = 600):
    """The e2e suites' host lock, then a cpuset tree nobody else isolates in."""
    with open(HOST_LOCK, "a") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    fail(prog, f"{HOST_LOCK} held by another suite for {timeout:.0f}s: run the benchmark alone")
                time.sleep(0.5)
        try:
            busy = foreign_isolation()
            while busy is not None and time.monotonic() < deadline:
                time.sleep(1)
                busy = foreign_isolation()
            if busy is not None:
                fail(prog, f"the host's cpuset tree is in use by another isolation ({busy})")
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# -- bundles, config, cleanup ----------------------------------------------

# One bundle builder and one TOML encoder for the tests and the benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from conftest import make_busybox_bundle, toml_value  # noqa: E402


def make_bundle(bundle: Path, runc: str, *, cpus: str | None = "1", mems: str | None = "0",
                shares: int | None = 1024, annotations: dict | None = None, cgroups_path: str | None = None,
                args=("sleep", "1000")) -> Path:
    """Static busybox rootfs from `runc spec` (tests/integration/conftest.py)."""
    return make_busybox_bundle(bundle, Path("/bin/busybox"), Path(runc), args=args, cpus=cpus, mems=mems,
                               shares=shares, annotations=annotations, cgroups_path=cgroups_path)


class Setup:
    """A private wrapper setup: temp dir, state_dir (0700, root), log, runc --root, cgroup parent."""

    def __init__(self, prefix: str, runc: str, wrapper: str | None = None, ctl: str | None = None,
                 base_dir: str | None = None):
        # base_dir: /dev/shm by default, a tmpfs like a node's /run (state_dir
        # and runc's root live there in production; on this VM /run and /tmp
        # are on the ext4 disk, where the ledger's fsyncs cost milliseconds).
        self.tmp = Path(tempfile.mkdtemp(prefix=f"runc-isolcpus-{prefix}.", dir=base_dir))
        os.chmod(self.tmp, 0o755)
        self.runc = runc
        self.wrapper = wrapper
        self.ctl = ctl
        self.state_dir = self.tmp / "state"
        self.state_dir.mkdir(mode=0o700)
        os.chmod(self.state_dir, 0o700)
        self.log_file = self.tmp / "wrapper.log"
        self.root = self.tmp / "runc-root"
        self.parent = f"isolcpus-bench-{uuid.uuid4().hex[:8]}"
        self.config = self.tmp / "config.toml"
        self.ids: set[str] = set()
        self.configure()

    def configure(self, **keys):
        base = dict(runtime=self.runc, log_file=str(self.log_file), log_level="info",
                    state_dir=str(self.state_dir), mode="annotation", on_failure="fail",
                    min_housekeeping_cpus=1, v1_manage_root_flag=False)
        base.update(keys)
        self.config.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in base.items()))

    def env(self, extra: dict | None = None) -> dict:
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "RUNC_ISOLCPUS_CONFIG": str(self.config)}
        if extra:
            env.update(extra)
        return env

    def cgroup(self, name: str) -> str:
        return f"/{self.parent}/{name}"

    def ledger(self) -> dict:
        path = self.state_dir / "ledger.json"
        if not path.exists():
            return {"entries": []}
        return json.loads(path.read_text())

    def cleanup(self, keep: bool = False) -> list[str]:
        problems = []
        for cid in sorted(self.ids):
            if self.wrapper:
                subprocess.run([self.wrapper, "--root", str(self.root), "delete", "--force", cid],
                               env=self.env(), capture_output=True)
            subprocess.run([self.runc, "--root", str(self.root), "delete", "--force", cid], capture_output=True)
        # runc makes the parent in every v1 hierarchy; remove it everywhere.
        for hierarchy in CGROUP_FS.iterdir():
            parent = hierarchy / self.parent
            if parent.is_dir():
                for child in sorted(parent.iterdir()):
                    if child.is_dir():
                        rmdir_retry(child)
                rmdir_retry(parent)
        if BALANCED.exists() and not any(e.get("isolation") for e in self.ledger().get("entries", [])):
            problems.append(f"{BALANCED} left behind")
            rmdir_retry(BALANCED)
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return problems


from lifecycle_support import _rmdir as rmdir_retry  # noqa: E402  (the tests' patient rmdir)


# -- timed runs --------------------------------------------------------------

def spawn_and_wait(argv: list[str], env: dict, devnull: int, cwd: str | None = None) -> tuple[int, float, int]:
    """(wait status, wall ms, perf_counter_ns at spawn) of one run, stdio on /dev/null."""
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
          (os.POSIX_SPAWN_DUP2, devnull, 2)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
    _, status, _ = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    return status, (t1 - t0) / 1e6, t0


def run_capture(argv: list[str], env: dict, tmp: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Like subprocess.run(capture_output=True), but through files: a detached
    container's init inherits our stdio and would hold a pipe open."""
    with tempfile.TemporaryFile(dir=tmp) as out, tempfile.TemporaryFile(dir=tmp) as err:
        r = subprocess.run(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, timeout=timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, r.returncode, out.read(), err.read())


def process_start_ticks(pid: int) -> int:
    """Field 22 of /proc/PID/stat, counted from the last ')'."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rfind(")") + 2:].split()
    return int(fields[22 - 3])


def write_json(path: str, doc: dict):
    Path(path).write_text(json.dumps(doc, indent=2))
