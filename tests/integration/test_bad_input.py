"""Hostile and unusual input through the built binaries (issue 10's bad-input table).

The wrapper runs with the recording fake runtime and a fake cgroup v2 host
(host_root in tmp), so nothing here touches this host's cgroups.  For each
case: the exact message, naming the file, the key and the fix; no crash,
hang or "internal error"; and the wrapper's own rule for where it speaks:
when it execs the runtime it prints nothing (the message goes to its log);
when it refuses a call (on_failure = "fail"), one stderr line, as runc would.
A container that did not opt in is never affected.  The unit tables
(tests/unit/*/bad_input_test.cpp) hold the parsers' full lists.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import parse_record, write_config
from test_ctl import ctl, fake_v2_host

ANNOTATION = "cpu-load-balancing.crio.io"


class Node:
    """The wrapper on a fake v2 host, with its config, log, ledger and a fake runc."""

    def __init__(self, tmp: Path, wrapper: Path, fake: Path):
        self.tmp, self.wrapper, self.fake = tmp, wrapper, fake
        self.host = fake_v2_host(tmp / "host")
        self.state = tmp / "state"
        self.log = tmp / "wrapper.log"
        self.record = tmp / "record.txt"
        self.configure()

    def configure(self, **keys):
        keys = {"runtime": self.fake, "host_root": self.host, "state_dir": self.state, "log_file": self.log,
                "mode": "annotation", "min_housekeeping_cpus": 1, **keys}
        self.config = write_config(self.tmp / "config.toml", **keys)

    def bundle(self, name: str, *, opted_in=True, text: str | None = None, **linux) -> Path:
        b = self.tmp / name
        b.mkdir(exist_ok=True)
        if text is None:
            spec = {"ociVersion": "1.0.2", "annotations": {ANNOTATION: "disable"} if opted_in else {},
                    "linux": {"resources": {"cpu": {"cpus": "3", "shares": 1024}}, **linux}}
            text = json.dumps(spec)
        (b / "config.json").write_text(text)
        return b

    def run(self, *args, timeout=30) -> subprocess.CompletedProcess:
        self.record.unlink(missing_ok=True)
        env = {**os.environ, "RUNC_ISOLCPUS_CONFIG": str(self.config), "FAKE_RUNTIME_RECORD": str(self.record)}
        return subprocess.run([str(self.wrapper), "--root", str(self.tmp / "runc-root"), *map(str, args)],
                              env=env, capture_output=True, text=True, timeout=timeout)

    def create(self, bundle: Path, cid: str, **kw) -> subprocess.CompletedProcess:
        return self.run("create", "--bundle", bundle, cid, **kw)

    def execd(self) -> bool:
        return self.record.exists() and parse_record(self.record).argv[0] == os.fsencode(self.fake)

    def logged(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def ledger_path(self) -> Path:
        return self.state / "ledger.json"


@pytest.fixture
def node(tmp_path: Path, wrapper: Path, fake_runtime: Path) -> Node:
    return Node(tmp_path, wrapper, fake_runtime)


def assert_passed_through_silently(node: Node, r: subprocess.CompletedProcess, logged: str):
    assert r.returncode == 0, r.stderr
    assert node.execd(), "the runtime was not exec'd"
    assert r.stdout == "" and r.stderr == "", f"the wrapper spoke on its runc path: {r.stdout!r} {r.stderr!r}"
    assert logged in node.logged(), node.logged()
    assert "internal error" not in node.logged(), node.logged()


# ---------------------------------------------------------------------------
# config.json: unreadable or hostile -> not isolating, logged, runc runs


def _hostile_specs(tmp: Path) -> dict:
    def cpus(text):
        return json.dumps({"annotations": {ANNOTATION: "disable"},
                           "linux": {"resources": {"cpu": {"cpus": text, "shares": 1024}}}})
    return {
        "truncated": ('{"linux": ',
                      "invalid JSON: parse error at line 1, column 11: syntax error while parsing value - unexpected "
                      "end of input; expected '[', '{', or a literal"),
        "number-overflow": ('{"annotations": {"%s": "disable"}, "linux": {"resources": {"memory": {"limit": 1e999}}}}'
                            % ANNOTATION, "invalid JSON: number overflow parsing '1e999'"),
        "deep": ('{"linux": {"resources": {"cpu": ' + "[" * 200_000 + "]" * 200_000 + "}}}",
                 "linux.resources.cpu: expected an object, got array"),
        "cpus-uint32-max": (cpus("0-4294967295"), 'linux.resources.cpu.cpus: invalid CPU list "0-4294967295": '
                            "CPU 4294967295 is beyond the kernel's limit of 8192 CPUs"),
        "cpus-negative": (cpus("-1"), 'linux.resources.cpu.cpus: invalid CPU list "-1": range "-1" has no first CPU '
                          "(CPU numbers are never negative)"),
        "cpus-blank-inside": (cpus("1 2"), 'linux.resources.cpu.cpus: invalid CPU list "1 2": "1 2" is not a CPU '
                              "number"),
        "cpus-200k-ranges": (cpus(",".join(["0-8191"] * 200_000) + ",x"),
                             'linux.resources.cpu.cpus: invalid CPU list "' + ",".join(["0-8191"] * 10)[:64] +
                             '..." (1400001 bytes): "x" is not a CPU number'),
        "huge-annotation": (json.dumps({"annotations": {ANNOTATION: "disable", "io.kubernetes.pod.name": "p" * 70_000}}),
                            'annotations["io.kubernetes.pod.name"]: 70000 bytes, more than the 65536 runc-isolcpus '
                            "reads (Kubernetes allows 262144 for all of a pod's annotations together); shorten it"),
    }


@pytest.mark.parametrize("case", sorted(_hostile_specs(Path("/")).keys()))
def test_hostile_config_json_is_logged_and_runc_runs(node: Node, case: str):
    text, why = _hostile_specs(node.tmp)[case]
    b = node.bundle(case, text=text)
    started = time.monotonic()
    r = node.create(b, "c1")
    assert time.monotonic() - started < 20, "a hostile config.json stalls the wrapper"
    assert_passed_through_silently(
        node, r, f"create c1: cannot read the bundle's spec, not isolating: {b / 'config.json'}: {why}\n")
    assert not node.ledger_path().exists() or "c1" not in node.ledger_path().read_text()


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_config_json_that_is_not_a_file_is_refused_without_waiting(node: Node, kind: str):
    b = node.tmp / kind
    b.mkdir()
    if kind == "directory":
        (b / "config.json").mkdir()
    else:
        os.mkfifo(b / "config.json")
    r = node.create(b, "c1", timeout=20)
    assert_passed_through_silently(
        node, r, f"create c1: cannot read the bundle's spec, not isolating: {b / 'config.json'}: not a regular "
                 "file; the container spec must be a plain JSON file\n")


# ---------------------------------------------------------------------------
# A corrupt ledger, a hostile state_dir: opted-in containers refused by file,
# key and fix; every other container untouched


def corrupt_ledger(node: Node):
    node.state.mkdir(mode=0o700)
    node.ledger_path().write_text('{"version": 1, "entries": [{"runc_root": "/run/runc", "container_id": "old",'
                                  ' "state": "isolated", "cpus": 3}], "v1": {}}')


def symlinked_state_dir(node: Node):
    (node.tmp / "elsewhere").mkdir(mode=0o700)
    node.state.symlink_to(node.tmp / "elsewhere")


def world_writable_state_dir(node: Node):
    node.state.mkdir()
    os.chmod(node.state, 0o1777)


STATE_CASES = {
    "corrupt-ledger": (corrupt_ledger,
                       "{state}/ledger.json: corrupt ledger: entries[0].cpus: expected a string, got number; inspect "
                       "it, then move it aside and run `runc-isolcpus-ctl reconcile`"),
    "state-dir-symlink": (symlinked_state_dir,
                          "state_dir {state} is not a directory (a symlink or file is refused); remove it"),
    "state-dir-world-writable": (world_writable_state_dir,
                                 "state_dir {state} must be owned by root with mode 0700 (it is uid 0, mode 1777); "
                                 "fix with `chown root: {state} && chmod 0700 {state}`"),
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_hostile_state_refuses_opted_in_and_spares_the_rest(node: Node, case: str):
    make, why = STATE_CASES[case]
    make(node)
    before = node.ledger_path().read_bytes() if node.ledger_path().exists() else None
    why = why.format(state=node.state)

    plain = node.bundle("plain", opted_in=False)
    assert_passed_through_silently(node, node.create(plain, "plain"), "")

    b = node.bundle("asks")
    r = node.create(b, "asks")
    assert r.returncode == 1 and not node.execd()
    assert r.stderr == f"runc-isolcpus: cannot decide on container asks: cannot consult the ledger: {why}\n"
    if before is not None:
        assert node.ledger_path().read_bytes() == before, "a corrupt ledger must be kept as it is"


def test_ctl_status_names_the_corrupt_ledger_key_and_fix(node: Node):
    corrupt_ledger(node)
    res = ctl(node.wrapper, node.tmp, "status", config=node.config)
    assert res.returncode == 1
    assert res.stderr == (f"runc-isolcpus-ctl status: cannot read the ledger: {node.ledger_path()}: corrupt ledger: "
                          "entries[0].cpus: expected a string, got number; inspect it, then move it aside and "
                          "run `runc-isolcpus-ctl reconcile`\n")


# ---------------------------------------------------------------------------
# The operator's config: a character toml++ 3.3.0 cannot read safely


def test_config_toml_trap_character_is_a_problem_not_a_crash(node: Node):
    # Through runc-isolcpus-ctl config: the wrapper would log this to the
    # default log file (a file with a syntax error keeps no log_file).
    node.config.write_text(node.config.read_text() + 'mode = "never" # caf\u00e9\n', encoding="utf-8")
    line = len(node.config.read_text(encoding="utf-8").splitlines())
    res = ctl(node.wrapper, node.tmp, "config", config=node.config)
    assert res.returncode == 1, res.stdout + res.stderr
    assert (f"{node.config}:{line}:21: U+00E9 cannot be read here (a bug in toml++ 3.3.0); inside a string "
            "write it as \\u00E9, anywhere else only on a comment line") in res.stdout, res.stdout
