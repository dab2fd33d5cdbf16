"""The wrapper is invisible: whatever a caller hands it reaches the runtime unchanged.

The runtime here is tests/fakes/fake_runtime, which records its argv, environment,
cwd, pid, fds, signal state and (on request) stdin.  The wrapper's config has
mode = "never", so it does no host work; every path it might write is in tmp.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import PassthruSetup, parse_record, write_config

# ---------------------------------------------------------------------------
# helpers


def fake_bundle(tmp: Path) -> Path:
    """A bundle whose config.json asks for isolation; mode = never must ignore it."""
    bundle = tmp / "bundle"
    bundle.mkdir(exist_ok=True)
    spec = {
        "ociVersion": "1.0.2",
        "process": {"terminal": False, "args": ["sleep", "1000"], "cwd": "/"},
        "root": {"path": "rootfs"},
        "annotations": {"cpu-load-balancing.crio.io": "disable"},
        "linux": {"resources": {"cpu": {"cpus": "1", "mems": "0"}}},
    }
    (bundle / "config.json").write_text(json.dumps(spec))
    return bundle


def b(x) -> bytes:
    return x if isinstance(x, bytes) else os.fsencode(str(x))


def assert_invisible(setup: PassthruSetup, args, proc, *, env=None, cwd=None):
    """The fake saw exactly what the caller passed, and the wrapper said nothing."""
    rec = setup.record_data()
    assert rec.argv[0] == b(setup.fake), "argv[0] must be the runtime's path"
    assert rec.argv[1:] == [b(a) for a in args], "argv[1..] must be byte-identical"
    expected_env = setup.base_env() if env is None else env
    assert rec.env == [k + b"=" + v for k, v in expected_env.items()], "environment changed"
    assert rec.cwd == b(cwd or os.getcwd())
    assert proc.stdout == b"", f"wrapper wrote to stdout: {proc.stdout!r}"
    assert proc.stderr == b"", f"wrapper wrote to stderr: {proc.stderr!r}"
    assert proc.returncode == 0
    return rec


# ---------------------------------------------------------------------------
# argv shapes real callers send (shared/docs/RUNC-CLI.md), and hostile ones


def argv_shapes(tmp: Path) -> dict[str, list]:
    bundle = fake_bundle(tmp)
    root = str(tmp / "runc-root")
    log = str(tmp / "caller-log.json")
    go_runc = ["--root", root, "--log", log, "--log-format", "json"]
    resources = tmp / "podman-resources.json"
    resources.write_text('{"cpu": {"cpus": "1"}}')
    return {
        "containerd-create": go_runc + ["create", "--bundle", str(bundle), "--pid-file", str(bundle / "init.pid"),
                                        "--no-pivot", "--no-new-keyring", "c1"],
        "containerd-create-console": go_runc + ["create", "--bundle", str(bundle), "--pid-file",
                                                str(bundle / "init.pid"), "--console-socket", "/tmp/pty.sock", "c1"],
        "containerd-start": go_runc + ["start", "c1"],
        "containerd-state": go_runc + ["state", "c1"],
        "containerd-exec": go_runc + ["exec", "--process", "/tmp/runc-process123", "--detach", "--pid-file",
                                      str(tmp / "exec.pid"), "c1"],
        "containerd-kill": go_runc + ["kill", "c1", "9"],
        "containerd-kill-all": go_runc + ["kill", "--all", "c1", "9"],
        "containerd-ps": go_runc + ["ps", "--format", "json", "c1"],
        "containerd-pause": go_runc + ["pause", "c1"],
        "containerd-resume": go_runc + ["resume", "c1"],
        "containerd-delete": go_runc + ["delete", "c1"],
        "containerd-delete-force": go_runc + ["delete", "--force", "c1"],
        "containerd-features": ["features"],
        "containerd-version": ["--version"],
        "crio-create": ["--systemd-cgroup", f"--root={root}", "create", "--bundle", str(bundle), "--pid-file",
                        str(bundle / "pidfile"), "c2"],
        "crio-kill": [f"--root={root}", "kill", "c2", "15"],
        "crio-delete": [f"--root={root}", "delete", "--force", "c2"],
        "podman-create": ["--log-format=json", "--log", log, "--root", root, "create", "--bundle", str(bundle),
                          "--pid-file", str(tmp / "p.pid"), "c3"],
        "podman-update-file": ["--root", root, "update", f"--resources={resources}", "c3"],
        "podman-update-flags": ["--root", root, "update", "--cpuset-cpus", "0-1", "--cpu-share", "512", "c3"],
        "run-detach": ["--root", root, "run", "-d", "--bundle", str(bundle), "c4"],
        "single-dash-long": ["-root", root, "run", "-no-subreaper", "-detach", "-bundle", str(bundle), "c5"],
        "list": ["--root", root, "list", "--format", "json"],
        "spec": ["spec", "--bundle", str(tmp / "nonexistent")],
        "unknown-global-flag": ["--frobnicate", "state", "c1"],
        "unknown-sub-flag": ["--root", root, "create", "--weird-flag", "x", "c1"],
        "unknown-subcommand": ["explode", "now"],
        "missing-value": ["--root"],
        "no-args": [],
        "empty-arg": [""],
        "empty-args": ["", "", ""],
        "double-dash": ["--", "state", "--", "c1"],
        "keyword-ids": ["--root", root, "exec", "create", "--version", "delete", "--force"],
        "state-version-id": ["--root", root, "state", "--version"],
        "repeated-flags": ["--root", "/a", "--root", root, "--log-format", "text", "--log-format", "json", "state",
                           "c1"],
        "weird-bytes": [b"\xff\xfe\x80", b"state", b"id\x01\x7f\x1b[31m", "\u00fcn\u00efc\u00f8d\u00e9",
                        "with space", "new\nline", "tab\there", "-", "--", "'quoted'\"", "$HOME", "*"],
        "equals-forms": ["--root=", "--log=", "--log-format=json", "state", "--=x", "c1"],
        "long-argv": ["--root", root, "exec", "c1"] + [f"arg{i}" for i in range(3000)],
        "huge-arg": ["--root", root, "exec", "c1", "x" * 100_000],
    }


def _shape_names() -> list[str]:
    # Names only; the values are rebuilt per test with that test's tmp dir.
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return list(argv_shapes(Path(d)).keys())


@pytest.mark.parametrize("shape", _shape_names())
def test_argv_env_cwd_pid_pass_through(passthru: PassthruSetup, shape: str):
    args = argv_shapes(passthru.tmp)[shape]
    caller_log = passthru.tmp / "caller-log.json"
    proc = subprocess.Popen([bytes(passthru.wrapper), *[b(a) for a in args]], env=passthru.base_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=passthru.tmp)
    out, err = proc.communicate(timeout=30)
    proc_result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    rec = assert_invisible(passthru, args, proc_result, cwd=passthru.tmp)
    assert rec.pid == proc.pid, "the wrapper must exec in place (same PID), not fork"
    assert rec.ppid == os.getpid()
    assert not caller_log.exists(), f"wrapper wrote to the caller's --log: {caller_log.read_text()!r}"
    assert not (passthru.tmp / "runc-root").exists(), "wrapper created the runc --root"


# ---------------------------------------------------------------------------
# environment


@pytest.mark.parametrize("sub", [["state", "c1"], ["create", "--bundle", "B", "c1"], ["delete", "c1"]])
def test_path_less_environment(passthru: PassthruSetup, sub):
    sub = [str(fake_bundle(passthru.tmp)) if a == "B" else a for a in sub]
    env = {b"RUNC_ISOLCPUS_CONFIG": b(passthru.config), b"FAKE_RUNTIME_RECORD": b(passthru.record)}
    args = ["--root", str(passthru.tmp / "r"), *sub]
    proc = passthru.run(args, env=env)
    assert_invisible(passthru, args, proc, env=env)


def test_odd_environment_bytes(passthru: PassthruSetup):
    env = passthru.base_env()
    env.update({b"WEIRD": b"\xff\xfe\x01", b"EMPTY": b"", b"MULTI": b"a\nb=c", b"LISTEN_PID": b"1",
                b"LISTEN_FDS": b"2", b"NOTIFY_SOCKET": b"/run/x", b"LD_PRELOAD": b"", b"GODEBUG": b"x=1"})
    args = ["--root", str(passthru.tmp / "r"), "state", "c1"]
    proc = passthru.run(args, env=env)
    assert_invisible(passthru, args, proc, env=env)


def _in_private_mount_ns(binds: dict[Path, str], argv: list, *, env_i: bool, timeout=30):
    """Runs argv in a private mount namespace where each host dir in binds is
    covered by a temp dir, optionally with an empty environment (env -i)."""
    script = []
    for src, dst in binds.items():
        script.append(f'mount --bind "{src}" "{dst}" || exit 90')
    script.append('exec ' + ("env -i " if env_i else "") + '"$@"')
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script), "sh",
           *[b(a) for a in argv]]
    return subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_empty_environment_falls_back_to_safe_dirs(passthru: PassthruSetup, tmp_path: Path):
    """No environment at all (no PATH, no config variable): the wrapper still finds
    the runtime in its fixed directory list.  A private mount namespace puts the
    fake at /usr/local/sbin/runc, the first place searched."""
    assert not Path("/etc/runc-isolcpus/config.toml").exists(), \
        "this test assumes no node config at /etc/runc-isolcpus/config.toml"
    fake_dir = tmp_path / "sbin"
    fake_dir.mkdir()
    shutil.copy2(passthru.fake, fake_dir / "runc")
    args = ["--root", "/run/nonexistent-root", "state", "c1", b"\xff"]
    proc = _in_private_mount_ns({fake_dir: "/usr/local/sbin"}, [passthru.wrapper, *args], env_i=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"" and proc.stderr == b""
    rec = parse_record(fake_dir / "fake_runtime.record")
    assert rec.env == [], "an empty environment must stay empty"
    assert rec.argv == [b"/usr/local/sbin/runc"] + [b(a) for a in args]


# ---------------------------------------------------------------------------
# stdin


@pytest.mark.parametrize("sub", [
    ["exec", "--process", "/tmp/p.json", "c1"],
    ["create", "--bundle", "B", "c1"],
    ["run", "--bundle", "B", "c1"],
    ["update", "--resources", "-", "c1"],
    ["update", "-r", "-", "--", "c1"],
    # runc opens these paths and reads the caller's stdin through them: the
    # wrapper reading them empties the pipe, so it must replay it like "-".
    ["update", "-r", "/dev/stdin", "c1"],
    ["update", "--resources=/proc/self/fd/0", "c1"],
    ["update", "-r", "/dev/fd/0", "c1"],
    ["state", "c1"],
])
def test_stdin_bytes_reach_the_runtime(passthru: PassthruSetup, sub):
    sub = [str(fake_bundle(passthru.tmp)) if a == "B" else a for a in sub]
    if sub[0] == "update":
        payload = json.dumps({"cpu": {"cpus": "0-1", "shares": 512}}).encode() + b"\n"
    else:
        payload = os.urandom(1 << 20) + b"\x00\xff end"
    args = ["--root", str(passthru.tmp / "r"), *sub]
    proc = passthru.run(args, input=payload, stdin=None, extra_env={"FAKE_RUNTIME_READ_STDIN": "1"})
    env = {**passthru.base_env(), b"FAKE_RUNTIME_READ_STDIN": b"1"}
    rec = assert_invisible(passthru, args, proc, env=env)
    assert rec.stdin == payload, "stdin bytes changed on the way"


@pytest.mark.parametrize("sub", [["create", "--bundle", "B", "c1"],
                                 # a regular file reopened through /dev/stdin: read by path, fd 0 untouched
                                 ["update", "-r", "/dev/stdin", "c1"]])
def test_stdin_left_unread_for_the_runtime(passthru: PassthruSetup, tmp_path: Path, sub):
    """The wrapper must not consume stdin: a file on fd 0 keeps its offset at 0."""
    data = tmp_path / "stdin.bin"
    data.write_bytes(b"container input\n" * 100)
    sub = [str(fake_bundle(tmp_path)) if a == "B" else a for a in sub]
    with open(data, "rb") as f:
        args = ["--root", str(tmp_path / "r"), *sub]
        proc = passthru.run(args, stdin=f)
        assert_invisible(passthru, args, proc)
        assert os.lseek(f.fileno(), 0, os.SEEK_CUR) == 0, "someone read the caller's stdin"


# ---------------------------------------------------------------------------
# file descriptors


def _fd_target(fd: int) -> bytes:
    return os.fsencode(os.readlink(f"/proc/self/fd/{fd}"))


@pytest.mark.parametrize("sub", [["create", "--preserve-fds", "3", "--bundle", "B", "c1"],
                                 ["exec", "--preserve-fds", "3", "c1", "sh"], ["state", "c1"],
                                 ["update", "--resources", "/nonexistent.json", "c1"]])
def test_passed_fds_arrive_untouched(passthru: PassthruSetup, tmp_path: Path, sub):
    sub = [str(fake_bundle(tmp_path)) if a == "B" else a for a in sub]
    data = tmp_path / "fd-file"
    data.write_bytes(b"0123456789")
    file_fd = os.open(data, os.O_RDONLY)
    pipe_r, pipe_w = os.pipe()
    null_fd = os.open("/dev/null", os.O_RDWR)
    extra = [file_fd, pipe_r, pipe_w, null_fd]
    try:
        args = ["--root", str(tmp_path / "r"), *sub]
        proc = subprocess.Popen([bytes(passthru.wrapper), *[b(a) for a in args]], env=passthru.base_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=extra)
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, out, err) == (0, b"", b"")
        rec = passthru.record_data()
        assert rec.argv[1:] == [b(a) for a in args]
        expected = {fd: _fd_target(fd) for fd in extra}
        expected[0] = b"/dev/null"
        assert set(rec.fds) == {0, 1, 2, *extra}, f"fds differ: runtime saw {sorted(rec.fds)}"
        for fd in extra + [0]:
            assert rec.fds[fd] == expected[fd], f"fd {fd} points elsewhere"
        assert rec.fds[1].startswith(b"pipe:") and rec.fds[2].startswith(b"pipe:")
        assert rec.fds[1] != rec.fds[2]
        assert os.lseek(file_fd, 0, os.SEEK_CUR) == 0, "someone read a passed fd"
    finally:
        for fd in extra:
            os.close(fd)


def test_fds_3_4_5_for_preserve_fds(passthru: PassthruSetup, tmp_path: Path):
    """containerd/podman hand fds 3.. to `create --preserve-fds N`; they stay where they are."""
    data = tmp_path / "three"
    data.write_text("three")
    bundle = fake_bundle(tmp_path)
    args = ["--root", str(tmp_path / "r"), "create", "--preserve-fds", "3", "--bundle", str(bundle), "c1"]
    # sh sets up 3,4,5 and then execs the wrapper (same process), closing nothing else.
    script = f'exec 3<"{data}" 4>"{tmp_path / "four"}" 5<>/dev/null; exec "$@"'
    proc = subprocess.run(["sh", "-c", script, "sh", bytes(passthru.wrapper), *args], env=passthru.base_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    rec = passthru.record_data()
    assert set(rec.fds) == {0, 1, 2, 3, 4, 5}, sorted(rec.fds)
    assert rec.fds[3] == b(data)
    assert rec.fds[4] == b(tmp_path / "four")
    assert rec.fds[5] == b"/dev/null"


# ---------------------------------------------------------------------------
# signals


def _block_and_ignore():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGHUP, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)


@pytest.mark.parametrize("sub", [["state", "c1"], ["create", "--bundle", "B", "c1"], ["delete", "--force", "c1"]])
def test_signal_mask_and_dispositions_unchanged(passthru: PassthruSetup, sub):
    sub = [str(fake_bundle(passthru.tmp)) if a == "B" else a for a in sub]
    args = ["--root", str(passthru.tmp / "r"), *sub]
    # restore_signals=False keeps Python's SIG_IGN for SIGPIPE in the child, as
    # a caller that ignores SIGPIPE would pass it on.
    proc = passthru.run(args, preexec_fn=_block_and_ignore, restore_signals=False)
    rec = assert_invisible(passthru, args, proc)
    assert rec.sigmask == {signal.SIGUSR1, signal.SIGHUP, signal.SIGTERM}
    assert rec.disp == {"SIGPIPE": "ign", "SIGINT": "ign", "SIGQUIT": "ign", "SIGTERM": "dfl", "SIGCHLD": "dfl",
                        "SIGHUP": "dfl"}


def test_default_signal_state_stays_default(passthru: PassthruSetup):
    args = ["--root", str(passthru.tmp / "r"), "state", "c1"]
    proc = passthru.run(args)  # restore_signals=True: SIGPIPE back to default
    rec = assert_invisible(passthru, args, proc)
    assert rec.sigmask == set()
    assert set(rec.disp.values()) == {"dfl"}, rec.disp


# ---------------------------------------------------------------------------
# exit status and output


@pytest.mark.parametrize("status", [0, 1, 7, 137, 255])
@pytest.mark.parametrize("sub", [["state", "c1"], ["exec", "c1", "true"], ["create", "--bundle", "B", "c1"],
                                 ["delete", "c1"], ["start", "c1"]])
def test_exit_status_propagates(passthru: PassthruSetup, status: int, sub):
    sub = [str(fake_bundle(passthru.tmp)) if a == "B" else a for a in sub]
    proc = passthru.run(["--root", str(passthru.tmp / "r"), *sub], extra_env={"FAKE_RUNTIME_EXIT": str(status)})
    assert proc.returncode == status
    assert (proc.stdout, proc.stderr) == (b"", b"")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1])
def test_death_by_signal_propagates(passthru: PassthruSetup, sig):
    proc = passthru.run(["exec", "c1", "sh"], extra_env={"FAKE_RUNTIME_SIGNAL": str(int(sig))})
    assert proc.returncode == -int(sig), "the caller must see the runtime's death by signal"


# ---------------------------------------------------------------------------
# the `runc update` child: the one time the wrapper runs the runtime as its
# child (to act after it), which must look to runc and the caller like exec


def _start_ticks(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


@pytest.fixture
def update_child(passthru: PassthruSetup) -> PassthruSetup:
    """A created container's decision (its creator, this test, alive): an update of its cpus runs a child.

    The unknown key is a config problem, which the wrapper logs before
    anything else: our log is open when the child is forked, so a log fd
    without O_CLOEXEC would reach it (runtime, state_dir and log_file still
    hold; the policy falls back to mode "never").
    """
    write_config(passthru.config, runtime=passthru.fake, log_file=passthru.log_file,
                 state_dir=passthru.state_dir, mode="never", no_such_key_opens_the_log=1)
    passthru.state_dir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(passthru.state_dir, 0o700)
    entry = {"runc_root": str(passthru.tmp / "r"), "container_id": "c1", "state": "decided", "cpus": "0",
             "bundle": "/nonexistent", "cgroups_path": "", "systemd_cgroup": False, "pod_namespace": "",
             "pod_name": "", "container_name": "", "decided_at": 1700000000, "isolated_at": 0, "init_pid": 0,
             "init_start_ticks": 0, "creator": {"pid": os.getpid(), "start_ticks": _start_ticks(os.getpid())}}
    (passthru.state_dir / "ledger.json").write_text(json.dumps(
        {"version": 1, "entries": [entry], "v1": {"balanced_cgroup": "", "flag_changes": []}}))
    return passthru


# Calls that make a new fd, and what must be in the same statement.
_FD_MAKERS = re.compile(r"(?<![\w:.>])(?:::)?(open|openat|pipe|pipe2|socket|accept|accept4|dup|dup3|fopen|fdopen|"
                        r"memfd_create|eventfd|epoll_create1|inotify_init1|signalfd|timerfd_create)\s*\(")


def test_every_fd_we_open_is_close_on_exec(source_dir: Path):
    """Source audit: every fd the wrapper or ctl makes is O_CLOEXEC (fstreams cannot be, so none are used)."""
    offenders = []
    for path in sorted((source_dir / "src").rglob("*.[ch]pp")):
        text = path.read_text()
        for m in re.finditer(r"std::[io]?fstream|#include <fstream>", text):
            offenders.append(f"{path.relative_to(source_dir)}: {m.group(0)} (no way to ask for O_CLOEXEC)")
        for m in _FD_MAKERS.finditer(text):
            statement = text[m.start():text.find(";", m.end())]
            if "CLOEXEC" not in statement:
                line = text.count("\n", 0, m.start()) + 1
                offenders.append(f"{path.relative_to(source_dir)}:{line}: {statement.splitlines()[0]}")
    assert not offenders, "fds that would reach runc:\n" + "\n".join(offenders)


def test_exec_after_our_log_opened_passes_no_fd_of_ours(update_child: PassthruSetup):
    """The exec path too: a call that logged (here a config problem) execs runc without our log's fd."""
    args = ["--root", str(update_child.tmp / "r"), "delete", "c2"]
    proc = update_child.run(args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    assert update_child.log_file.exists(), "our log was never opened: the test proves nothing"
    rec = update_child.record_data()
    assert set(rec.fds) == {0, 1, 2}, f"runc inherited fds of ours: {rec.fds}"


UPDATE_CHILD_ARGS = ["update", "--cpuset-cpus", "0-1", "c1"]


def test_update_child_inherits_no_fd_of_ours(update_child: PassthruSetup):
    args = ["--root", str(update_child.tmp / "r"), *UPDATE_CHILD_ARGS]
    proc = update_child.run(args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    rec = update_child.record_data()
    assert rec.ppid != os.getpid(), "not run as the wrapper's child: the test does not test the child path"
    assert update_child.log_file.exists(), "our log was never opened: the test proves nothing"
    assert set(rec.fds) == {0, 1, 2}, f"the runc child inherited fds of ours: {rec.fds}"
    assert rec.fds[0] == b"/dev/null"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGSEGV])
def test_update_child_death_by_signal_propagates(update_child: PassthruSetup, sig):
    args = ["--root", str(update_child.tmp / "r"), *UPDATE_CHILD_ARGS]
    proc = update_child.run(args, extra_env={"FAKE_RUNTIME_SIGNAL": str(int(sig))})
    assert update_child.record_data().ppid != os.getpid()
    assert proc.returncode == -int(sig), "the caller must see runc's death by signal, as if it were runc"
    assert (proc.stdout, proc.stderr) == (b"", b"")


@pytest.mark.parametrize("sub", [["state", "c1"], ["--version"], ["create", "--bundle", "B", "c1"],
                                 ["delete", "c1"], ["ps", "c1"], []])
def test_output_is_the_runtimes_alone(passthru: PassthruSetup, sub):
    sub = [str(fake_bundle(passthru.tmp)) if a == "B" else a for a in sub]
    out = b'{"ociVersion":"1.0.2","id":"c1","status":"created"}\n\xff partial'
    err = b'time="2026-01-01T00:00:00Z" level=error msg="x"\n\x80\x81'
    proc = passthru.run(["--root", str(passthru.tmp / "r"), *sub],
                        extra_env={"FAKE_RUNTIME_STDOUT": out, "FAKE_RUNTIME_STDERR": err, "FAKE_RUNTIME_EXIT": "3"})
    assert proc.stdout == out
    assert proc.stderr == err
    assert proc.returncode == 3


# ---------------------------------------------------------------------------
# failures of the wrapper itself


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("sub,status", [(["--version"], 1), (["state", "c1"], 1), (["exec", "c1", "sh"], 255),
                                        (["create", "--bundle", "B", "c1"], 1), (["delete", "c1"], 1)])
def test_missing_runtime_is_reported(passthru: PassthruSetup, tmp_path: Path, sub, status):
    sub = [str(fake_bundle(tmp_path)) if a == "B" else a for a in sub]
    missing = tmp_path / "no" / "runc"
    write_config(passthru.config, runtime=missing, log_file=passthru.log_file, state_dir=passthru.state_dir,
                 mode="never")
    log = tmp_path / "caller.json"
    log.write_text('{"level":"info","msg":"earlier line","time":"2026-01-01T00:00:00Z"}\n')
    proc = passthru.run(["--root", str(tmp_path / "r"), "--log", log, "--log-format", "json", *sub])
    assert proc.returncode == status
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {proc.stderr!r}"
    assert lines[0].startswith("runc-isolcpus:")
    assert str(missing) in lines[0], "the message must name the configured path"
    entries = _json_lines(log)
    assert entries[0]["msg"] == "earlier line", "the caller's log must be appended to, not rewritten"
    assert len(entries) == 2
    assert entries[1]["level"] == "error"
    assert str(missing) in entries[1]["msg"]
    assert set(entries[1]) >= {"level", "msg", "time"}
    assert not passthru.record.exists()


def test_missing_runtime_without_log_flag(passthru: PassthruSetup, tmp_path: Path):
    write_config(passthru.config, runtime="/nonexistent/runc", log_file=passthru.log_file,
                 state_dir=passthru.state_dir, mode="never")
    proc = passthru.run(["state", "c1"])
    assert proc.returncode == 1
    assert proc.stderr.decode().count("\n") == 1 and proc.stderr.startswith(b"runc-isolcpus:")


def test_non_executable_runtime_is_reported(passthru: PassthruSetup, tmp_path: Path):
    not_exec = tmp_path / "runc"
    not_exec.write_text("#!/bin/sh\nexit 0\n")
    not_exec.chmod(0o644)
    write_config(passthru.config, runtime=not_exec, log_file=passthru.log_file, state_dir=passthru.state_dir,
                 mode="never")
    proc = passthru.run(["--version"])
    assert proc.returncode == 1
    assert proc.stderr.startswith(b"runc-isolcpus:") and proc.stderr.count(b"\n") == 1


def _link_or_copy(src: Path, dst: Path, hardlink: bool):
    if hardlink:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another filesystem: a copy of the binary run as itself is the same test
    shutil.copy2(src, dst)


@pytest.mark.parametrize("hardlink", [True, False], ids=["hardlink", "copy"])
def test_configured_runtime_that_is_the_wrapper_is_refused(passthru: PassthruSetup, tmp_path: Path, hardlink):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    as_runc = bindir / "runc"
    _link_or_copy(passthru.wrapper, as_runc, hardlink)
    write_config(passthru.config, runtime=as_runc, log_file=passthru.log_file, state_dir=passthru.state_dir,
                 mode="never")
    # Run the wrapper through its configured name too: that is how an operator
    # who installed it as `runc` would meet the loop.
    for entry in (passthru.wrapper, as_runc):
        proc = subprocess.run([bytes(entry), "--version"], env=passthru.base_env(), capture_output=True, timeout=10)
        assert proc.returncode == 1, (entry, proc)
        assert proc.stdout == b""
        assert proc.stderr.startswith(b"runc-isolcpus:") and proc.stderr.count(b"\n") == 1, proc.stderr


def test_wrapper_installed_as_runc_skips_itself(passthru: PassthruSetup, tmp_path: Path, real_runc: Path):
    """The wrapper installed as /usr/local/sbin/runc (first in the search list) and
    no `runtime` configured: it must skip itself and exec the real runc."""
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    _link_or_copy(passthru.wrapper, sbin / "runc", hardlink=False)
    write_config(passthru.config, log_file=passthru.log_file, state_dir=passthru.state_dir, mode="never")
    env_prefix = ["env", f"RUNC_ISOLCPUS_CONFIG={passthru.config}"]
    proc = _in_private_mount_ns({sbin: "/usr/local/sbin"}, [*env_prefix, "/usr/local/sbin/runc", "--version"],
                                env_i=False, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"runc version"), proc.stdout
    direct = subprocess.run([str(real_runc), "--version"], capture_output=True)
    assert proc.stdout == direct.stdout


def test_only_the_wrapper_installed_is_an_error(passthru: PassthruSetup, tmp_path: Path):
    """The wrapper is the only runc in the safe dirs: an error, not an exec loop.
    A private mount namespace hides the real runc behind a non-executable file."""
    write_config(passthru.config, log_file=passthru.log_file, state_dir=passthru.state_dir, mode="never")
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    _link_or_copy(passthru.wrapper, sbin / "runc", hardlink=False)
    blank = tmp_path / "not-runc"
    blank.write_text("")
    blank.chmod(0o644)
    script = [f'mount --bind "{sbin}" /usr/local/sbin || exit 90']
    hidden = {os.path.realpath(Path(d, "runc")) for d in ("/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
              if Path(d, "runc").exists()}
    for real in sorted(hidden):
        script.append(f'mount --bind "{blank}" "{real}" || exit 91')
    script.append('exec env RUNC_ISOLCPUS_CONFIG="$0" /usr/local/sbin/runc --version')
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script),
                           str(passthru.config)], capture_output=True, timeout=10)
    assert proc.returncode == 1, proc
    assert proc.stdout == b""
    assert proc.stderr.startswith(b"runc-isolcpus:") and proc.stderr.count(b"\n") == 1, proc.stderr
    assert b"cannot find" in proc.stderr or b"runc" in proc.stderr


# ---------------------------------------------------------------------------
# a broken config must not stop containers
#
# A config with any problem is not applied (include/isolcpus/config.hpp): the
# wrapper runs on defaults, so it finds the runtime by its directory search and
# logs to the default log file.  A private mount namespace makes both
# observable without touching the host: the fake is /usr/local/sbin/runc, and
# /var/log and /run are temp dirs.  The configured runtime is the fake too, so
# the test also holds if a later version salvages the good keys.


def _run_with_host_defaults_in_tmp(passthru: PassthruSetup, tmp_path: Path, args: list):
    sbin = tmp_path / "ns-sbin"
    varlog = tmp_path / "ns-varlog"
    for d in (sbin, varlog):
        d.mkdir()
    shutil.copy2(passthru.fake, sbin / "runc")
    script = "\n".join([
        f'mount --bind "{sbin}" /usr/local/sbin || exit 90',
        f'mount --bind "{varlog}" /var/log || exit 91',
        'mount -t tmpfs tmpfs /run || exit 92',
        'exec "$@"',
    ])
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                           bytes(passthru.wrapper), *[b(a) for a in args]], env=passthru.base_env(),
                          capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    logs = [p for p in (passthru.log_file, varlog / "runc-isolcpus.log") if p.exists()]
    return proc, "".join(p.read_text() for p in logs), sbin


BROKEN_CONFIGS = {
    "unknown-key": ("frobnicate = 1\n", "frobnicate", 5),
    "typo-key": ("runtme = \"/usr/bin/runc\"\n", "runtme", 5),
    "bad-value": ("on_failure = \"explode\"\n", "on_failure", 5),
    "wrong-type": ("log_level = 7\n", "log_level", 5),
    "syntax-error": ("mode = \"never\n", "", 5),
    "duplicate-key": ("mode = \"always\"\n", "mode", 5),
}


@pytest.mark.parametrize("broken", list(BROKEN_CONFIGS))
@pytest.mark.parametrize("sub", [["state", "c1"], ["create", "--bundle", "B", "c1"], ["delete", "--force", "c1"]])
def test_broken_config_still_execs_runtime(passthru: PassthruSetup, tmp_path: Path, broken, sub):
    line_text, key, line = BROKEN_CONFIGS[broken]
    sub = [str(fake_bundle(tmp_path)) if a == "B" else a for a in sub]
    passthru.config.write_text(f"runtime = {json.dumps(str(passthru.fake))}\n"
                               f"log_file = {json.dumps(str(passthru.log_file))}\n"
                               f"state_dir = {json.dumps(str(passthru.state_dir))}\n"
                               "mode = \"never\"\n" + line_text)
    args = ["--root", str(tmp_path / "r"), *sub]
    if passthru.record.exists():
        passthru.record.unlink()
    proc, log, sbin = _run_with_host_defaults_in_tmp(passthru, tmp_path, args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), proc
    rec = passthru.record_data()
    assert rec.argv[0] in (b(passthru.fake), b"/usr/local/sbin/runc")
    assert rec.argv[1:] == [b(a) for a in args]
    # sh (which sets up the namespace) re-orders the environment; the content must match.
    assert sorted(rec.env) == sorted(k + b"=" + v for k, v in passthru.base_env().items())
    if sub[0] != "state":
        # Lifecycle commands report the problem: file, line and key.
        assert f"{passthru.config}:{line}" in log, f"config problem not logged with file:line: {log!r}"
        assert key in log, log


def test_broken_config_problem_reaches_caller_log_as_warning(passthru: PassthruSetup, tmp_path: Path):
    passthru.config.write_text(f"runtime = {json.dumps(str(passthru.fake))}\nfrobnicate = 1\n")
    caller_log = tmp_path / "caller.json"
    args = ["--root", str(tmp_path / "r"), "--log", str(caller_log), "--log-format", "json", "create", "--bundle",
            str(fake_bundle(tmp_path)), "c1"]
    proc, _, _ = _run_with_host_defaults_in_tmp(passthru, tmp_path, args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    entries = _json_lines(caller_log)
    assert entries and all(e["level"] != "error" for e in entries), \
        "a config problem must not look like a runtime failure to containerd"
    assert any("frobnicate" in e["msg"] for e in entries)
