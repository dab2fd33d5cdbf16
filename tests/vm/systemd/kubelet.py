"""A kubelet-like CRI driver: the habits of the kubelet with the systemd
cgroup driver and the static CPU manager, over containerd's CRI socket.

- QoS slices kubepods.slice, kubepods-burstable.slice and
  kubepods-besteffort.slice, and one slice per pod
  (kubepods[-<qos>]-pod<uid>.slice, dashes of the uid as underscores) with
  the pod's CPU weight (and quota for Guaranteed pods), made as transient
  units over D-Bus before the sandbox, as the kubelet does; the pod's
  cgroup_parent is the slice's name.
- A Guaranteed pod's containers get whole CPUs; the shared pool shrinks by
  them and every other container is updated (UpdateContainerResources).
- reconcile_round(): the CPU manager's loop, every container updated with the
  cpuset it already has.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from e2e_cri import Cri

SOCKET = "/run/containerd/containerd.sock"
STUBS = Path("/opt/isolvm/stubs")
IMAGE = "localhost/isolvm/busybox:1"
QOS_SLICES = ("kubepods.slice", "kubepods-burstable.slice", "kubepods-besteffort.slice")


def start_transient_slice(name: str, props: list[tuple[str, str, str]]) -> None:
    """systemd's StartTransientUnit, the call the kubelet makes through
    go-systemd: props are (name, D-Bus signature, value).  A slice that is
    already active is left as it is (the kubelet restarted)."""
    if subprocess.run(["systemctl", "is-active", name], capture_output=True, text=True).stdout.strip() == "active":
        return
    args = ["busctl", "call", "--timeout=60", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", name, "replace",
            str(len(props))]
    for key, sig, value in props:
        args += [key, sig, value]
    args += ["0"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=90)
    if r.returncode != 0 and "already exists" not in r.stderr:
        raise RuntimeError(f"StartTransientUnit {name}: {r.stderr.strip()}")
    # The job is asynchronous: wait until the slice is active.
    for _ in range(100):
        state = subprocess.run(["systemctl", "is-active", name], capture_output=True, text=True).stdout.strip()
        if state == "active":
            return
        time.sleep(0.1)
    raise RuntimeError(f"slice {name} did not become active")


@dataclass
class Container:
    id: str
    name: str
    cpuset: str
    shares: int


@dataclass
class Pod:
    id: str
    uid: str
    qos: str
    slice: str
    config: object
    handler: str
    containers: list[Container] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)


class Kubelet:
    def __init__(self, base: Path, online: str = "0-3"):
        self.base = base
        self.online = online
        self.cri = self.connect()
        self.pods: list[Pod] = []

    @staticmethod
    def connect() -> Cri:
        deadline = time.monotonic() + 60
        while not Path(SOCKET).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{SOCKET} never appeared")
            time.sleep(0.2)
        return Cri(SOCKET, STUBS, generate=False)

    def reconnect(self) -> None:
        """After `systemctl restart containerd`."""
        self.cri.close()
        self.cri = self.connect()
        deadline = time.monotonic() + 60
        while True:
            try:
                self.cri.version()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def start(self) -> None:
        for qos in QOS_SLICES:
            start_transient_slice(qos, [("Description", "s", f"kubelet QoS slice {qos}")])

    def run_pod(self, name: str, qos: str, handler: str, annotations: dict, cpus: int = 0) -> Pod:
        uid = str(uuid.uuid4())
        escaped = uid.replace("-", "_")
        slice_name = f"kubepods-pod{escaped}.slice" if qos == "guaranteed" else f"kubepods-{qos}-pod{escaped}.slice"
        # The kubelet's shares (1024 per CPU requested, 102 for a small
        # burstable request) mapped to cgroup v2's weight as it maps them.
        shares = cpus * 1024 if cpus else 2 if qos == "besteffort" else 102
        props = [("CPUWeight", "t", str(1 + ((shares - 2) * 9999) // 262142))]
        if qos == "guaranteed":
            props.append(("CPUQuotaPerSecUSec", "t", str(cpus * 1_000_000)))
        start_transient_slice(slice_name, props)
        log_dir = self.base / uid
        log_dir.mkdir(parents=True)
        config = self.cri.sandbox_config(name, "isolvm", uid, annotations, log_dir, cgroup_parent=slice_name)
        pod_id = self.cri.run_pod(config, handler)
        pod = Pod(pod_id, uid, qos, slice_name, config, handler)
        self.pods.append(pod)
        return pod

    def add_container(self, pod: Pod, name: str, cpuset: str, shares: int,
                      command: list[str] | None = None, quota: int = 0) -> Container:
        # A restart is a new container with the next attempt number.
        attempt = pod.attempts.get(name, -1) + 1
        pod.attempts[name] = attempt
        cid = self.cri.create_container(pod.id, pod.config, name, IMAGE, command or ["sleep", "2000000000"],
                                        cpuset=cpuset, shares=shares, log_path=f"{name}-{attempt}.log",
                                        attempt=attempt, quota=quota)
        self.cri.start(cid)
        c = Container(cid, name, cpuset, shares)
        pod.containers.append(c)
        return c

    def shared_pool_to(self, cpuset: str, but: Pod | None = None) -> None:
        """The static policy took CPUs: every shared container shrinks."""
        for pod in self.pods:
            if pod is but or pod.qos == "guaranteed":
                continue
            for c in pod.containers:
                c.cpuset = cpuset
                self.cri.update_cpuset(c.id, cpuset, c.shares)

    def reconcile_round(self) -> int:
        """The CPU manager's reconcile loop: unchanged cpusets, every container."""
        n = 0
        for pod in self.pods:
            for c in pod.containers:
                self.cri.update_cpuset(c.id, c.cpuset, c.shares)
                n += 1
        return n

    def wait_exited(self, c: Container, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while True:
            st = self.cri.status(c.id)
            if st.state == self.cri.pb.CONTAINER_EXITED:
                return st.exit_code
            if time.monotonic() > deadline:
                raise RuntimeError(f"container {c.id[:12]} did not exit within {timeout}s")
            time.sleep(0.2)

    def remove_container(self, pod: Pod, c: Container) -> None:
        """The kubelet's garbage collection of an exited container."""
        self.cri.stop(c.id)
        self.cri.remove(c.id)
        pod.containers.remove(c)

    def remove_pod(self, pod: Pod) -> None:
        for c in pod.containers:
            self.cri.stop(c.id)
            self.cri.remove(c.id)
        self.cri.stop_pod(pod.id)
        self.cri.remove_pod(pod.id)
        self.pods.remove(pod)
        subprocess.run(["systemctl", "stop", pod.slice], capture_output=True, timeout=60)

    def scope_of(self, c: Container, pod: Pod) -> str:
        """The container's cgroup under the systemd driver, relative to the mount."""
        parts = pod.slice[: -len(".slice")].split("-")
        slices = ["-".join(parts[: i + 1]) + ".slice" for i in range(len(parts))]
        return "/".join(slices + [f"cri-containerd-{c.id}.scope"])
