"""The host's cgroup v1 cpuset tree as the kernel reads it: CPU lists, the
tree walk, and the scheduler's rule for which CPUs are balanced
(rebuild_sched_domains).  Shared by the lifecycle fixture's assertions and
the crash soak's invariants, so both judge the kernel by one rule.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path

CPUSET = Path("/sys/fs/cgroup/cpuset")


# ---------------------------------------------------------------------------
# CPU lists


def parse_cpus(text: str | None) -> frozenset[int]:
    out: set[int] = set()
    for part in (text or "").strip().split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


def show_cpus(cpus) -> str:
    cpus = sorted(cpus)
    if not cpus:
        return "(none)"
    ranges, start, prev = [], cpus[0], cpus[0]
    for c in cpus[1:] + [None]:
        if c is not None and c == prev + 1:
            prev = c
            continue
        ranges.append(str(start) if start == prev else f"{start}-{prev}")
        if c is not None:
            start = prev = c
    return ",".join(ranges)


def online_cpus() -> frozenset[int]:
    return parse_cpus(Path("/sys/devices/system/cpu/online").read_text())


# ---------------------------------------------------------------------------
# The kernel's view


@dataclasses.dataclass(frozen=True)
class CpusetNode:
    rel: str  # path below the cpuset mount, "" for the root
    flag: int
    cpus: frozenset[int]

    def files(self) -> str:
        d = CPUSET / self.rel if self.rel else CPUSET
        return f"{d}/cpuset.sched_load_balance={self.flag} cpuset.cpus={show_cpus(self.cpus) if self.cpus else ''}"


def boot_isolated_cpus() -> frozenset[int]:
    """The boot's isolcpus= (domain) CPUs: the kernel keeps them out of every
    scheduler domain whatever the cpusets say."""
    try:
        return parse_cpus(Path("/sys/devices/system/cpu/isolated").read_text())
    except FileNotFoundError:
        return frozenset()


def walk_cpusets() -> list[CpusetNode]:
    """Every cpuset, root first, parents before children (pre-order).

    Cpusets that vanish mid-walk are left out, like the isolator does; any
    other read error is raised, so an unreadable cpuset cannot drop out of
    the model unseen."""
    nodes: list[CpusetNode] = []

    def vanished(e: OSError) -> bool:
        return isinstance(e, FileNotFoundError) or e.errno == errno.ENODEV

    def walk_error(e: OSError):
        if not vanished(e):
            raise e

    for dirpath, dirnames, _ in os.walk(CPUSET, onerror=walk_error):
        dirnames.sort()
        d = Path(dirpath)
        try:
            flag = int((d / "cpuset.sched_load_balance").read_text())
            cpus = parse_cpus((d / "cpuset.cpus").read_text())
        except OSError as e:
            if not vanished(e):
                raise
            dirnames[:] = []
            continue
        rel = str(d.relative_to(CPUSET))
        nodes.append(CpusetNode("" if rel == "." else rel, flag, cpus))
    return nodes


def domains_if_root_were_0(nodes: list[CpusetNode], boot_isolated: frozenset[int]) -> list[CpusetNode]:
    """The kernel's v1 rule (generate_sched_domains) with the root's flag
    taken as 0: top-down, the first cpuset on each path with flag 1 and CPUs
    the boot did not isolate is a domain candidate and hides its subtree;
    its domain is its CPUs less the boot-isolated ones.  `nodes` in
    pre-order."""
    out, domain = [], None
    for node in nodes:
        if not node.rel:
            continue
        if domain is not None and (node.rel == domain or node.rel.startswith(domain + "/")):
            continue
        domain = None
        if node.flag == 1 and node.cpus - boot_isolated:
            out.append(CpusetNode(node.rel, node.flag, node.cpus - boot_isolated))
            domain = node.rel
        elif not node.cpus:
            domain = node.rel  # children of an empty cpuset are empty too
    return out


def unbalanced_if_root_were_0(nodes: list[CpusetNode], online: frozenset[int],
                              boot_isolated: frozenset[int] | None = None) -> frozenset[int]:
    """CPUs in no domain: the scheduler would not balance them."""
    if boot_isolated is None:
        boot_isolated = boot_isolated_cpus()
    balanced: set[int] = set()
    for node in domains_if_root_were_0(nodes, boot_isolated):
        balanced |= node.cpus
    return frozenset(online - balanced)
