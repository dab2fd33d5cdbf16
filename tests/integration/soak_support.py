"""Helpers for test_crash_soak.py: random container lifecycles through the
wrapper and real runc on this cgroup v1 host, with the wrapper SIGKILLed at
random, and the invariants checked from the kernel's files, the ledger and
`runc-isolcpus-ctl status --json`.

The host's root cpuset flag is 1 and the tests never manage it
(v1_manage_root_flag = false), so the kernel itself balances every CPU.  The
checks therefore apply the kernel's v1 rule as if the node were prepared
(root flag 0): walking the cpuset tree top-down, the first cpuset on each
path with flag 1 and CPUs makes a domain of its CPUs and hides its subtree;
a CPU in no such domain is unbalanced.  A CPU is unbalanced *because of us*
when it is unbalanced by that rule and a cpuset that holds it has a flag 0
that was not 0 when the soak began (on a fresh host: any flag 0 at all).

Rounds are independent: each starts from a clean host and ends with every
container deleted through the wrapper, so one round can be replayed alone
(SOAK_SEED=<seed> SOAK_ONLY_ROUND=<n>).  Each round's actions are drawn from
random.Random(f"{seed}/{round}") without looking at outcomes, so a replay
performs the same actions; only where a timer's SIGKILL lands can differ.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shlex
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import make_busybox_bundle
from cpuset_view import (CpusetNode, boot_isolated_cpus, domains_if_root_were_0, online_cpus,  # noqa: F401
                         parse_cpus, show_cpus, unbalanced_if_root_were_0, walk_cpusets)
from lifecycle_support import ANNOTATION, BALANCED, CPUSET, Host, cgroup_trees, remove_cgroup_tree

ROOT_FLAG_FILE = str(CPUSET / "cpuset.sched_load_balance")

# Every v1 step of the isolator's fault switch ($RUNC_ISOLCPUS_FAULT), and
# prefix patterns.  v1.root.flag is never reached here (the root flag is not
# managed); it stays in the draw as an armed switch that must not fire.
FAULT_STEPS = ["v1.balanced.mkdir", "v1.balanced.mems", "v1.balanced.cpus", "v1.balanced.flag",
               "v1.container.flag", "v1.cpuset.flag", "v1.root.flag"]
FAULT_PATTERNS = FAULT_STEPS + ["v1.*", "v1.balanced.*"]


def unbalanced_by_us(nodes: list[CpusetNode], online: frozenset[int],
                     baseline_zero: frozenset[str]) -> dict[int, list[str]]:
    """CPU -> the flag-0 cpusets we set that hold it, for CPUs the kernel would not balance."""
    out: dict[int, list[str]] = {}
    for cpu in unbalanced_if_root_were_0(nodes, online):
        ours = [n.rel for n in nodes if n.rel and n.flag == 0 and cpu in n.cpus and n.rel not in baseline_zero]
        if ours:
            out[cpu] = ours
    return out


def init_cpuset(pid: int) -> str | None:
    """The cpuset cgroup of a process (v1 line "N:cpuset:/path"), without the leading slash."""
    try:
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "cpuset" in controllers.split(","):
                return path.strip("/")
    except (OSError, ValueError):
        return None
    return None


# ---------------------------------------------------------------------------
# The round plan


@dataclasses.dataclass
class BundleSpec:
    isolated: bool  # annotated cpu-load-balancing.crio.io: disable
    cpus: str | None  # linux.resources.cpu.cpus
    default_cgroup: bool  # no cgroupsPath: runc's /<id>, a top-level cpuset

    def describe(self) -> str:
        what = "annotated" if self.isolated else "plain"
        where = ", cgroup /<id>" if self.default_cgroup else ""
        return f"{what} cpus={self.cpus or '-'}{where}"


@dataclasses.dataclass
class Action:
    kind: str  # create run start update-flag update-stdin kill delete delete-force dup-create dup-run
    slot: int
    cpus: str | None = None  # update: the new cpus
    bundle: BundleSpec | None = None  # dup-create / dup-run: the other bundle
    fault: str | None = None  # RUNC_ISOLCPUS_FAULT
    kill_after_ms: float | None = None  # SIGKILL the wrapper's process after this long


@dataclasses.dataclass
class RoundPlan:
    number: int
    slots: list[BundleSpec]
    actions: list[Action]


ISOLATING = {"create", "run", "start", "update-flag", "update-stdin", "dup-create", "dup-run"}

MENU = {
    "absent": [("create", 65), ("run", 30), ("delete-force", 5)],
    "created": [("start", 55), ("update-flag", 6), ("update-stdin", 6), ("kill", 8), ("delete-force", 8),
                ("delete", 5), ("dup-create", 7), ("dup-run", 5)],
    "running": [("update-flag", 15), ("update-stdin", 15), ("kill", 15), ("delete-force", 15), ("delete", 8),
                ("dup-create", 10), ("dup-run", 7), ("start", 5)],
    "stopped": [("delete", 55), ("delete-force", 20), ("start", 10), ("dup-create", 10), ("update-flag", 5)],
}

NEXT = {
    ("absent", "create"): "created", ("absent", "run"): "running",
    ("created", "start"): "running",
    ("created", "kill"): "stopped", ("running", "kill"): "stopped",
    ("created", "delete"): "absent", ("stopped", "delete"): "absent",
}


def _weighted(rng: random.Random, menu) -> str:
    return rng.choices([k for k, _ in menu], weights=[w for _, w in menu])[0]


def random_bundle(rng: random.Random, isolated: bool | None = None, cpu: str | None = None) -> BundleSpec:
    """Annotated ones are pinned to one CPU (`cpu` when given, mostly): with
    two CPUs and min_housekeeping_cpus = 1 one container at a time can be
    isolated, so a round's annotated containers mostly share a CPU and take
    turns.  Sometimes "0-1", which the housekeeping guardrail refuses."""
    if isolated is None:
        isolated = rng.random() < 0.6
    if isolated:
        if rng.random() < 0.06:
            cpus = "0-1"
        elif cpu is not None and rng.random() < 0.85:
            cpus = cpu
        else:
            cpus = rng.choice(["0", "1"])
        return BundleSpec(True, cpus, rng.random() < 0.1)
    return BundleSpec(False, rng.choice([None, "0", "1", "0-1"]), rng.random() < 0.15)


def plan_round(seed: int, number: int) -> RoundPlan:
    """A round's actions, drawn without looking at any outcome (replayable)."""
    rng = random.Random(f"{seed}/{number}")
    n = rng.randint(2, 4)
    annotated = min(n, rng.choice([1, 1, 2, 2, 3]))
    cpu = rng.choice(["0", "1"])
    slots = [random_bundle(rng, i < annotated, cpu) for i in range(n)]
    rng.shuffle(slots)
    predicted = ["absent"] * n
    actions: list[Action] = []
    for _ in range(rng.randint(2 * n, 3 * n + 2)):
        slot = rng.randrange(n)
        state = predicted[slot]
        kind = _weighted(rng, MENU[state])
        action = Action(kind, slot)
        if kind.startswith("update"):
            action.cpus = rng.choice(["0", "1", "0", "1", "0-1"])
        if kind.startswith("dup"):
            action.bundle = random_bundle(rng, None, cpu)
        if kind != "kill":
            r = rng.random()
            if kind in ISOLATING and (slots[slot].isolated or kind.startswith("dup")):
                p_fault = 0.3
            elif kind in ISOLATING:
                p_fault = 0.05
            else:
                p_fault = 0.04
            if r < p_fault:
                action.fault = rng.choice(FAULT_PATTERNS)
            elif r < p_fault + 0.12:
                # Within 0-50 ms; half of them in the first 5 ms, where the
                # wrapper itself (not yet runc) is running.
                action.kill_after_ms = rng.uniform(0, 5) if rng.random() < 0.5 else rng.uniform(0, 50)
        if kind == "delete-force":
            predicted[slot] = "absent"
        else:
            predicted[slot] = NEXT.get((state, kind), state)
        actions.append(action)
    return RoundPlan(number, slots, actions)


# ---------------------------------------------------------------------------
# One wrapper call


@dataclasses.dataclass
class Outcome:
    rc: int | None
    stderr: str
    killed_by: str | None = None  # "fault", "timer-in-wrapper", "timer-in-runc"
    note: str = ""

    def describe(self) -> str:
        s = f"rc={self.rc}"
        if self.killed_by:
            s += f" KILLED({self.killed_by})"
        if self.note:
            s += f" {self.note}"
        err = self.stderr.strip().splitlines()
        if err:
            s += f" stderr: {err[-1][:300]}"
        return s


class SoakHost(Host):
    """lifecycle_support.Host with one shared read-only busybox rootfs and
    calls that can be SIGKILLed."""

    def __init__(self, tmp: Path, wrapper: Path, runc: Path, busybox: Path):
        super().__init__(tmp, wrapper, runc, busybox)
        template = make_busybox_bundle(tmp / "template", busybox, runc)
        self.spec_template = json.loads((template / "config.json").read_text())
        self.spec_template["root"] = {"path": str(template / "rootfs"), "readonly": True}
        self.bundles = tmp / "bundles"
        self.bundles.mkdir()
        self.wrapper_exe = os.path.realpath(wrapper)
        self.ctl_exe = os.path.realpath(self.ctl)
        self.used_ids: set[str] = set()

    def make_bundle(self, cid: str, spec: BundleSpec, tag: str) -> Path:
        doc = json.loads(json.dumps(self.spec_template))
        cpu = doc["linux"].setdefault("resources", {}).setdefault("cpu", {})
        cpu["mems"] = "0"
        if spec.cpus is not None:
            cpu["cpus"] = spec.cpus
            cpu["shares"] = 1024 * len(parse_cpus(spec.cpus))
        doc["annotations"] = {ANNOTATION: "disable"} if spec.isolated else {}
        if spec.default_cgroup:
            doc["linux"].pop("cgroupsPath", None)
        else:
            doc["linux"]["cgroupsPath"] = "/" + self.cgroup(cid)
        bundle = self.bundles / f"{cid}.{tag}"
        bundle.mkdir()
        (bundle / "config.json").write_text(json.dumps(doc, indent=1))
        self.used_ids.add(cid)
        return bundle

    def invoke(self, args: list, *, fault: str | None = None, kill_after_ms: float | None = None,
               input: bytes | None = None, timeout: float = 60) -> Outcome:
        """The wrapper with `--root <ours> args`; optionally armed to crash."""
        argv = [str(self.wrapper), "--root", str(self.root), *[str(a) for a in args]]
        env = self.env({"RUNC_ISOLCPUS_FAULT": fault} if fault else None)
        killed_by = None
        # Files, not pipes: a detached container's init inherits them.
        with tempfile.TemporaryFile(dir=self.tmp) as out, tempfile.TemporaryFile(dir=self.tmp) as err:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err,
                                    stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL)
            if input is not None:
                try:
                    proc.stdin.write(input)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
            if kill_after_ms is not None:
                try:
                    proc.wait(timeout=kill_after_ms / 1000)
                except subprocess.TimeoutExpired:
                    try:
                        exe = os.readlink(f"/proc/{proc.pid}/exe")
                    except OSError:
                        exe = ""
                    try:
                        os.kill(proc.pid, signal.SIGKILL)
                        killed_by = "timer-in-wrapper" if os.path.realpath(exe) == self.wrapper_exe else \
                            "timer-in-runc"
                    except ProcessLookupError:
                        pass
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
                killed_by = "hung"
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        if fault and rc == -signal.SIGKILL and killed_by is None:
            killed_by = "fault"
        return Outcome(rc, stderr, killed_by)

    def ctl_run(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.ctl), "--config", str(self.config), *args], env=self.env(),
                              capture_output=True, text=True, timeout=60)

    def status_json(self) -> tuple[int, dict | None, str]:
        r = self.ctl_run("status", "--json")
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            doc = None
        return r.returncode, doc, r.stderr

    def ledger_text(self) -> str:
        path = self.state_dir / "ledger.json"
        return path.read_text() if path.exists() else ""

    def kill_container(self, cid: str) -> Outcome:
        """SIGKILL the container's init (not through the wrapper)."""
        st = self.runc_state(cid)
        if st is None or st.get("status") not in ("running", "created") or not st.get("pid"):
            return Outcome(None, "", note=f"no live init (runc state: {st and st.get('status')})")
        try:
            os.kill(st["pid"], signal.SIGKILL)
        except ProcessLookupError:
            return Outcome(None, "", note="init already gone")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now = self.runc_state(cid)
            if now is None or now.get("status") == "stopped":
                return Outcome(0, "", note=f"killed init {st['pid']}")
            time.sleep(0.02)
        return Outcome(1, "", note=f"init {st['pid']} still runs 5s after SIGKILL")

    def our_processes(self) -> list[int]:
        """Processes running the wrapper or ctl binary (exit watchers included)."""
        pids = []
        for p in Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                exe = os.path.realpath(os.readlink(p / "exe"))
            except OSError:
                continue
            if exe in (self.wrapper_exe, self.ctl_exe):
                pids.append(int(p.name))
        return pids

    def quiesce(self, timeout: float = 10) -> list[int]:
        """Waits for every wrapper process (exit watchers) to end; returns stragglers."""
        deadline = time.monotonic() + timeout
        left = self.our_processes()
        while left and time.monotonic() < deadline:
            time.sleep(0.02)
            left = self.our_processes()
        return left

    def runc_ids(self) -> list[str]:
        r = subprocess.run([str(self.runc), "--root", str(self.root), "list", "-q"], capture_output=True,
                           text=True)
        ids = set(r.stdout.split()) if r.returncode == 0 else set()
        if self.root.exists():
            ids |= {p.name for p in self.root.iterdir() if p.is_dir()}
        return sorted(ids)

    # -- cgroups in every hierarchy (runc makes its cgroups in all of them) --
    def remove_cgroups(self, ids) -> list[str]:
        """Our cgroup subtrees in every hierarchy, gone: the parent of the
        soak's containers, and runc's /<id> for containers without
        cgroupsPath."""
        problems = []
        for top in cgroup_trees([self.parent, *sorted(ids)]):
            problems += remove_cgroup_tree(top)
        return problems

    def teardown(self, ids) -> list[str]:
        """Deletes `ids` through the wrapper (no crash), then with runc
        whatever is still there.  Cgroups stay (see remove_cgroups)."""
        leftovers = []
        for cid in sorted(ids):
            self.invoke(["delete", "--force", cid])
        for cid in self.runc_ids():
            if cid in ids:
                leftovers.append(f"runc still lists {cid} after the wrapper's delete --force")
            subprocess.run([str(self.runc), "--root", str(self.root), "delete", "--force", cid],
                           capture_output=True)
        return leftovers

    def ledger_ids(self) -> set[str]:
        try:
            return {e["container_id"] for e in self.ledger()["entries"]}
        except (ValueError, KeyError, OSError):
            return set()

    def heal(self, ids) -> list[str]:
        """After a finding: make the host clean again so the next round is
        independent.  Deletes everything, removes our cgroups and the
        balanced cpuset, and starts a fresh ledger."""
        ids = set(ids) | set(self.runc_ids()) | self.ledger_ids()
        problems = self.teardown(ids)
        self.quiesce()
        problems += self.remove_cgroups(ids)
        if BALANCED.exists():
            try:
                BALANCED.rmdir()
            except OSError as e:
                problems.append(f"cannot remove {BALANCED}: {e}")
        (self.state_dir / "ledger.json").unlink(missing_ok=True)
        return problems

    def final_cleanup(self) -> list[str]:
        """Everything we made, gone: containers, cgroups in every hierarchy,
        and the balanced cpuset if no ledger entry holds an isolation."""
        ids = set(self.runc_ids()) | self.ledger_ids()
        self.teardown(ids)
        self.quiesce()
        problems = self.remove_cgroups(self.used_ids)
        try:
            holds = any(e.get("isolation") for e in self.ledger()["entries"])
        except (ValueError, KeyError, OSError):
            holds = False
        if BALANCED.exists() and not holds:
            problems.append(f"{BALANCED} left behind")
            try:
                BALANCED.rmdir()
            except OSError as e:
                problems.append(f"cannot remove {BALANCED}: {e}")
        return problems


def shell_line(host: SoakHost, action: Action, cid: str, bundle: Path | None) -> str:
    """The action as a command line, for the report."""
    env = f"RUNC_ISOLCPUS_FAULT={shlex.quote(action.fault)} " if action.fault else ""
    pipe = ""
    w = "runc-isolcpus --root $ROOT"
    k = action.kind
    if k == "kill":
        return f"kill -KILL $(runc --root $ROOT state {cid} | jq .pid)"
    if k in ("create", "dup-create"):
        cmd = f"{w} create --bundle {bundle} {cid}"
    elif k in ("run", "dup-run"):
        cmd = f"{w} run -d --bundle {bundle} {cid}"
    elif k == "start":
        cmd = f"{w} start {cid}"
    elif k == "update-flag":
        cmd = f"{w} update --cpuset-cpus {action.cpus} {cid}"
    elif k == "update-stdin":
        body = json.dumps({"cpu": {"cpus": action.cpus}})
        pipe = f"echo {shlex.quote(body)} | "
        cmd = f"{w} update -r - {cid}"
    elif k == "delete":
        cmd = f"{w} delete {cid}"
    else:
        cmd = f"{w} delete --force {cid}"
    timer = f"  # SIGKILL after {action.kill_after_ms:.1f} ms" if action.kill_after_ms is not None else ""
    return pipe + env + cmd + timer
def fault_injection_built(wrapper: Path) -> bool | None:
    """ISOLCPUS_FAULT_INJECTION from the wrapper's build tree, None if unknown."""
    cache = Path(wrapper).parent / "CMakeCache.txt"
    if not cache.exists():
        return None
    for line in cache.read_text().splitlines():
        if line.startswith("ISOLCPUS_FAULT_INJECTION:"):
            return line.partition("=")[2].strip().upper() in ("ON", "1", "TRUE", "YES")
    return False


# ---------------------------------------------------------------------------
# Observing and checking


@dataclasses.dataclass
class Finding:
    invariant: str  # I1 I2 I3 I4 STATUS END
    message: str


@dataclasses.dataclass
class Observation:
    ledger_text: str
    ledger: dict | None
    status_rc: int
    status: dict | None
    status_err: str
    nodes: list[CpusetNode]
    online: frozenset[int]
    runc: dict[str, dict | None]  # container id -> `runc state`, None when runc knows no such container

    def entries(self) -> list[dict]:
        return (self.ledger or {}).get("entries", [])

    def kernel_files(self) -> str:
        return "\n".join(n.files() for n in self.nodes)


def observe(host: SoakHost, ids) -> Observation:
    text = host.ledger_text()
    try:
        ledger = json.loads(text) if text else {"entries": [], "v1": {"balanced_cgroup": "", "flag_changes": []}}
    except ValueError:
        ledger = None
    rc, status, err = host.status_json()
    nodes = walk_cpusets()
    wanted = set(ids) | {e["container_id"] for e in (ledger or {}).get("entries", [])}
    return Observation(text, ledger, rc, status, err, nodes, online_cpus(), {c: host.runc_state(c) for c in wanted})


def _status_of(obs: Observation, cid: str) -> str:
    st = obs.runc.get(cid)
    return st.get("status", "?") if st else "unknown to runc"


def status_problems(obs: Observation, cid: str, cpus: frozenset[int]) -> list[str]:
    """What `status --json` says is wrong with these CPUs or this container.

    On this host the root's flag is 1, so status flags every isolated CPU as
    "balanced by <root>/cpuset.sched_load_balance": that message alone says
    nothing about the container and does not count."""
    if obs.status is None:
        return []
    root_only = f"balanced by {ROOT_FLAG_FILE}"
    out = []
    for row in obs.status.get("cpus", []):
        if row.get("cpu") in cpus or row.get("container_id") == cid:
            out += [p for p in row.get("problems", []) if not p.endswith(root_only)]
    return out


def check_invariants(obs: Observation, baseline_zero: frozenset[str], marks: dict[str, int]) -> list[Finding]:
    """I1-I3 (after reconcile, so that is I4 as well) and the status command."""
    findings: list[Finding] = []
    if obs.ledger is None:
        return [Finding("I4", f"the ledger is not valid JSON:\n{obs.ledger_text}")]
    if obs.status is None or obs.status_rc not in (0, 2):
        findings.append(Finding("STATUS", f"`runc-isolcpus-ctl status --json` exited {obs.status_rc} "
                                          f"without a readable report: {obs.status_err.strip()}"))
    entries = obs.entries()
    unbalanced = unbalanced_if_root_were_0(obs.nodes, obs.online)
    domains = domains_if_root_were_0(obs.nodes, boot_isolated_cpus())
    by_rel = {n.rel: n for n in obs.nodes}

    # I1: every CPU kept out of balancing because of us has a live owner.
    for cpu, cpusets in sorted(unbalanced_by_us(obs.nodes, obs.online, baseline_zero).items()):
        holders = [e for e in entries if e.get("isolation") and cpu in parse_cpus(e["isolation"]["cpus"])]
        alive = [e for e in holders if _status_of(obs, e["container_id"]) in ("running", "created")]
        if alive:
            continue
        if holders:
            why = "its ledger entr" + ("ies " if len(holders) > 1 else "y ") + ", ".join(
                f"{e['container_id']} ({e['state']}, runc: {_status_of(obs, e['container_id'])})"
                for e in holders) + " belong(s) to no live container"
        else:
            why = "no ledger entry holds it isolated"
        findings.append(Finding("I1", f"CPU {cpu} is kept out of load balancing by flag 0 on "
                                      f"{', '.join('/' + c for c in cpusets)} (set by us; no balanced cpuset "
                                      f"covers it), but {why}"))

    # I2: every running container the ledger holds is isolated in the kernel.
    for e in entries:
        cid = e["container_id"]
        st = obs.runc.get(cid)
        if not st or st.get("status") != "running":
            continue
        problems = []
        iso = e.get("isolation")
        cpus = parse_cpus(iso["cpus"]) if iso else parse_cpus(e.get("cpus"))
        if e.get("state") != "isolated" or not iso:
            problems.append(f"the ledger holds it in state {e.get('state')!r} without an isolation "
                            f"(CPUs {e.get('cpus')} claimed, not isolated) while it runs")
        else:
            cg = iso["cgroup"].strip("/")
            actual = init_cpuset(st["pid"])
            if actual is not None and actual != cg:
                problems.append(f"its init {st['pid']} is in cpuset /{actual} but the ledger isolated /{cg}")
            node = by_rel.get(cg)
            if node is None:
                problems.append(f"the isolated cpuset /{cg} does not exist")
            else:
                if node.flag != 0:
                    problems.append(f"{CPUSET / cg}/cpuset.sched_load_balance is {node.flag}")
                if not cpus <= node.cpus:
                    problems.append(f"isolated CPUs {show_cpus(cpus)} are not in /{cg}'s cpuset.cpus "
                                    f"({show_cpus(node.cpus)})")
            if parse_cpus(e.get("cpus")) != cpus:
                problems.append(f"the entry claims CPUs {e.get('cpus')} but isolated {iso['cpus']}")
        balanced = cpus - unbalanced
        if balanced:
            by = [f"/{d.rel}" for d in domains if d.cpus & balanced]
            problems.append(f"CPUs {show_cpus(balanced)} are balanced (domain of {', '.join(by)})")
        if problems and not status_problems(obs, cid, cpus):
            findings.append(Finding("I2", f"container {cid} runs (init {st['pid']}) and the ledger holds it, "
                                          f"but it is not isolated and status reports nothing: "
                                          + "; ".join(problems)))
    for cid, pid in sorted(marks.items()):
        st = obs.runc.get(cid)
        if not st or st.get("status") != "running" or st.get("pid") != pid:
            continue
        if not any(e["container_id"] == cid for e in entries):
            findings.append(Finding("I2", f"container {cid} (init {pid}) was isolated by the wrapper and still "
                                          "runs, but the ledger no longer holds it: it runs unisolated and "
                                          "its CPUs are unclaimed"))

    # I3: no CPU claimed twice.
    claims: dict[int, list[str]] = {}
    seen: dict[tuple, int] = {}
    for e in entries:
        key = (e.get("runc_root"), e["container_id"])
        seen[key] = seen.get(key, 0) + 1
        cpus = parse_cpus(e.get("cpus"))
        if e.get("isolation"):
            cpus |= parse_cpus(e["isolation"]["cpus"])
        for cpu in cpus:
            claims.setdefault(cpu, []).append(e["container_id"])
    for cpu, holders in sorted(claims.items()):
        if len(holders) > 1:
            findings.append(Finding("I3", f"CPU {cpu} is claimed by {len(holders)} ledger entries: "
                                          f"{', '.join(holders)}"))
    for (_, cid), count in seen.items():
        if count > 1:
            findings.append(Finding("I3", f"container {cid} has {count} ledger entries"))
    return findings


def check_clean(obs: Observation, baseline: list[CpusetNode]) -> list[Finding]:
    """The host as the soak found it: nothing in the ledger, no balanced
    cpuset, every flag back (cpusets created since: 1)."""
    findings = []
    if obs.ledger is None:
        return [Finding("END", f"the ledger is not valid JSON:\n{obs.ledger_text}")]
    if obs.entries():
        findings.append(Finding("END", "ledger entries left after deleting every container and reconciling: "
                                       + ", ".join(f"{e['container_id']} ({e['state']})" for e in obs.entries())))
    v1 = obs.ledger.get("v1", {})
    if v1.get("flag_changes"):
        findings.append(Finding("END", f"the ledger still records flag changes: {v1['flag_changes']}"))
    if v1.get("balanced_cgroup"):
        findings.append(Finding("END", f"the ledger still records a balanced cpuset {v1['balanced_cgroup']!r}"))
    if "root_flag_original" in v1:
        findings.append(Finding("END", f"the ledger still records the root flag ({v1['root_flag_original']})"))
    before = {n.rel: n for n in baseline}
    for node in obs.nodes:
        if node.rel == str(BALANCED.relative_to(CPUSET)):
            findings.append(Finding("END", f"{BALANCED} exists (cpus {show_cpus(node.cpus)})"))
            continue
        want = before[node.rel].flag if node.rel in before else 1
        if node.flag != want:
            findings.append(Finding("END", f"{node.files()}: flag should be {want}"))
    if obs.status is None or obs.status_rc != 0:
        findings.append(Finding("END", f"status --json exited {obs.status_rc} on a clean host: "
                                       f"{json.dumps((obs.status or {}).get('cpus'))} {obs.status_err.strip()}"))
    return findings


# ---------------------------------------------------------------------------
# The soak


@dataclasses.dataclass
class RoundReport:
    number: int
    lines: list[str]  # the actions and their outcomes
    findings: list[Finding]
    evidence: str


class Soak:
    def __init__(self, host: SoakHost, seed: int, baseline: list[CpusetNode], faults: bool, out=print):
        self.host = host
        self.seed = seed
        self.baseline = baseline
        self.baseline_zero = frozenset(n.rel for n in baseline if n.rel and n.flag == 0)
        self.faults = faults  # False: a build without the fault switch; armed faults are not passed
        self.out = out
        self.token = "s" + host.parent.rsplit("-", 1)[-1][:6]
        self.rounds = 0
        self.containers = 0
        self.actions = 0
        self.fault_armed = 0
        self.fault_crashes = 0
        self.timer_armed = 0
        self.timer_in_wrapper = 0
        self.timer_in_runc = 0
        self.container_kills = 0
        self.checks_isolated = 0  # rounds whose check found a running container isolated
        self.reports: list[RoundReport] = []
        self.verbose = os.environ.get("SOAK_VERBOSE", "") not in ("", "0")

    # -- counts --------------------------------------------------------------
    def violations(self) -> int:
        return sum(len(r.findings) for r in self.reports)

    def summary(self, seconds: float) -> str:
        kinds: dict[str, int] = {}
        for r in self.reports:
            for f in r.findings:
                kinds[f.invariant] = kinds.get(f.invariant, 0) + 1
        by_kind = " ".join(f"{k}={v}" for k, v in sorted(kinds.items())) or "none"
        crashes = self.fault_crashes + self.timer_in_wrapper + self.timer_in_runc
        return (f"soak summary: seed={self.seed} rounds={self.rounds} containers={self.containers} "
                f"actions={self.actions} wrapper-crashes={crashes} "
                f"(fault switch: {self.fault_crashes} of {self.fault_armed} armed; timer: "
                f"{self.timer_in_wrapper + self.timer_in_runc} of {self.timer_armed} armed, "
                f"{self.timer_in_wrapper} in the wrapper, {self.timer_in_runc} after the exec of runc) "
                f"container-kills={self.container_kills} "
                f"rounds-checked-with-an-isolated-container={self.checks_isolated} "
                f"invariant-violations={self.violations()} "
                f"({by_kind}) rounds-with-violations={len(self.reports)} time={seconds:.1f}s")

    # -- one round -----------------------------------------------------------
    def run_round(self, number: int) -> None:
        host = self.host
        plan = plan_round(self.seed, number)
        ids = [f"{self.token}r{number}c{i}" for i in range(len(plan.slots))]
        self.rounds += 1
        self.containers += len(ids)
        log_offset = host.log_file.stat().st_size if host.log_file.exists() else 0
        bundles = [host.make_bundle(cid, spec, "b") for cid, spec in zip(ids, plan.slots)]
        lines = [f"round {number} (seed {self.seed}; replay: SOAK_SEED={self.seed} SOAK_ONLY_ROUND={number})"]
        for i, (cid, spec) in enumerate(zip(ids, plan.slots)):
            lines.append(f"  container {cid}: {spec.describe()}, bundle {bundles[i]}")
        marks: dict[str, int] = {}
        for step, action in enumerate(plan.actions, 1):
            cid = ids[action.slot]
            bundle = bundles[action.slot]
            if action.kind.startswith("dup"):
                bundle = host.make_bundle(cid, action.bundle, f"dup{step}")
            outcome = self.execute(action, cid, bundle)
            extra = f" [other bundle: {action.bundle.describe()}]" if action.bundle else ""
            lines.append(f"  {step:2d}. {shell_line(host, action, cid, bundle)}{extra}\n"
                         f"      -> {outcome.describe()}")
            if action.kind.startswith("update") and outcome.killed_by is None and outcome.rc not in (0, None) \
                    and outcome.stderr.startswith("runc-isolcpus:"):
                marks.pop(cid, None)  # the caller was told the new set could not be isolated
            self.mark(marks, [cid])

        # After the round: no operator action but a reconcile, then I1-I4.
        findings: list[Finding] = []
        stragglers = host.quiesce()
        if stragglers:
            findings.append(Finding("I4", f"wrapper processes still running 10s after the round: {stragglers}"))
        rec = host.reconcile()
        rec_err = rec.stderr.decode(errors="replace").strip()
        lines.append(f"  runc-isolcpus-ctl reconcile -> rc={rec.returncode} {rec_err}")
        if rec.returncode != 0:
            findings.append(Finding("I4", f"reconcile exited {rec.returncode}: {rec_err}"))
        obs = observe(host, ids)
        findings += check_invariants(obs, self.baseline_zero, marks)
        if any(e.get("state") == "isolated" and (obs.runc.get(e["container_id"]) or {}).get("status") == "running"
               for e in obs.entries()):
            self.checks_isolated += 1
        evidence = self.evidence("after the round and a reconcile", obs, log_offset) if findings else ""

        # Teardown through the wrapper; the host must be as found.
        notes = host.teardown(set(ids))
        host.quiesce()
        rec = host.reconcile()
        clean = observe(host, ids)
        end = check_clean(clean, self.baseline)
        if rec.returncode != 0:
            end.append(Finding("END", f"reconcile after the teardown exited {rec.returncode}"))
        if end:
            lines.append("  teardown: runc-isolcpus delete --force <each id>; runc-isolcpus-ctl reconcile"
                         + ("".join(f"\n    note: {n}" for n in notes)))
            evidence += self.evidence("after deleting every container through the wrapper and a reconcile",
                                      clean, log_offset)
            findings += end
        problems = host.remove_cgroups(ids)
        if self.verbose:
            self.out("\n".join(lines))
        if findings:
            problems += host.heal(ids)
            self.reports.append(RoundReport(number, lines, findings, evidence))
            self.out(f"round {number}: {len(findings)} violation(s): "
                     + "; ".join(f"{f.invariant}: {f.message[:160]}" for f in findings))
        if problems:
            raise AssertionError(f"round {number}: cannot clean up: {problems}")

    def mark(self, marks: dict[str, int], ids) -> None:
        """Remembers containers the wrapper isolated while they run (init pid)."""
        try:
            entries = self.host.ledger()["entries"]
        except (ValueError, KeyError, OSError):
            return
        for cid in ids:
            e = next((x for x in entries if x["container_id"] == cid), None)
            if e is None or e.get("state") != "isolated" or not e.get("isolation"):
                continue
            st = self.host.runc_state(cid)
            if st and st.get("status") == "running":
                marks[cid] = st["pid"]

    def execute(self, action: Action, cid: str, bundle: Path) -> Outcome:
        host = self.host
        self.actions += 1
        if action.kind == "kill":
            out = host.kill_container(cid)
            if out.rc == 0:
                self.container_kills += 1
            return out
        stdin = None
        k = action.kind
        if k in ("create", "dup-create"):
            args = ["create", "--bundle", bundle, cid]
        elif k in ("run", "dup-run"):
            args = ["run", "-d", "--bundle", bundle, cid]
        elif k == "start":
            args = ["start", cid]
        elif k == "update-flag":
            args = ["update", "--cpuset-cpus", action.cpus, cid]
        elif k == "update-stdin":
            args = ["update", "-r", "-", cid]
            stdin = json.dumps({"cpu": {"cpus": action.cpus}}).encode()
        elif k == "delete":
            args = ["delete", cid]
        else:
            args = ["delete", "--force", cid]
        fault = action.fault if self.faults else None
        if fault:
            self.fault_armed += 1
        if action.kill_after_ms is not None:
            self.timer_armed += 1
        out = host.invoke(args, fault=fault, kill_after_ms=action.kill_after_ms, input=stdin)
        if out.killed_by == "fault":
            self.fault_crashes += 1
        elif out.killed_by == "timer-in-wrapper":
            self.timer_in_wrapper += 1
        elif out.killed_by == "timer-in-runc":
            self.timer_in_runc += 1
        return out

    def evidence(self, when: str, obs: Observation, log_offset: int) -> str:
        try:
            ledger = json.dumps(json.loads(obs.ledger_text), indent=1, sort_keys=True) if obs.ledger_text \
                else "(none)"
        except ValueError:
            ledger = obs.ledger_text
        status = obs.status or {}
        status_short = json.dumps({"exit": obs.status_rc, "cpus": status.get("cpus"),
                                   "containers": [{k: c.get(k) for k in ("id", "state", "cpus", "cgroup", "init_pid")}
                                                  for c in status.get("containers", [])]}, indent=1)
        runc = "\n".join(f"  {cid}: " + (f"{st.get('status')} pid {st.get('pid')}" if st else "unknown to runc")
                         for cid, st in sorted(obs.runc.items()))
        log = ""
        if self.host.log_file.exists():
            with open(self.host.log_file, "rb") as f:
                size = f.seek(0, 2)
                f.seek(log_offset if log_offset <= size else 0)
                log_lines = f.read().decode(errors="replace").splitlines()
            log = "\n".join(log_lines[-60:])
        return (f"--- {when}\nledger ({self.host.state_dir}/ledger.json):\n{ledger}\n"
                f"status --json (abridged):\n{status_short}\nkernel files:\n{obs.kernel_files()}\n"
                f"runc state:\n{runc}\nwrapper log (this round, last 60 lines):\n{log}\n")

    def failure_message(self, seconds: float, detailed: int = 3) -> str:
        parts = [self.summary(seconds)]
        for r in self.reports:
            parts.append(f"round {r.number}: " + "; ".join(f"{f.invariant}: {f.message}" for f in r.findings))
        for r in self.reports[:detailed]:
            parts.append("=" * 78 + "\n" + "\n".join(r.lines) + "\nviolations:\n"
                         + "\n".join(f"  {f.invariant}: {f.message}" for f in r.findings) + "\n" + r.evidence)
        return "\n".join(parts)
