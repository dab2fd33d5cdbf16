"""Guest-side helpers for the systemd guest, in the marker format of
tests/vm/guest/lib.sh (run-guest and test_vm.py read both):
  @@ISOLVM DOMAINS <scen> <label> :: cpu0: domain0 f | ... | cpu2: NULL  [debugfs 1 1 0 0]
  @@ISOLVM CHECK <scen> PASS|FAIL <what>
  @@ISOLVM INFO <scen> <text>
  @@ISOLVM RESULT <scen> PASS|FAIL
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

V2 = Path("/sys/fs/cgroup/cgroup.controllers").exists()
# cgroup v1 (systemd.unified_cgroup_hierarchy=0): the cpuset hierarchy.
CG = Path("/sys/fs/cgroup") if V2 else Path("/sys/fs/cgroup/cpuset")
CPUSET_FILES = (("cpuset.cpus", "cpuset.cpus.exclusive", "cpuset.cpus.partition", "cpuset.cpus.effective") if V2
                else ("cpuset.cpus", "cpuset.sched_load_balance", "cpuset.effective_cpus"))
DEBUG_DOMAINS = Path("/sys/kernel/debug/sched/domains")


def mark(*parts: str) -> None:
    sys.stdout.write("@@ISOLVM " + " ".join(parts) + "\n")
    sys.stdout.flush()


class Fatal(Exception):
    """A precondition broke: the scenario stops, later checks would mislead."""


def schedstat_domains() -> dict[int, list[str]]:
    """cpu -> ["domain0 f", ...] from /proc/schedstat; [] is a NULL domain."""
    out: dict[int, list[str]] = {}
    cur = None
    for line in Path("/proc/schedstat").read_text().splitlines():
        f = line.split()
        if f and re.fullmatch(r"cpu\d+", f[0]):
            cur = int(f[0][3:])
            out[cur] = []
        elif f and f[0].startswith("domain") and cur is not None:
            mask = f[1] if re.fullmatch(r"[0-9a-f,]+", f[1]) else f[2]
            out[cur].append(f"{f[0]} {mask}")
    return out


def debugfs_counts() -> list[str]:
    counts = []
    for d in sorted(Path("/sys/devices/system/cpu").glob("cpu[0-9]*"), key=lambda p: int(p.name[3:])):
        dd = DEBUG_DOMAINS / d.name
        counts.append(str(sum(1 for e in dd.iterdir() if e.name.startswith("domain"))) if dd.is_dir() else "-")
    return counts


def domain_map() -> str:
    cells = [f"cpu{c}: " + (" ".join(d) if d else "NULL") for c, d in sorted(schedstat_domains().items())]
    return " | ".join(cells) + f"  [debugfs {' '.join(debugfs_counts())}]"


def null_cpus() -> tuple[list[int], list[int]]:
    """CPUs with no sched domain per schedstat and per debugfs."""
    a = [c for c, d in sorted(schedstat_domains().items()) if not d]
    counts = debugfs_counts()
    b = [i for i, k in enumerate(counts) if k == "0"] if DEBUG_DOMAINS.is_dir() else a
    return a, b


def run(cmd: list[str], timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise Fatal(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
    return r


class Scenario:
    def __init__(self, name: str, poll: float = 10.0):
        self.name = name
        self.poll = poll
        self.failures = 0

    def info(self, text: str) -> None:
        for line in str(text).splitlines() or [""]:
            mark("INFO", self.name, line)

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        if ok:
            mark("CHECK", self.name, "PASS", what)
        else:
            self.failures += 1
            mark("CHECK", self.name, "FAIL", what + (f": {detail}" if detail else ""))
        return ok

    def check_eq(self, what: str, want, got) -> bool:
        return self.check(f"{what} (= {got!r})" if want == got else what, want == got,
                          f"expected {want!r}, got {got!r}")

    def require(self, what: str, ok: bool, detail: str = "") -> None:
        if not self.check(what, ok, detail):
            raise Fatal(what)

    def show_domains(self, label: str) -> None:
        mark("DOMAINS", self.name, label, "::", domain_map())

    def expect_null_domains(self, label: str, want: list[int]) -> bool:
        """Domain rebuilds are asynchronous: poll until exactly `want` are NULL."""
        deadline = time.monotonic() + self.poll
        while True:
            a, b = null_cpus()
            if (a == want and b == want) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.show_domains(label)
        return self.check(f"{label}: NULL domains on {want or 'none'}, every other CPU balanced",
                          a == want and b == want, f"schedstat says {a}, debugfs says {b} after {self.poll}s")


def cgroup_files(rel: str, names=CPUSET_FILES) -> dict[str, str]:
    out = {}
    for n in names:
        p = CG / rel.lstrip("/") / n
        try:
            out[n] = p.read_text().strip()
        except OSError as e:
            out[n] = f"<{e.strerror}>"
    return out


def exclusive_leftovers() -> list[str]:
    """v2: every cgroup that still has exclusive CPUs or is not a member;
    v1: every cpuset (the root included) not balancing.  After the pods are
    gone there must be none."""
    found = []
    if not V2:
        for d, _, files in os.walk(CG):
            if "cpuset.sched_load_balance" in files and Path(d, "cpuset.sched_load_balance").read_text().strip() != "1":
                found.append(f"{os.path.relpath(d, CG)}: cpuset.sched_load_balance=0")
        return found
    for d, _, files in os.walk(CG):
        rel = os.path.relpath(d, CG)
        if "cpuset.cpus.exclusive" in files and rel != ".":
            text = Path(d, "cpuset.cpus.exclusive").read_text().strip()
            if text:
                found.append(f"{rel}: cpuset.cpus.exclusive={text}")
        if "cpuset.cpus.partition" in files and rel != ".":
            text = Path(d, "cpuset.cpus.partition").read_text().strip()
            if text != "member":
                found.append(f"{rel}: cpuset.cpus.partition={text}")
    root_isolated = CG / "cpuset.cpus.isolated"
    if root_isolated.exists() and root_isolated.read_text().strip():
        found.append(f"root cpuset.cpus.isolated={root_isolated.read_text().strip()}")
    return found
