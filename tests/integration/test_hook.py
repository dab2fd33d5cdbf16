"""Hook mode: real runc runs `runc-isolcpus-ctl hook <stage>` from a bundle's
hooks section (createRuntime isolates, poststop releases), and the ledger,
the container's cpuset and `status` agree.

The host is cgroup v1 with the root cpuset's sched_load_balance at 1, which
these tests must not change: the config sets v1_manage_root_flag = false, so
the container's own cpuset flag is turned off and `status` reports the root
as the cpuset that still balances the CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import make_busybox_bundle, write_config
from lifecycle_support import cgroup_trees, exclusive_host, remove_cgroup_tree, wait_for_quiet_host

V1_CPUSET = Path("/sys/fs/cgroup/cpuset")


def root_flag() -> str:
    return (V1_CPUSET / "cpuset.sched_load_balance").read_text().strip()


@pytest.fixture(scope="module", autouse=True)
def host_is_as_expected():
    if not (V1_CPUSET / "cpuset.sched_load_balance").exists():
        pytest.fail("these tests need a cgroup v1 cpuset hierarchy at /sys/fs/cgroup/cpuset")
    if os.geteuid() != 0:
        pytest.fail("these tests run real runc and must run as root")
    online = Path("/sys/devices/system/cpu/online").read_text().strip()
    if online in ("0",):
        pytest.fail("these tests need at least 2 online CPUs")
    before = root_flag()
    yield
    assert root_flag() == before, "a test changed the root cpuset's sched_load_balance"


class HookNode:
    def __init__(self, tmp: Path, wrapper: Path, real_runc: Path, busybox: Path, **config):
        self.tmp = tmp
        self.wrapper = wrapper
        self.real_runc = real_runc
        self.busybox = busybox
        self.root = tmp / "runc-root"
        self.state_dir = tmp / "state"
        self.log = tmp / "isolcpus.log"
        keys = dict(runtime=real_runc, log_file=self.log, state_dir=self.state_dir, log_level="debug",
                    v1_manage_root_flag=False, min_housekeeping_cpus=1)
        keys.update(config)
        self.config = write_config(tmp / "config.toml", **keys)
        self.ctl = tmp / "runc-isolcpus-ctl"
        self.ctl.symlink_to(wrapper.with_name("runc-isolcpus-ctl"))  # built beside the wrapper
        self.containers: list[str] = []
        self.parent = f"isolcpus-ops-{uuid.uuid4().hex[:8]}"

    def hook_entry(self, stage: str) -> dict:
        return {"path": str(self.ctl),
                "args": ["runc-isolcpus-ctl", "--config", str(self.config), "hook", stage],
                "timeout": 30}

    def bundle(self, name: str, cpus="1", annotations=None, shares=1024, stages=("createRuntime",)) -> Path:
        ann = {"cpu-load-balancing.crio.io": "disable",
               "io.kubernetes.pod.namespace": "telco",
               "io.kubernetes.pod.name": "dpdk-0",
               "io.kubernetes.container.name": "worker"}
        if annotations is not None:
            ann = annotations
        cid = f"{name}-{uuid.uuid4().hex[:8]}"
        bundle = make_busybox_bundle(self.tmp / cid / "bundle", self.busybox, self.real_runc,
                                     args=("sleep", "1000"), cpus=cpus, mems="0", annotations=ann,
                                     cgroups_path=f"/{self.parent}/{cid}")
        spec = json.loads((bundle / "config.json").read_text())
        if shares is not None:
            spec["linux"]["resources"]["cpu"]["shares"] = shares
        hooks = {stage: [self.hook_entry(stage)] for stage in stages}
        hooks["poststop"] = [self.hook_entry("poststop")]
        spec["hooks"] = hooks
        (bundle / "config.json").write_text(json.dumps(spec, indent=2))
        return bundle, cid

    def runc(self, *args, check=True, timeout=60):
        cmd = [str(self.real_runc), "--root", str(self.root), *map(str, args)]
        # Files, not pipes: a created container inherits runc's stdio and
        # would hold a pipe open for its whole life.
        out_path, err_path = self.tmp / "runc.out", self.tmp / "runc.err"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            rc = subprocess.run(cmd, stdout=out, stderr=err, timeout=timeout, stdin=subprocess.DEVNULL).returncode
        res = subprocess.CompletedProcess(cmd, rc, out_path.read_text(), err_path.read_text())
        if check:
            assert res.returncode == 0, f"{cmd} failed: {res.stderr}\nlog:\n{self.read_log()}"
        return res

    def create(self, bundle: Path, cid: str, check=True):
        self.containers.append(cid)
        return self.runc("create", "--bundle", bundle, cid, check=check)

    def ctl_run(self, *args, input=None):
        return subprocess.run([str(self.ctl), "--config", str(self.config), *args], capture_output=True,
                              text=True, input=input, timeout=60)

    def ledger(self) -> dict:
        path = self.state_dir / "ledger.json"
        return json.loads(path.read_text()) if path.exists() else {"entries": []}

    def entries(self) -> list:
        return self.ledger().get("entries", [])

    def read_log(self) -> str:
        return self.log.read_text() if self.log.exists() else "(no log)"

    def cleanup(self) -> list[str]:
        for cid in self.containers:
            subprocess.run([str(self.real_runc), "--root", str(self.root), "delete", "--force", cid],
                           capture_output=True, timeout=60)
        problems = []
        for top in cgroup_trees([self.parent]):
            problems += remove_cgroup_tree(top)
        return problems


@pytest.fixture
def node(tmp_path, wrapper, real_runc, busybox):
    # The balanced cpuset has a fixed name: one isolating suite at a time.
    with exclusive_host():
        wait_for_quiet_host()
        n = HookNode(tmp_path, wrapper, real_runc, busybox)
        yield n
        problems = n.cleanup()
        if problems:
            pytest.fail("; ".join(problems))


def container_flag(node: HookNode, cid: str) -> str:
    return (V1_CPUSET / node.parent / cid / "cpuset.sched_load_balance").read_text().strip()


def test_create_isolates_and_poststop_releases(node):
    bundle, cid = node.bundle("iso")
    node.create(bundle, cid)
    entries = node.entries()
    assert len(entries) == 1, f"ledger: {entries}\nlog:\n{node.read_log()}"
    e = entries[0]
    # Absolute, under the default state dir (root-owned), never read: the
    # relative "hook" of 0.1/0.2 was resolved against the caller's cwd.
    assert e["runc_root"] == "/run/runc-isolcpus/hook"
    assert e["container_id"] == cid
    assert e["state"] == "isolated"
    assert e["cpus"] == "1"
    assert e["pod_namespace"] == "telco" and e["pod_name"] == "dpdk-0"
    assert e["isolated_at"] > 0
    assert container_flag(node, cid) == "0"

    status = node.ctl_run("status", "--json")
    doc = json.loads(status.stdout)
    cpu1 = next(c for c in doc["cpus"] if c["cpu"] == 1)
    assert cpu1["state"] == "isolated" and cpu1["container_id"] == cid
    # Root flag 1 (left alone by configuration): the kernel still balances
    # CPU 1, and status names the root cpuset as the culprit.
    assert cpu1["kernel"] == "balanced"
    assert any("/sys/fs/cgroup/cpuset/cpuset.sched_load_balance" in p for p in cpu1["problems"]), cpu1
    assert status.returncode == 2
    text = node.ctl_run("status")
    assert cid[:12] in text.stdout and "telco/dpdk-0 worker" in text.stdout
    assert "summary: 1 isolated by containers" in text.stdout

    node.runc("start", cid)
    node.runc("kill", cid, "KILL")
    node.runc("delete", "--force", cid)
    assert node.entries() == [], f"poststop did not release: {node.entries()}\nlog:\n{node.read_log()}"


def test_poststop_releases_what_an_older_version_recorded(node):
    """0.1 / 0.2 recorded hook entries under the relative root "hook": this version releases them."""
    bundle, cid = node.bundle("legacy")
    node.create(bundle, cid)
    doc = node.ledger()
    assert len(doc["entries"]) == 1, node.read_log()
    doc["entries"][0]["runc_root"] = "hook"  # as the older ctl wrote it
    (node.state_dir / "ledger.json").write_text(json.dumps(doc))
    status = node.ctl_run("status", "--json")
    assert json.loads(status.stdout)["containers"][0]["mode"] == "hook", status.stdout
    assert container_flag(node, cid) == "0"
    node.runc("delete", "--force", cid)
    assert node.entries() == [], f"poststop did not release the old entry: {node.entries()}\n{node.read_log()}"


def test_not_opted_in_is_left_alone(node):
    bundle, cid = node.bundle("plain", annotations={})
    node.create(bundle, cid)
    assert node.entries() == []
    assert container_flag(node, cid) == "1"


def test_refusal_fails_the_create(node):
    # CPU 0 and 1 both pinned: nothing would be left for housekeeping.
    bundle, cid = node.bundle("greedy", cpus="0-1")
    res = node.create(bundle, cid, check=False)
    assert res.returncode != 0, "runc create should fail when the hook refuses"
    assert "runc-isolcpus" in res.stderr or "hook" in res.stderr, res.stderr
    assert node.entries() == []


def test_second_container_cannot_take_held_cpu(node):
    b1, c1 = node.bundle("first")
    node.create(b1, c1)
    b2, c2 = node.bundle("second")
    res = node.create(b2, c2, check=False)
    assert res.returncode != 0
    assert [e["container_id"] for e in node.entries()] == [c1]


def test_dead_container_released_by_next_hook(node):
    b1, c1 = node.bundle("first")
    node.create(b1, c1)
    # Kill it behind the runtime's back: no poststop runs.
    pid = json.loads(node.runc("state", c1).stdout)["pid"]
    os.kill(pid, 9)
    for _ in range(100):
        if json.loads(node.runc("state", c1).stdout)["status"] == "stopped":
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"container {c1} did not stop after SIGKILL to {pid}")
    b2, c2 = node.bundle("second")
    node.create(b2, c2)
    assert [e["container_id"] for e in node.entries()] == [c2], node.read_log()


def test_hook_rejects_bad_input(node):
    res = node.ctl_run("hook", "createRuntime", input="not json")
    assert res.returncode == 1 and "OCI state" in res.stderr
    res = node.ctl_run("hook", "bogusStage", input="{}")
    assert res.returncode == 1 and "unknown hook stage" in res.stderr
    # poststop for a container we never saw: a quiet no-op.
    res = node.ctl_run("hook", "poststop", input=json.dumps({"id": "nobody", "pid": 0, "bundle": "/x"}))
    assert res.returncode == 0, res.stderr


def test_hooks_d_json_shipped(source_dir):
    doc = json.loads((source_dir / "packaging" / "hooks.d" / "runc-isolcpus.json").read_text())
    assert doc["version"] == "1.0.0"
    assert doc["hook"]["path"] == "/usr/bin/runc-isolcpus-ctl"
    # One file for both stages: `hook auto` tells them apart by the state's
    # status ("creating" -> isolate, "stopped" -> release).
    assert doc["hook"]["args"] == ["runc-isolcpus-ctl", "hook", "auto"]
    assert doc["when"]["annotations"] == {"^cpu-load-balancing\\.crio\\.io$": "^(disable|true)$"}
    assert sorted(doc["stages"]) == ["createRuntime", "poststop"]


def test_auto_stage_follows_status(node):
    """The hooks.d file's `hook auto` in a bundle: both stages, one argv."""
    bundle, cid = node.bundle("auto", stages=())
    spec = json.loads((bundle / "config.json").read_text())
    spec["hooks"] = {"createRuntime": [node.hook_entry("auto")], "poststop": [node.hook_entry("auto")]}
    (bundle / "config.json").write_text(json.dumps(spec))
    node.create(bundle, cid)
    assert [e["state"] for e in node.entries()] == ["isolated"], node.read_log()
    node.runc("delete", "--force", cid)
    assert node.entries() == [], node.read_log()


def test_same_id_from_another_runtime_touches_the_live_container_not(node):
    """Reliability item 3 in hook mode: hook entries share one namespace of
    ids ("hook"), so a second runtime's container with the id of a live one
    must not release the live one's isolation."""
    b1, c1 = node.bundle("first")
    node.create(b1, c1)
    assert container_flag(node, c1) == "0"
    b2, _ = node.bundle("second")
    other_root = node.tmp / "other-runtime-root"
    res = subprocess.run([str(node.real_runc), "--root", str(other_root), "create", "--bundle", str(b2), c1],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    try:
        assert res.returncode != 0, "the hook let a second container of a live id through"
        assert "already holds CPUs" in res.stderr, res.stderr
        assert container_flag(node, c1) == "0", "the live container lost its isolation"
        entries = node.entries()
        assert len(entries) == 1 and entries[0]["state"] == "isolated", entries
    finally:
        subprocess.run([str(node.real_runc), "--root", str(other_root), "delete", "--force", c1],
                       capture_output=True, timeout=60)
