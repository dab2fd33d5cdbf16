"""Shared fixtures for the integration tests.

ctest sets ISOLCPUS_WRAPPER (the built runc-isolcpus), ISOLCPUS_FAKE_RUNTIME
(the recording fake runc, tests/fakes/fake_runtime) and ISOLCPUS_SOURCE_DIR.
Run by hand with the same variables, e.g.

    ISOLCPUS_WRAPPER=build/runc-isolcpus \
    ISOLCPUS_FAKE_RUNTIME=build/tests/fake_runtime \
    /usr/bin/python3 -m pytest -v tests/integration
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

# The wrapper's fallback search order (include/isolcpus/locate_runtime.hpp).
SAFE_RUNTIME_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _required_binary(var: str) -> Path:
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"{var} is not set: run through ctest, or export it to the built binary's path")
    path = Path(value).resolve()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{var}={value} is not an executable file: build it first")
    return path


# ---------------------------------------------------------------------------
# The sanitizer build (ctest label `sanitize`, tests/CMakeLists.txt) sets
# ISOLCPUS_SANITIZER_REPORTS: every sanitizer report of every process (the
# wrapper's detached children too, whose stderr nobody reads) is a file
# there, and any such file fails the session.  ISOLCPUS_FAIL_ON_SKIP turns a
# skip into a failure there, so a missing tool cannot pass unseen.


def pytest_sessionstart(session):
    reports = os.environ.get("ISOLCPUS_SANITIZER_REPORTS")
    if reports:
        shutil.rmtree(reports, ignore_errors=True)
        Path(reports).mkdir(parents=True)


def pytest_sessionfinish(session, exitstatus):
    reports = os.environ.get("ISOLCPUS_SANITIZER_REPORTS")
    found = sorted(Path(reports).iterdir()) if reports and Path(reports).is_dir() else []
    for report in found:
        print(f"\n==== sanitizer report {report} ====\n{report.read_text(errors='replace')}")
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("ISOLCPUS_FAIL_ON_SKIP") and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, and skips fail the sanitizer run: {report.longrepr}"


@pytest.fixture(scope="session")
def wrapper() -> Path:
    return _required_binary("ISOLCPUS_WRAPPER")


@pytest.fixture(scope="session")
def fake_runtime() -> Path:
    return _required_binary("ISOLCPUS_FAKE_RUNTIME")


@pytest.fixture(scope="session")
def source_dir() -> Path:
    value = os.environ.get("ISOLCPUS_SOURCE_DIR")
    return Path(value) if value else Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------
# The fake runtime's record (format documented in fake_runtime.c)


@dataclasses.dataclass
class Record:
    argv: list[bytes]
    env: list[bytes]
    cwd: bytes
    pid: int
    ppid: int
    fds: dict[int, bytes]
    sigmask: set[int]
    disp: dict[str, str]
    stdin: bytes | None

    @property
    def env_dict(self) -> dict[bytes, bytes]:
        return dict(e.split(b"=", 1) if b"=" in e else (e, b"") for e in self.env)


def parse_record(path: Path) -> Record:
    if not path.exists():
        raise AssertionError(f"the fake runtime left no record at {path}: it was not exec'd")
    rec = Record([], [], b"", -1, -1, {}, set(), {}, None)
    complete = False
    for line in path.read_text().splitlines():
        key, _, rest = line.partition(" ")
        if key == "argv":
            rec.argv.append(bytes.fromhex(rest))
        elif key == "env":
            rec.env.append(bytes.fromhex(rest))
        elif key == "cwd":
            rec.cwd = bytes.fromhex(rest)
        elif key == "pid":
            rec.pid = int(rest)
        elif key == "ppid":
            rec.ppid = int(rest)
        elif key == "fd":
            fd, _, target = rest.partition(" ")
            rec.fds[int(fd)] = bytes.fromhex(target)
        elif key == "sigmask":
            rec.sigmask.add(int(rest))
        elif key == "disp":
            name, _, how = rest.partition(" ")
            rec.disp[name] = how
        elif key == "stdin":
            rec.stdin = bytes.fromhex(rest)
        elif key == "end":
            complete = True
    assert complete, f"truncated record {path}"
    return rec


# ---------------------------------------------------------------------------
# A wrapper configured to exec the fake


def toml_value(value) -> str:
    """A config value in TOML: bool, int, list, or anything else as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string literal is a valid TOML basic string


@dataclasses.dataclass
class PassthruSetup:
    wrapper: Path
    fake: Path
    tmp: Path
    config: Path
    record: Path
    log_file: Path
    state_dir: Path

    def base_env(self) -> dict[bytes, bytes]:
        """The environment a caller would have, plus what the test plumbing needs."""
        env = {k.encode(): v.encode() for k, v in os.environ.items() if not k.startswith("FAKE_RUNTIME_")}
        # A shell between the test and the wrapper (the mount-namespace tests)
        # rewrites a stale PWD (ctest chdirs without updating it): keep it true.
        env[b"PWD"] = os.fsencode(os.getcwd())
        env[b"RUNC_ISOLCPUS_CONFIG"] = bytes(self.config)
        env[b"FAKE_RUNTIME_RECORD"] = bytes(self.record)
        return env

    def run(self, args: list, *, env=None, extra_env=None, **kwargs) -> subprocess.CompletedProcess:
        """Runs the wrapper with argv[1..] = args (str or bytes); returns the completed process."""
        if self.record.exists():
            self.record.unlink()
        full_env = self.base_env() if env is None else env
        if extra_env:
            full_env = {**full_env, **{_b(k): _b(v) for k, v in extra_env.items()}}
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("timeout", 30)
        return subprocess.run([bytes(self.wrapper), *[_b(a) for a in args]], env=full_env, **kwargs)

    def record_data(self) -> Record:
        return parse_record(self.record)


def _b(value) -> bytes:
    return value if isinstance(value, bytes) else os.fsencode(str(value))


def write_config(path: Path, **keys) -> Path:
    path.write_text("".join(f"{key} = {toml_value(value)}\n" for key, value in keys.items()))
    return path


@pytest.fixture
def passthru(tmp_path: Path, wrapper: Path, fake_runtime: Path) -> PassthruSetup:
    """The wrapper with a config whose `runtime` is the recording fake.

    Every path the wrapper might write (its log, its state dir) is inside
    tmp_path, and mode = "never" keeps it off the host's cgroups.
    """
    config = write_config(
        tmp_path / "config.toml",
        runtime=fake_runtime,
        log_file=tmp_path / "wrapper.log",
        state_dir=tmp_path / "state",
        mode="never",
    )
    return PassthruSetup(
        wrapper=wrapper,
        fake=fake_runtime,
        tmp=tmp_path,
        config=config,
        record=tmp_path / "record.txt",
        log_file=tmp_path / "wrapper.log",
        state_dir=tmp_path / "state",
    )


# ---------------------------------------------------------------------------
# Real runc and busybox bundles


def first_runc_on_safe_path(exclude: Path | None = None) -> Path:
    """The runc the wrapper finds by itself: the first in its safe directory list."""
    for d in SAFE_RUNTIME_DIRS:
        candidate = Path(d) / "runc"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            if exclude is not None and os.path.samefile(candidate, exclude):
                continue
            return candidate
    pytest.fail("no runc in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin: apt-get install -y runc")


@pytest.fixture(scope="session")
def real_runc() -> Path:
    return first_runc_on_safe_path()


@pytest.fixture(scope="session")
def busybox() -> Path:
    path = Path("/bin/busybox")
    if not path.is_file():
        pytest.fail("/bin/busybox missing: apt-get install -y busybox-static")
    probe = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
    if "not a dynamic executable" not in (probe.stdout + probe.stderr):
        pytest.fail("/bin/busybox is dynamically linked: apt-get install -y busybox-static")
    return path


def make_busybox_bundle(bundle: Path, busybox: Path, runc: Path, args=("sleep", "1000"),
                        cpus: str | None = None, mems: str | None = None, shares: int | None = None,
                        annotations: dict | None = None, cgroups_path: str | None = None) -> Path:
    """An OCI bundle with a static busybox rootfs, from `runc spec`."""
    rootfs = bundle / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    for d in ("proc", "sys", "dev", "tmp", "etc"):
        (rootfs / d).mkdir()
    shutil.copy2(busybox, rootfs / "bin" / "busybox")
    for applet in ("sh", "sleep", "cat", "ls", "ps", "true", "false", "echo"):
        (rootfs / "bin" / applet).symlink_to("busybox")
    subprocess.run([str(runc), "spec", "--bundle", str(bundle)], check=True, capture_output=True)
    config_path = bundle / "config.json"
    spec = json.loads(config_path.read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = list(args)
    spec["process"].pop("rlimits", None)  # no CAP_SYS_RESOURCE on this host
    if cpus is not None or mems is not None or shares is not None:
        cpu = spec["linux"].setdefault("resources", {}).setdefault("cpu", {})
        for key, value in (("cpus", cpus), ("mems", mems), ("shares", shares)):
            if value is not None:
                cpu[key] = value
    if annotations:
        spec["annotations"] = dict(annotations)
    if cgroups_path is not None:
        spec["linux"]["cgroupsPath"] = cgroups_path
    config_path.write_text(json.dumps(spec, indent=2))
    return bundle


@pytest.fixture
def bundle_factory(tmp_path: Path, busybox: Path, real_runc: Path):
    """make(name, **kw) -> bundle dir under tmp_path/name/bundle."""

    def make(name: str, **kw) -> Path:
        return make_busybox_bundle(tmp_path / name / "bundle", busybox, real_runc, **kw)

    return make


def unique_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"
