"""End to end through containerd 1.6's CRI plugin, as kubelet drives it.

A private containerd (tests/e2e/e2e_containerd.py) loads the packaged
runtime handler (packaging/containerd/isolcpus-containerd1.toml, BinaryName
pointed at the built wrapper) and is called over gRPC with a hand-written
slice of the CRI (tests/e2e/cri.proto).  The wrapper's config sits at its
default path for the duration (see tests/e2e/e2e_host.py for why).

Covered: isolation of an opted-in container (ledger + cpuset flag), the pause
container never isolated, ExecSync, UpdateContainerResources reaching the
wrapper, Stop/Remove releasing everything, a policy refusal reaching the CRI
client in the wrapper's words, and container output identical to the runc
handler's.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e_containerd import SANDBOX_IMAGE, TEST_IMAGE, Containerd, cri_section  # noqa: E402
from e2e_host import (busybox_path, changed_flags, cpuset_flags, installed_isolcpus, leftover_cgroups,  # noqa: E402
                      read_flag, remove_cgroup_tree, require, strip_cri_log)
from e2e_image import make_oci_archive  # noqa: E402

OPT_IN = {"cpu-load-balancing.crio.io": "disable"}
CRI_ROOT = "/run/containerd/runc/k8s.io"  # the shim's runc --root for the CRI namespace


class Env:
    def __init__(self, base: Path, daemon: Containerd, cri, isolcpus, runc: Path, parent: str):
        self.base = base
        self.daemon = daemon
        self.cri = cri
        self.isolcpus = isolcpus
        self.runc = runc
        self.parent = parent  # every pod's cgroup parent, removed at the end
        self.pods: list[str] = []

    def run_pod(self, handler: str, namespace: str, annotations: dict) -> tuple[str, object]:
        uid = uuid.uuid4().hex
        name = f"pod-{uid[:8]}"
        log_dir = self.base / "pods" / uid
        log_dir.mkdir(parents=True)
        config = self.cri.sandbox_config(name, namespace, uid, annotations, log_dir,
                                         cgroup_parent=f"{self.parent}/pod{uid}")
        pod_id = self.cri.run_pod(config, handler)
        self.pods.append(pod_id)
        return pod_id, config

    def remove_pod(self, pod_id: str) -> None:
        self.cri.stop_pod(pod_id)
        self.cri.remove_pod(pod_id)
        self.pods.remove(pod_id)

    def cpuset_dir(self, container_id: str) -> Path:
        state = json.loads((Path(CRI_ROOT) / container_id / "state.json").read_text())
        return Path(state["cgroup_paths"]["cpuset"])


@pytest.fixture(scope="module")
def env(tmp_path_factory, request):
    found = require(binaries=("containerd", "ctr", "containerd-shim-runc-v2", "runc"),
                    modules=("grpc", "grpc_tools", "google.protobuf"))
    wrapper = Path(os.environ.get("ISOLCPUS_WRAPPER", ""))
    if not wrapper.is_file():
        pytest.fail("ISOLCPUS_WRAPPER is not set to the built runc-isolcpus: run through ctest")
    source = Path(__file__).resolve().parents[2]
    base = tmp_path_factory.mktemp("cri")
    busybox = busybox_path()

    snippet = (source / "packaging" / "containerd" / "isolcpus-containerd1.toml").read_text()
    snippet = snippet.replace("/usr/local/bin/runc-isolcpus", str(wrapper.resolve()))
    snippet = "\n".join(line for line in snippet.splitlines() if not line.startswith("version"))
    assert str(wrapper.resolve()) in snippet, "the packaged snippet no longer names BinaryName's default path"

    archive = make_oci_archive(base / "busybox.tar", base / "image", busybox, [TEST_IMAGE, SANDBOX_IMAGE],
                               cmd=["sleep", "2000000000"])
    parent = f"/isolcpus-e2e-{uuid.uuid4().hex[:8]}"
    with installed_isolcpus(base, found["runc"]) as isolcpus:
        daemon = Containerd(base / "containerd")
        daemon.write_config(cri_section(daemon.base, snippet))
        cri = None
        e = None
        try:
            daemon.start()
            daemon.import_image(archive, "k8s.io")
            from e2e_cri import Cri

            cri = Cri(daemon.address, base / "stubs")
            assert cri.version().runtime_name == "containerd"
            e = Env(base, daemon, cri, isolcpus, found["runc"], parent)
            yield e
        finally:
            for pod_id in list(e.pods if e else []):
                try:
                    e.remove_pod(pod_id)
                except Exception as exc:  # keep tearing down; the asserts below judge the result
                    print(f"teardown: removing pod {pod_id}: {exc}")
            if cri is not None:
                cri.close()
            forced = daemon.stop(found["runc"])
            remove_cgroup_tree(parent)
            leftovers = leftover_cgroups(parent)
            entries = isolcpus.entries()
        assert not forced, f"teardown had to force: {forced}"
        assert not leftovers, f"cgroups left behind: {leftovers}"
        assert entries == [], f"ledger entries left behind: {entries}"


def wait_exited(cri, cid: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = cri.status(cid)
        if status.state == cri.pb.CONTAINER_EXITED:
            return status
        time.sleep(0.2)
    raise AssertionError(f"container {cid} did not exit within {timeout}s")


def test_isolated_container_lifecycle(env: Env):
    cri, iso = env.cri, env.isolcpus
    pod_id, pod_config = env.run_pod("isolcpus", "rt", OPT_IN)
    # The pause container passes through the wrapper with the pod's opt-in
    # annotation, and must never be isolated.
    assert iso.entry(pod_id) is None, "the sandbox (pause) container was put in the ledger"
    assert read_flag(env.cpuset_dir(pod_id)) == "1"

    cid = cri.create_container(pod_id, pod_config, "worker", TEST_IMAGE, ["sleep", "2000000000"], cpuset="1",
                               shares=1024, log_path="worker.log")
    flags_before = cpuset_flags()
    cri.start(cid)
    entry = iso.entry(cid)
    assert entry is not None, f"no ledger entry for the started container; log:\n{iso.log_text()[-3000:]}"
    assert entry["state"] == "isolated"
    assert entry["cpus"] == "1"
    assert entry["runc_root"] == CRI_ROOT
    assert entry["pod_namespace"] == "rt"
    assert entry["pod_name"] == pod_config.metadata.name
    assert entry["container_name"] == "worker"
    cpuset_dir = env.cpuset_dir(cid)
    assert read_flag(cpuset_dir) == "0", f"{cpuset_dir} is still load-balanced"
    assert iso.entry(pod_id) is None

    result = cri.exec_sync(cid, ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"])
    assert (result.stdout, result.stderr, result.exit_code) == (b"to-stdout\n", b"to-stderr\n", 3)

    cri.update_cpuset(cid, "0", 1024)
    entry = iso.entry(cid)
    assert entry is not None and entry["state"] == "isolated" and entry["cpus"] == "0", entry
    assert (cpuset_dir / "cpuset.cpus").read_text().strip() == "0"
    assert read_flag(cpuset_dir) == "0"

    cri.stop(cid)
    iso.wait_for(lambda: iso.entry(cid) is None, f"the ledger to release {cid} after StopContainer")
    cri.remove(cid)
    assert not cpuset_dir.exists(), f"{cpuset_dir} outlived RemoveContainer"
    assert iso.entries() == []
    # Every cpuset the wrapper touched on the way (the pod's parents, the
    # other top-level cpusets) has its flag back.
    assert changed_flags(flags_before, cpuset_flags()) == {}
    balanced = "runc-isolcpus.balanced"  # the v1 isolator's node-wide helper cpuset
    assert balanced in flags_before or balanced not in cpuset_flags(), "the balanced helper cpuset outlived the release"
    env.remove_pod(pod_id)
    assert "level=error" not in iso.log_text() and '"level":"error"' not in iso.log_text()


def test_refused_namespace_reaches_the_cri_client(env: Env):
    cri, iso = env.cri, env.isolcpus
    iso.configure(allowed_namespaces=["rt"])
    try:
        pod_id, pod_config = env.run_pod("isolcpus", "denied", OPT_IN)  # the sandbox is never refused
        cid = cri.create_container(pod_id, pod_config, "worker", TEST_IMAGE, ["sleep", "2000000000"],
                                   cpuset="1", shares=1024, log_path="worker.log")
        with pytest.raises(env.cri.grpc.RpcError) as failure:
            cri.start(cid)
        details = failure.value.details()
        print("CRI error seen by the client:", details)
        # The wrapper's reason, through runc's --log file, the shim and containerd.
        assert 'namespace \\"denied\\" is not in allowed_namespaces' in details or \
            'namespace "denied" is not in allowed_namespaces' in details, details
        assert iso.entry(cid) is None
        cri.remove(cid)
        env.remove_pod(pod_id)
        assert iso.entries() == []
    finally:
        iso.configure()


def run_workload(env: Env, handler: str, annotations: dict, cpuset: str) -> tuple[list, int, tuple]:
    """One pod, one container that writes to both streams and exits 5, one exec."""
    cri = env.cri
    pod_id, pod_config = env.run_pod(handler, "rt", annotations)
    script = ("printf 'line one\\nno newline'; printf ' tail\\n'; echo 'to stderr' >&2; "
              "printf '\\001\\002\\377 binary\\n'; echo done; sleep 1; exit 5")
    cid = env.cri.create_container(pod_id, pod_config, "writer", TEST_IMAGE, ["sh", "-c", script], cpuset=cpuset,
                                   shares=1024, log_path="writer.log")
    cri.start(cid)
    isolated = env.isolcpus.entry(cid)
    exec_result = cri.exec_sync(cid, ["sh", "-c", "printf 'x\\ny'; echo e >&2; exit 9"])
    status = wait_exited(cri, cid)
    log = strip_cri_log(Path(status.log_path).read_bytes())
    cri.remove(cid)
    env.remove_pod(pod_id)
    return log, status.exit_code, (exec_result.stdout, exec_result.stderr, exec_result.exit_code, isolated)


def test_output_identical_to_plain_runc(env: Env):
    plain_log, plain_code, plain_exec = run_workload(env, "runc", {}, "1")
    wrapped_log, wrapped_code, wrapped_exec = run_workload(env, "isolcpus", OPT_IN, "1")
    assert plain_exec[3] is None
    assert wrapped_exec[3] is not None and wrapped_exec[3]["state"] == "isolated", \
        "the wrapped run was not isolated, so this compares nothing interesting"
    assert plain_code == wrapped_code == 5
    # Each stream byte for byte and in order; the interleaving of the two
    # streams is the kernel's (two pipes), not the runtime's.
    for stream in ("stdout", "stderr"):
        assert [c for s, c in plain_log if s == stream] == [c for s, c in wrapped_log if s == stream], stream
    assert ("stderr", b"F to stderr") in wrapped_log
    assert ("stdout", b"F \x01\x02\xff binary") in wrapped_log
    assert plain_exec[:3] == wrapped_exec[:3] == (b"x\ny", b"e\n", 9)
    assert env.isolcpus.entries() == []
