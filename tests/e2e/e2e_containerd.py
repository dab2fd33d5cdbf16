"""A private containerd for one test: its own root, state, sockets and config
under a temp dir, started in the background and torn down by PID.

Teardown leaves the host as it was: every task and container it ran is
deleted (through the wrapper where possible, plain runc as the last resort),
its shims and the daemon are stopped by PID, and nothing stays mounted under
the temp dir.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

from e2e_host import SAFE_PATH, clean_env, kill_pid, mounts_under, pids_with_arg, unmount_under

DISABLED_PLUGINS = [
    # /opt/containerd and the snapshotters this host cannot have: keep the
    # daemon from touching anything outside its temp dir.
    "io.containerd.internal.v1.opt",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.tracing.processor.v1.otlp",
]

SANDBOX_IMAGE = "localhost/isolcpus-e2e/pause:1"
TEST_IMAGE = "localhost/isolcpus-e2e/busybox:1"
RUN_DIR = Path("/run/containerd")


def remove_empty_tree(top: Path) -> None:
    """Removes top and its subdirectories if they are all empty."""
    if not top.is_dir():
        return
    for d in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            d.rmdir()
    with contextlib.suppress(OSError):
        top.rmdir()


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cri_section(base: Path, handler_snippet: str) -> str:
    """The one drop-in that carries the whole CRI plugin section.

    containerd 1.6/1.7 merge `imports` plugin by plugin, replacing a plugin's
    whole section (containerd/containerd#5837), so the packaged handler
    snippet is appended to a complete CRI section rather than imported alone.
    `runtimes.runc` is declared explicitly: declaring only a custom runtime
    leaves the CRI plugin without its default and it does not load.
    """
    return f"""version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = {toml_str(SANDBOX_IMAGE)}
  # root lacks CAP_SYS_RESOURCE on these machines
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = {toml_str(str(base / "cni-bin"))}
    conf_dir = {toml_str(str(base / "cni-conf"))}

# ---- packaging/containerd snippet ----
{handler_snippet}
"""


class Containerd:
    def __init__(self, base: Path):
        self.base = base
        self.root = base / "root"
        self.state = base / "state"
        self.address = str(base / "containerd.sock")
        self.config = base / "config.toml"
        self.log = base / "containerd.log"
        self.proc: subprocess.Popen | None = None
        # The shim keeps runc's state under /run/containerd/runc/<namespace>
        # whatever our state dir is; remember what to tidy up.
        self.run_dir_existed = RUN_DIR.exists()

    def write_config(self, cri_dropin: str | None) -> None:
        """cri_dropin: the imported CRI section, or None to run without the CRI plugin."""
        for d in (self.root, self.state, self.base / "cni-bin", self.base / "cni-conf"):
            d.mkdir(parents=True, exist_ok=True)
        disabled_plugins = list(DISABLED_PLUGINS)
        imports = []
        if cri_dropin is None:
            disabled_plugins.append("io.containerd.grpc.v1.cri")
        else:
            dropin = self.base / "cri-isolcpus.toml"
            dropin.write_text(cri_dropin)
            imports.append(toml_str(str(dropin)))
        disabled = ", ".join(toml_str(p) for p in disabled_plugins)
        self.config.write_text(f"""version = 2
root = {toml_str(str(self.root))}
state = {toml_str(str(self.state))}
imports = [{", ".join(imports)}]
disabled_plugins = [{disabled}]

[grpc]
  address = {toml_str(self.address)}

[ttrpc]
  address = {toml_str(self.address + ".ttrpc")}

[debug]
  level = "info"
""")

    def start(self, timeout: float = 30.0) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["containerd", "--config", str(self.config)], stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, env=clean_env(), cwd=self.base,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"containerd exited with {self.proc.returncode}:\n{self.log_tail()}")
            if os.path.exists(self.address) and self.ctr("version", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"containerd did not answer on {self.address} within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def ctr(self, *args, namespace: str = "default", check: bool = True, timeout: float = 120,
            **kw) -> subprocess.CompletedProcess:
        kw.setdefault("capture_output", True)
        kw.setdefault("stdin", subprocess.DEVNULL)
        result = subprocess.run(["ctr", "--address", self.address, "--namespace", namespace, *args],
                                env=clean_env(), timeout=timeout, **kw)
        if check and result.returncode != 0:
            raise AssertionError(f"ctr {' '.join(args)} failed ({result.returncode}): {result.stderr!r}\n"
                                 f"containerd log:\n{self.log_tail()}")
        return result

    def import_image(self, archive: Path, namespace: str) -> None:
        self.ctr("image", "import", "--all-platforms", str(archive), namespace=namespace)

    # -- teardown ---------------------------------------------------------

    def task_dirs(self) -> list[tuple[str, str]]:
        """(namespace, id) of every container the shims still hold a bundle for."""
        tasks = self.state / "io.containerd.runtime.v2.task"
        if not tasks.is_dir():
            return []
        return [(ns.name, c.name) for ns in tasks.iterdir() if ns.is_dir() for c in ns.iterdir()]

    def shim_pids(self) -> list[int]:
        return [p for p in pids_with_arg(self.address) if p != (self.proc.pid if self.proc else -1)]

    def stop(self, runc: Path, namespaces=("k8s.io",)) -> list[str]:
        """Tears everything down; returns what had to be forced (for the report)."""
        forced = []
        if self.proc is not None and self.proc.poll() is None:
            for ns in namespaces:
                listed = self.ctr("task", "ls", "-q", namespace=ns, check=False).stdout.decode().split()
                for task in listed:
                    self.ctr("task", "kill", "-s", "SIGKILL", task, namespace=ns, check=False)
                    self.ctr("task", "delete", "--force", task, namespace=ns, check=False)
                    forced.append(f"task {ns}/{task}")
                for c in self.ctr("container", "ls", "-q", namespace=ns, check=False).stdout.decode().split():
                    self.ctr("container", "rm", c, namespace=ns, check=False)
        for ns, cid in self.task_dirs():
            root = f"/run/containerd/runc/{ns}"
            if (Path(root) / cid).exists():
                subprocess.run([str(runc), "--root", root, "delete", "--force", cid], capture_output=True,
                               env={"PATH": SAFE_PATH}, timeout=60)
                forced.append(f"runc container {ns}/{cid}")
        if self.proc is not None:
            kill_pid(self.proc.pid)
            self.proc.wait(timeout=30)
        for pid in self.shim_pids():
            kill_pid(pid)
            forced.append(f"shim pid {pid}")
        unmount_under(self.base)
        if not self.run_dir_existed:
            remove_empty_tree(RUN_DIR)
        assert not mounts_under(self.base), f"mounts left under {self.base}: {mounts_under(self.base)}"
        assert not self.shim_pids(), f"shims left running: {self.shim_pids()}"
        return forced
