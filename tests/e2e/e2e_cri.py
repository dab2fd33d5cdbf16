"""A CRI client over python grpc, from tests/e2e/cri.proto.

The stubs are generated at test time into a temp dir (never committed): the
.proto is the source of truth and the generated code follows the installed
grpc_tools.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

PROTO = Path(__file__).resolve().with_name("cri.proto")


def generate_stubs(out_dir: Path):
    """Runs protoc on cri.proto; returns the (messages, services) modules."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["/usr/bin/python3", "-m", "grpc_tools.protoc", f"-I{PROTO.parent}", f"--python_out={out_dir}",
         f"--grpc_python_out={out_dir}", str(PROTO)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"grpc_tools.protoc failed on {PROTO}:\n{result.stderr}")
    return load_stubs(out_dir)


def load_stubs(out_dir: Path):
    """The (messages, services) modules protoc wrote into out_dir (the
    systemd guest has no protoc: tests/vm/build-systemd-initramfs runs it)."""
    sys.path.insert(0, str(out_dir))
    try:
        pb2 = importlib.import_module("cri_pb2")
        grpc_mod = importlib.import_module("cri_pb2_grpc")
    finally:
        sys.path.remove(str(out_dir))
    return pb2, grpc_mod


class Cri:
    """Thin calls with kubelet's shapes; every call has a deadline."""

    def __init__(self, address: str, stub_dir: Path, timeout: float = 60.0, generate: bool = True):
        import grpc

        self.grpc = grpc
        self.pb, services = generate_stubs(stub_dir) if generate else load_stubs(stub_dir)
        self.channel = grpc.insecure_channel("unix://" + address)
        self.rt = services.RuntimeServiceStub(self.channel)
        self.timeout = timeout

    def close(self) -> None:
        self.channel.close()

    def version(self):
        return self.rt.Version(self.pb.VersionRequest(version="v1"), timeout=self.timeout)

    def sandbox_config(self, name: str, namespace: str, uid: str, annotations: dict, log_dir: Path,
                       cgroup_parent: str):
        pb = self.pb
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace=namespace, attempt=0),
            # Host network: no CNI needed; then the pod must not set a hostname.
            log_directory=str(log_dir),
            annotations=annotations,
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=cgroup_parent,
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD))),
        )

    def run_pod(self, config, handler: str) -> str:
        return self.rt.RunPodSandbox(self.pb.RunPodSandboxRequest(config=config, runtime_handler=handler),
                                     timeout=self.timeout).pod_sandbox_id

    def stop_pod(self, pod_id: str) -> None:
        self.rt.StopPodSandbox(self.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=self.timeout)

    def remove_pod(self, pod_id: str) -> None:
        self.rt.RemovePodSandbox(self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=self.timeout)

    def list_pods(self):
        return self.rt.ListPodSandbox(self.pb.ListPodSandboxRequest(), timeout=self.timeout).items

    def list_containers(self, pod_id: str):
        request = self.pb.ListContainersRequest(filter=self.pb.ContainerFilter(pod_sandbox_id=pod_id))
        return self.rt.ListContainers(request, timeout=self.timeout).containers

    def create_container(self, pod_id: str, sandbox_config, name: str, image: str, command: list[str],
                         cpuset: str, shares: int, log_path: str, annotations: dict | None = None,
                         attempt: int = 0, quota: int = 0) -> str:
        pb = self.pb
        # The kubelet's CFS limit for a container with a CPU limit: quota per 100 ms period.
        limit = {"cpu_period": 100000, "cpu_quota": quota} if quota else {}
        config = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=pb.ImageSpec(image=image),
            command=command,
            log_path=log_path,
            annotations=annotations or {},
            linux=pb.LinuxContainerConfig(
                resources=pb.LinuxContainerResources(cpu_shares=shares, cpuset_cpus=cpuset, **limit),
                security_context=pb.LinuxContainerSecurityContext(
                    namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD))),
        )
        return self.rt.CreateContainer(
            pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=config, sandbox_config=sandbox_config),
            timeout=self.timeout).container_id

    def start(self, cid: str) -> None:
        self.rt.StartContainer(self.pb.StartContainerRequest(container_id=cid), timeout=self.timeout)

    def stop(self, cid: str, grace: int = 0) -> None:
        self.rt.StopContainer(self.pb.StopContainerRequest(container_id=cid, timeout=grace), timeout=self.timeout)

    def remove(self, cid: str) -> None:
        self.rt.RemoveContainer(self.pb.RemoveContainerRequest(container_id=cid), timeout=self.timeout)

    def status(self, cid: str):
        return self.rt.ContainerStatus(self.pb.ContainerStatusRequest(container_id=cid),
                                       timeout=self.timeout).status

    def update_cpuset(self, cid: str, cpuset: str, shares: int) -> None:
        pb = self.pb
        self.rt.UpdateContainerResources(
            pb.UpdateContainerResourcesRequest(
                container_id=cid, linux=pb.LinuxContainerResources(cpu_shares=shares, cpuset_cpus=cpuset)),
            timeout=self.timeout)

    def exec_sync(self, cid: str, cmd: list[str], timeout_s: int = 20):
        return self.rt.ExecSync(self.pb.ExecSyncRequest(container_id=cid, cmd=cmd, timeout=timeout_s),
                                timeout=self.timeout)
