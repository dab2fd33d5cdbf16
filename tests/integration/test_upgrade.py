"""The ledger is a contract across versions: containers isolated by 0.1.0
are released (and decisions it recorded are carried out) by this version,
as after a package upgrade with containers running.  Real runc, this host's
cgroup v1.

0.1.0 is built from this repository's own history (the commit of the first
landing) into a cache; a clone without that history cannot run this test
and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lifecycle_support import Host, assert_isolated, assert_released
from lifecycle_support import host  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real runc and the host's cpuset tree")

OLD_SHORT = "2c90f80"  # 0.1.0: "Hook and wrapper share the decide step and the ledger entry"
CACHE = Path("/var/cache/runc-isolcpus-upgrade")


@pytest.fixture(scope="module")
def old_wrapper(source_dir: Path) -> Path:
    r = subprocess.run(["git", "-C", str(source_dir), "rev-parse", "--verify", "-q", OLD_SHORT + "^{commit}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"SKIPPED LOUDLY: the git history of 0.1.0 (commit {OLD_SHORT}) is not in {source_dir}; "
                    "clone without --depth to run the upgrade test")
    commit = r.stdout.strip()
    out = CACHE / commit
    binary = out / "build" / "runc-isolcpus"
    if binary.exists():
        return binary
    shutil.rmtree(out, ignore_errors=True)
    (out / "src").mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(source_dir), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(out / "src")], input=archive.stdout, check=True)
    subprocess.run(["cmake", "-S", str(out / "src"), "-B", str(out / "build"), "-DCMAKE_BUILD_TYPE=Release",
                    "-DISOLCPUS_TESTS=OFF"], check=True, capture_output=True)
    build = subprocess.run(["cmake", "--build", str(out / "build"), "-j", str(os.cpu_count() or 1), "--target",
                            "runc-isolcpus"], capture_output=True, text=True)
    assert build.returncode == 0, f"building 0.1.0 failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    return binary


def with_wrapper(h: Host, wrapper: Path) -> Host:
    h.wrapper = wrapper
    return h


def test_containers_isolated_by_0_1_are_released_after_the_upgrade(host: Host, old_wrapper: Path):
    new_wrapper = host.wrapper
    b = host.bundle("old1")
    with_wrapper(host, old_wrapper)
    host.ok("create", "--bundle", b, "old1")
    host.ok("start", "old1")
    assert_isolated(host, "old1")
    assert host.flag("old1") == 0
    assert "creator" not in host.entry("old1"), "0.1.0 does not write the 0.2 fields"
    with_wrapper(host, new_wrapper)  # the package upgrade: same state_dir, same containers
    status = subprocess.run([str(host.ctl), "--config", str(host.config), "status"], env=host.env(),
                            capture_output=True, text=True)
    assert "old1" in status.stdout
    host.ok("delete", "--force", "old1")
    assert_released(host, "old1")


def test_a_decision_recorded_by_0_1_is_carried_out_after_the_upgrade(host: Host, old_wrapper: Path):
    new_wrapper = host.wrapper
    b = host.bundle("old2")
    with_wrapper(host, old_wrapper)
    host.ok("create", "--bundle", b, "old2")
    assert host.entry("old2")["state"] == "decided"
    with_wrapper(host, new_wrapper)
    host.ok("start", "old2")
    assert_isolated(host, "old2")
    assert host.flag("old2") == 0
    host.ok("delete", "--force", "old2")
    assert_released(host, "old2")


def test_a_dead_container_of_0_1_is_given_back_by_the_new_reconcile(host: Host, old_wrapper: Path):
    new_wrapper = host.wrapper
    b = host.bundle("old3")
    with_wrapper(host, old_wrapper)
    host.ok("create", "--bundle", b, "old3")
    host.ok("start", "old3")
    assert host.flag("old3") == 0
    host.kill_init("old3")
    with_wrapper(host, new_wrapper)
    out = host.reconcile()
    assert out.returncode == 0 and b"released 1" in out.stdout, out
    assert host.entry("old3") is None
    assert host.flag("old3") == 1
