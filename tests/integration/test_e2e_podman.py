"""End to end through podman 4.3 (and conmon): `podman --runtime <wrapper>`.

podman has its own root, runroot and tmpdir under the test's temp dir, the
cgroupfs manager (no systemd here) and a busybox --rootfs.  The two --ulimit
flags are needed on these machines (root lacks CAP_SYS_RESOURCE).  podman
runs `kill` and `delete` with an environment of its own, so the wrapper's
config is at its default path (tests/e2e/e2e_host.py).

Covered: run/--rm/exit statuses, stdout and stderr byte-identical to plain
runc (with and without -t, i.e. through the console socket), exec and exec -t,
isolation of an opted-in container and its release on stop, `podman update
--cpuset-cpus` reaching the wrapper, and a policy refusal reaching podman's
error in the wrapper's words, both through runc's stderr (the wrapper's own
name) and through `--log` (podman passes it only to a runtime named runc).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e_host import (CPUSET_ROOT, busybox_path, clean_env, installed_isolcpus, leftover_cgroups,  # noqa: E402
                  mounts_under, read_flag, remove_cgroup_tree, require, unmount_under)
from e2e_image import make_rootfs  # noqa: E402

OPT_IN = ["--annotation", "cpu-load-balancing.crio.io=disable"]
PODMAN_RUNC_ROOT = "/run/runc"  # podman's --root for runc
CGROUP_PARENT = "libpod_parent"  # podman's parent with the cgroupfs manager


class Env:
    def __init__(self, base: Path, wrapper: Path, runc: Path, rootfs: Path, isolcpus):
        self.base = base
        self.wrapper = wrapper
        self.runc = runc
        self.rootfs = rootfs
        self.isolcpus = isolcpus

    def podman(self, runtime: Path, *args, timeout=90, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("capture_output", True)
        kw.setdefault("stdin", subprocess.DEVNULL)
        cmd = ["podman", "--root", str(self.base / "root"), "--runroot", str(self.base / "runroot"),
               "--tmpdir", str(self.base / "tmp"), "--runtime", str(runtime), "--cgroup-manager", "cgroupfs",
               "--events-backend", "none", *args]
        return subprocess.run(cmd, env=clean_env(), timeout=timeout, **kw)

    def run_flags(self, cpus="1", extra=()) -> list[str]:
        return ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--cpuset-cpus", cpus, "--cpu-shares", "1024", *extra, "--rootfs", str(self.rootfs)]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    found = require(binaries=("podman", "conmon", "runc"))
    wrapper = Path(os.environ.get("ISOLCPUS_WRAPPER", ""))
    if not wrapper.is_file():
        pytest.fail("ISOLCPUS_WRAPPER is not set to the built runc-isolcpus: run through ctest")
    base = tmp_path_factory.mktemp("podman")
    rootfs = make_rootfs(base / "rootfs", busybox_path())
    parent_existed = bool(leftover_cgroups(CGROUP_PARENT))
    with installed_isolcpus(base, found["runc"]) as isolcpus:
        e = Env(base, wrapper.resolve(), found["runc"], rootfs, isolcpus)
        try:
            yield e
        finally:
            left = e.podman(found["runc"], "ps", "-a", "-q").stdout.decode().split()
            for cid in left:
                e.podman(found["runc"], "rm", "-f", "-t", "0", cid)
            e.podman(found["runc"], "system", "prune", "-f")
            unmount_under(base)
            if not parent_existed:
                remove_cgroup_tree(CGROUP_PARENT)
            entries = isolcpus.entries()
        assert not left, f"containers left behind: {left}"
        assert not mounts_under(base), f"mounts left: {mounts_under(base)}"
        assert entries == [], f"ledger entries left behind: {entries}"


def cid_from(path: Path) -> str:
    return path.read_text().strip()


@pytest.mark.parametrize("status", [0, 7])
def test_run_rm_status_and_output_match_runc(env: Env, status: int):
    script = f"printf 'out\\n\\001\\377'; echo err >&2; printf 'last'; exit {status}"
    results = {}
    for name, runtime in (("plain", env.runc), ("wrapped", env.wrapper)):
        cidfile = env.base / f"{name}-{status}-{uuid.uuid4().hex[:6]}.cid"
        results[name] = env.podman(runtime, "run", "--rm", "--cidfile", str(cidfile),
                                   *env.run_flags(extra=OPT_IN), "sh", "-c", script)
        results[name + "-id"] = cid_from(cidfile)
    plain, wrapped = results["plain"], results["wrapped"]
    assert wrapped.returncode == status, wrapped.stderr
    assert (wrapped.returncode, wrapped.stdout, wrapped.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert wrapped.stdout == b"out\n\x01\xfflast" and wrapped.stderr == b"err\n"
    log = env.isolcpus.log_text()
    assert f"isolated CPUs 1 of container {results['wrapped-id']}" in log, "the wrapped run was not isolated"
    assert f"released CPUs 1 of container {results['wrapped-id']}" in log
    assert env.isolcpus.entries() == []
    assert env.podman(env.runc, "ps", "-a", "-q").stdout == b"", "--rm left a container"


def test_tty_run_matches_runc(env: Env):
    """-t: runc gets --console-socket; conmon relays the pty."""
    script = "tty; printf 'a\\nb'; exit 3"
    plain = env.podman(env.runc, "run", "--rm", "-t", *env.run_flags(extra=OPT_IN), "sh", "-c", script)
    wrapped = env.podman(env.wrapper, "run", "--rm", "-t", *env.run_flags(extra=OPT_IN), "sh", "-c", script)
    assert wrapped.returncode == plain.returncode == 3, wrapped.stderr
    assert wrapped.stdout == plain.stdout
    assert wrapped.stdout.startswith(b"/dev/pts/") and wrapped.stdout.endswith(b"\r\na\r\nb"), wrapped.stdout
    assert env.isolcpus.entries() == []


def test_detached_isolation_exec_update_stop(env: Env):
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    started = env.podman(env.wrapper, "run", "-d", "--name", name, *env.run_flags(extra=OPT_IN),
                         "sleep", "100000")
    assert started.returncode == 0, started.stderr
    cid = started.stdout.decode().strip()
    try:
        entry = env.isolcpus.entry(cid)
        assert entry is not None and entry["state"] == "isolated" and entry["cpus"] == "1", entry
        assert entry["runc_root"] == PODMAN_RUNC_ROOT
        cpuset_dir = CPUSET_ROOT / CGROUP_PARENT / f"libpod-{cid}"
        assert read_flag(cpuset_dir) == "0"

        done = env.podman(env.wrapper, "exec", name, "sh", "-c", "echo from-exec; echo e >&2; exit 4")
        assert (done.returncode, done.stdout, done.stderr) == (4, b"from-exec\n", b"e\n")
        tty = env.podman(env.wrapper, "exec", "-t", name, "sh", "-c", "tty; exit 2")
        assert tty.returncode == 2 and tty.stdout.startswith(b"/dev/pts/") and tty.stdout.endswith(b"\r\n"), tty

        # podman 4.3 has `update`: it hands runc the resources as a file.
        updated = env.podman(env.wrapper, "update", "--cpuset-cpus", "0", name)
        assert updated.returncode == 0, updated.stderr
        entry = env.isolcpus.entry(cid)
        assert entry is not None and entry["cpus"] == "0" and entry["state"] == "isolated", entry
        assert (cpuset_dir / "cpuset.cpus").read_text().strip() == "0"
        assert read_flag(cpuset_dir) == "0"

        stopped = env.podman(env.wrapper, "stop", "-t", "0", name)
        assert stopped.returncode == 0, stopped.stderr
        env.isolcpus.wait_for(lambda: env.isolcpus.entry(cid) is None, f"the release of {cid} after podman stop")
        assert env.podman(env.wrapper, "rm", name).returncode == 0
    finally:
        env.podman(env.wrapper, "rm", "-f", "-t", "0", name)
    assert not (Path(PODMAN_RUNC_ROOT) / cid).exists(), "runc still has state for the removed container"
    assert not cpuset_dir.exists()
    assert env.isolcpus.entries() == []


@pytest.mark.parametrize("via", ["stderr", "log"])
def test_refusal_reaches_podman(env: Env, via: str):
    """The wrapper under its own name: podman shows runc's stderr.  Installed
    as `runc`: podman passes --log and shows the log's error line."""
    runtime = env.wrapper
    if via == "log":
        link_dir = env.base / "as-runc"
        link_dir.mkdir(exist_ok=True)
        runtime = link_dir / "runc"
        if not runtime.is_symlink():
            runtime.symlink_to(env.wrapper)
    env.isolcpus.configure(allowed_namespaces=["rt"])
    try:
        ns = ["--annotation", "io.kubernetes.pod.namespace=denied"]
        refused = env.podman(runtime, "run", "--rm", *env.run_flags(extra=OPT_IN + ns), "true")
        assert refused.returncode != 0
        assert b'namespace "denied" is not in allowed_namespaces [rt]' in refused.stderr, refused.stderr
        allowed = ["--annotation", "io.kubernetes.pod.namespace=rt"]
        ok = env.podman(runtime, "run", "--rm", *env.run_flags(extra=OPT_IN + allowed), "echo", "ok")
        assert (ok.returncode, ok.stdout) == (0, b"ok\n"), ok.stderr
    finally:
        env.isolcpus.configure()
    assert env.podman(env.runc, "ps", "-a", "-q").stdout == b""
    assert env.isolcpus.entries() == []
