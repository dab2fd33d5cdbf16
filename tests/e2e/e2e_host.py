"""Host plumbing shared by the end-to-end tests: required packages, the
wrapper's config installed at its default path, the ledger, cpuset flags and
the cleanliness checks.

Why the default config path (/etc/runc-isolcpus/config.toml) and not
$RUNC_ISOLCPUS_CONFIG: the real callers do not hand the wrapper our
environment.  podman runs `kill` and `delete --force` with an environment of
its own making, and containerd's shim only forwards what containerd itself
was started with.  A config that reached `create` but not `delete` would leave
a ledger entry (and a cpuset flag) behind, which is exactly the failure these
tests exist to catch, so they use the path real nodes use.  The file is
installed for the test's duration under an exclusive lock, any file already
there is put back byte for byte afterwards, and RUNC_ISOLCPUS_CONFIG is
removed from every environment the tests start (it would win over the file).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import toml_value

DEFAULT_CONFIG = Path("/etc/runc-isolcpus/config.toml")
CPUSET_ROOT = Path("/sys/fs/cgroup/cpuset")
LOAD_BALANCE = "cpuset.sched_load_balance"
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOCK_FILE = Path("/run/runc-isolcpus-e2e.lock")
MARKER = "# installed by the runc-isolcpus end-to-end tests; removed when they end\n"

# What each test needs and the Debian package that provides it.  A missing one
# is a failure (scripts/setup installs them), never a skip.
BINARIES = {
    "containerd": "containerd",
    "ctr": "containerd",
    "containerd-shim-runc-v2": "containerd",
    "podman": "podman",
    "conmon": "conmon",
    "runc": "runc",
}
PY_MODULES = {"grpc": "python3-grpcio", "grpc_tools": "python3-grpc-tools", "google.protobuf": "python3-protobuf"}


def require(binaries=(), modules=()) -> dict[str, Path]:
    """Absolute paths of the named binaries; fails (not skips) when one is missing."""
    found, missing = {}, set()
    for name in binaries:
        path = shutil.which(name, path=SAFE_PATH)
        if path is None:
            missing.add(BINARIES[name])
        else:
            found[name] = Path(path)
    for module in modules:
        probe = subprocess.run(["/usr/bin/python3", "-c", f"import {module}"], capture_output=True)
        if probe.returncode != 0:
            missing.add(PY_MODULES[module])
    if missing:
        pytest.fail("missing packages for the end-to-end tests: apt-get install -y " + " ".join(sorted(missing)) +
                    " (scripts/setup installs them)")
    return found


def busybox_path() -> Path:
    path = Path("/bin/busybox")
    probe = subprocess.run(["ldd", str(path)], capture_output=True, text=True) if path.exists() else None
    if probe is None or "not a dynamic executable" not in probe.stdout + probe.stderr:
        pytest.fail("a static /bin/busybox is needed: apt-get install -y busybox-static")
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for daemons and clients: ours minus RUNC_ISOLCPUS_CONFIG."""
    env = {k: v for k, v in os.environ.items() if k != "RUNC_ISOLCPUS_CONFIG"}
    env["PATH"] = SAFE_PATH
    env.update(extra)
    return env


class Isolcpus:
    """The wrapper as installed for one test: its config at the default path,
    its own state dir (0700) and log file under the test's temp dir."""

    def __init__(self, tmp: Path, runtime: Path):
        self.tmp = tmp
        self.runtime = runtime
        self.state_dir = tmp / "isolcpus-state"
        self.log_file = tmp / "isolcpus.log"
        self.keys: dict = {}

    def configure(self, **overrides) -> None:
        """(Re)writes the config; every call starts from this host's baseline."""
        keys = {
            "runtime": str(self.runtime),
            "log_file": str(self.log_file),
            "log_level": "debug",
            "state_dir": str(self.state_dir),
            "mode": "annotation",
            "on_failure": "fail",
            # This host: cgroup v1, 2 CPUs, and the root flag must stay 1.
            "v1_manage_root_flag": False,
            "min_housekeeping_cpus": 1,
        }
        keys.update(overrides)
        self.keys = keys
        text = MARKER
        text += "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
        DEFAULT_CONFIG.parent.mkdir(parents=True, exist_ok=True)
        tmp = DEFAULT_CONFIG.with_name(".config.toml.e2e")
        tmp.write_text(text)
        os.replace(tmp, DEFAULT_CONFIG)

    def entries(self) -> list[dict]:
        path = self.state_dir / "ledger.json"
        if not path.exists():
            return []
        return json.loads(path.read_text()).get("entries", [])

    def entry(self, container_id: str) -> dict | None:
        matches = [e for e in self.entries() if e.get("container_id") == container_id]
        assert len(matches) <= 1, f"two ledger entries for {container_id}: {matches}"
        return matches[0] if matches else None

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def wait_for(self, predicate, what: str, timeout: float = 20.0):
        """Polls predicate() until truthy: some releases happen in a process the
        caller does not wait for (the shim's delete after a task exit)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; ledger: {self.entries()}\n"
                                     f"wrapper log tail:\n{self.log_text()[-3000:]}")
            time.sleep(0.2)


@contextlib.contextmanager
def installed_isolcpus(tmp: Path, runtime: Path, **overrides):
    """Installs the config for the duration of the block, serialised with every
    other end-to-end test on the host, and restores what was there before."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = DEFAULT_CONFIG.read_bytes() if DEFAULT_CONFIG.exists() else None
        if previous is not None and previous.startswith(MARKER.encode()):
            previous = None  # left by a killed run of these tests: not the operator's
        dir_existed = DEFAULT_CONFIG.parent.exists()
        root_flag = read_flag(CPUSET_ROOT)
        inst = Isolcpus(tmp, runtime)
        try:
            inst.configure(**overrides)
            yield inst
        finally:
            if previous is None:
                DEFAULT_CONFIG.unlink(missing_ok=True)
                if not dir_existed:
                    with contextlib.suppress(OSError):
                        DEFAULT_CONFIG.parent.rmdir()
            else:
                DEFAULT_CONFIG.write_bytes(previous)
            assert read_flag(CPUSET_ROOT) == root_flag, "the host's root cpuset.sched_load_balance changed"


def read_flag(cgroup_dir: Path) -> str:
    return (cgroup_dir / LOAD_BALANCE).read_text().strip()


def cpuset_flags() -> dict[str, str]:
    """sched_load_balance of every cpuset on the host, by path below the root."""
    flags = {}
    for flag_file in CPUSET_ROOT.rglob(LOAD_BALANCE):
        try:
            flags[str(flag_file.parent.relative_to(CPUSET_ROOT))] = flag_file.read_text().strip()
        except OSError:
            pass  # removed while we walked
    return flags


def changed_flags(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Cpusets present in both snapshots whose flag differs."""
    return {k: (before[k], after[k]) for k in before.keys() & after.keys() if before[k] != after[k]}


def remove_cgroup_tree(rel: str) -> None:
    """Removes an (empty) cgroup dir and its empty children in every v1 hierarchy."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        top = hierarchy / rel.strip("/")
        if not top.is_dir() or hierarchy.is_symlink():
            continue
        for d in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                d.rmdir()
        with contextlib.suppress(OSError):
            top.rmdir()


def leftover_cgroups(rel: str) -> list[str]:
    return [str(h / rel.strip("/")) for h in Path("/sys/fs/cgroup").iterdir()
            if not h.is_symlink() and (h / rel.strip("/")).is_dir()]


def mounts_under(prefix: Path) -> list[str]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount_point = line.split()[4].replace("\\040", " ")
        if mount_point == str(prefix) or mount_point.startswith(str(prefix) + "/"):
            found.append(mount_point)
    return found


def unmount_under(prefix: Path) -> None:
    for mount_point in sorted(mounts_under(prefix), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount_point], capture_output=True)


def pids_with_arg(needle: str) -> list[int]:
    """Processes whose argv contains needle (shims started for our daemon)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(needle.encode() in a for a in argv):
            pids.append(int(proc.name))
    return pids


def kill_pid(pid: int, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def strip_cri_log(text: bytes) -> list[tuple[str, bytes]]:
    """A CRI log file (`<RFC3339Nano> <stream> <P|F> <bytes>` lines) as
    (stream, bytes) pairs with the timestamps dropped: the two runs being
    compared differ only in when they ran."""
    out = []
    for line in text.split(b"\n"):
        if not line:
            continue
        _, stream, tag, content = (line.split(b" ", 3) + [b""])[:4]
        out.append((stream.decode(), tag + b" " + content))
    return out
