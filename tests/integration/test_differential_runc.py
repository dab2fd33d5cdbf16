"""Differential test: the same runc commands, once through the wrapper and once
straight to real runc, must give the same stdout, stderr and exit status.

Each side has its own --root, bundle and container id (same lengths, so runc's
table columns line up); the outputs are compared after replacing those, the
pids and the timestamps, which legitimately differ.  The wrapper's config has
no `runtime` key (it must find runc by itself), mode = "never" (no host work)
and its log and state in the test's temp dir.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import make_busybox_bundle, write_config


@dataclass
class Side:
    name: str
    cmd: list[str]  # the binary to call: the wrapper or real runc
    root: Path
    bundle: Path
    cid: str
    env: dict

    def run(self, *args, input=None, cwd=None, timeout=60) -> subprocess.CompletedProcess:
        stdin = subprocess.DEVNULL if input is None else None
        return subprocess.run([*self.cmd, "--root", str(self.root), *args], capture_output=True, stdin=stdin,
                              input=input, env=self.env, cwd=cwd or self.bundle, timeout=timeout)

    def run_detached_stdio(self, *args) -> tuple[int, bytes, bytes]:
        """create/run: the container inherits runc's stdio, so capture into files
        (a pipe would stay open for as long as the container lives)."""
        out_path = self.bundle.parent / f"{args[0]}.out"
        err_path = self.bundle.parent / f"{args[0]}.err"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            rc = subprocess.run([*self.cmd, "--root", str(self.root), *args], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=self.env, cwd=self.bundle, timeout=60).returncode
        return rc, out_path.read_bytes(), err_path.read_bytes()

    def normalise(self, data: bytes) -> str:
        text = data.decode(errors="replace")
        for value, token in ((str(self.bundle), "<BUNDLE>"), (str(self.root), "<ROOT>"), (self.cid, "<ID>")):
            text = text.replace(value, token)
        text = re.sub(r'time="[^"]*"', 'time="<T>"', text)
        text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<TS>", text)
        return text


@pytest.fixture
def sides(tmp_path: Path, wrapper: Path, real_runc: Path, busybox: Path):
    config = write_config(tmp_path / "config.toml", log_file=tmp_path / "wrapper.log",
                          state_dir=tmp_path / "wrapper-state", mode="never")
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "RUNC_ISOLCPUS_CONFIG": str(config)}
    token = uuid.uuid4().hex[:10]
    made = []
    for name, cmd in (("direct", [str(real_runc)]), ("wrapped", [str(wrapper)])):
        base = tmp_path / name
        bundle = make_busybox_bundle(base / "bundle", busybox, real_runc, args=("sleep", "1000"))
        # Same length ids and paths on both sides keep runc's tables aligned.
        made.append(Side(name, cmd, base / "root", bundle, f"df{name[0]}{token}", env))
    yield made
    for side in made:  # never leave a container behind, whatever failed
        subprocess.run([str(real_runc), "--root", str(side.root), "delete", "--force", side.cid],
                       capture_output=True, timeout=60)


def compare(sides: list[Side], *args, normalise_json=None, **kw):
    """Runs args on both sides; asserts equal status, stdout and stderr."""
    results = [side.run(*args, **kw) for side in sides]
    direct, wrapped = results
    views = []
    for side, res in zip(sides, results):
        out = side.normalise(res.stdout)
        if normalise_json is not None:
            out = normalise_json(json.loads(out))
        views.append((res.returncode, out, side.normalise(res.stderr)))
    assert views[1][0] == views[0][0], f"exit status differs for {args}: direct {views[0]}, wrapped {views[1]}"
    assert views[1][1] == views[0][1], f"stdout differs for {args}"
    assert views[1][2] == views[0][2], f"stderr differs for {args}"
    return results


def state_view(doc: dict) -> dict:
    doc = dict(doc)
    assert isinstance(doc.pop("pid"), int)
    doc.pop("created")
    return doc


def list_view(docs) -> list:
    if docs is None:
        return []
    return [state_view(d) for d in docs]


def table_view(text: str) -> list[list[str]]:
    """runc's tables, with pid-like numbers and times masked (column widths follow them)."""
    rows = []
    for line in text.splitlines():
        cells = line.split()
        rows.append([re.sub(r"^\d+$", "<N>", c) if i < 3 or c.isdigit() else c for i, c in enumerate(cells)])
    return rows


def wait_status(side: Side, status: str, timeout=10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        res = side.run("state", side.cid)
        doc = json.loads(res.stdout) if res.returncode == 0 else {}
        if doc.get("status") == status or time.monotonic() > deadline:
            return doc
        time.sleep(0.05)


def test_version_and_features(sides):
    direct, wrapped = compare(sides, "--version")
    assert direct.stdout.startswith(b"runc version")
    compare(sides, "features", normalise_json=lambda d: d)
    compare(sides, "--help")
    compare(sides, "spec", "--help")


def test_error_cases_match(sides):
    for args in (["state", "nosuchcontainer"], ["start", "nosuchcontainer"], ["kill", "nosuchcontainer", "9"],
                 ["delete", "nosuchcontainer"], ["pause", "nosuchcontainer"], ["ps", "nosuchcontainer"],
                 ["state"], ["kill"], ["--bogus-flag", "state", "x"], ["state", "--bogus", "x"],
                 ["nosuchsubcommand"], ["exec", "nosuchcontainer", "true"]):
        results = compare(sides, *args)
        assert results[0].returncode != 0, f"{args} was expected to fail"
    # json error lines in --log are the channel containerd reads
    for side in sides:
        log = side.bundle.parent / "log.json"
        res = side.run("--log", str(log), "--log-format", "json", "state", "nosuchcontainer")
        assert res.returncode == 1
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert lines[-1]["level"] == "error" and lines[-1]["msg"] == "container does not exist"


def test_container_lifecycle_matches(sides):
    direct, wrapped = sides
    compare(sides, "list")
    compare(sides, "list", "--format", "json", normalise_json=list_view)

    created = [side.run_detached_stdio("create", "--bundle", str(side.bundle), side.cid) for side in sides]
    assert created[0] == (0, b"", b""), f"real runc could not create the container: {created[0]}"
    assert created[1] == created[0], f"create through the wrapper differs: {created[1]}"

    results = [side.run("state", side.cid) for side in sides]
    views = [state_view(json.loads(side.normalise(r.stdout))) for side, r in zip(sides, results)]
    assert [r.returncode for r in results] == [0, 0]
    assert views[0] == views[1]
    assert views[1]["status"] == "created" and views[1]["id"] == "<ID>" and views[1]["bundle"] == "<BUNDLE>"
    assert results[0].stdout.count(b"\n") == results[1].stdout.count(b"\n")

    _compare_per_side(sides, lambda s: s.run("list"), table=True)
    _compare_per_side(sides, lambda s: s.run("list", "--format", "json"), as_json=list_view)
    _compare_per_side(sides, lambda s: s.run("list", "-q"))
    _compare_per_side(sides, lambda s: s.run("ps", "--format", "json", s.cid), as_json=lambda pids: len(pids))
    _compare_per_side(sides, lambda s: s.run("ps", s.cid), table=True, header_only=True)

    _compare_per_side(sides, lambda s: s.run("start", s.cid))
    for side in sides:
        assert wait_status(side, "running")["status"] == "running"
    _compare_per_side(sides, lambda s: s.run("state", s.cid), as_json=state_view)
    _compare_per_side(sides, lambda s: s.run("ps", s.cid), table=True, header_only=True)
    _compare_per_side(sides, lambda s: s.run("exec", s.cid, "echo", "hello from exec"))
    _compare_per_side(sides, lambda s: s.run("exec", s.cid, "sh", "-c", "exit 7"))
    _compare_per_side(sides, lambda s: s.run("exec", "--cwd", "/", s.cid, "cat", input=b"stdin through exec\n"))
    _compare_per_side(sides, lambda s: s.run("update", "--resources", "-", s.cid,
                                             input=b'{"cpu": {"shares": 512, "cpus": "0"}}'))
    _compare_per_side(sides, lambda s: s.run("update", "--cpuset-cpus", "0-1", "--cpu-share", "1024", s.cid))
    _compare_per_side(sides, lambda s: s.run("update", "--resources", "-", s.cid, input=b"not json"))
    _compare_per_side(sides, lambda s: s.run("pause", s.cid))
    _compare_per_side(sides, lambda s: s.run("state", s.cid), as_json=state_view)
    _compare_per_side(sides, lambda s: s.run("resume", s.cid))
    _compare_per_side(sides, lambda s: s.run("events", "--stats", s.cid),
                      as_json=lambda ev: (ev["type"], ev["id"], sorted(ev["data"])))
    _compare_per_side(sides, lambda s: s.run("start", s.cid))  # already running: same error
    _compare_per_side(sides, lambda s: s.run("delete", s.cid))  # running, no --force: same error

    _compare_per_side(sides, lambda s: s.run("kill", s.cid, "KILL"))
    for side in sides:
        assert wait_status(side, "stopped")["status"] == "stopped"
    _compare_per_side(sides, lambda s: s.run("state", s.cid), as_json=state_view)
    _compare_per_side(sides, lambda s: s.run("kill", s.cid, "9"))  # already stopped
    _compare_per_side(sides, lambda s: s.run("delete", s.cid))
    _compare_per_side(sides, lambda s: s.run("state", s.cid))
    _compare_per_side(sides, lambda s: s.run("list"), table=True)
    for side in sides:
        assert not (side.root / side.cid).exists()


def _compare_per_side(sides, call, *, as_json=None, table=False, header_only=False):
    """call(side) -> CompletedProcess, per side (ids differ); equal after normalising."""
    results = []
    for side in sides:
        res = call(side)
        out = side.normalise(res.stdout)
        if as_json is not None and res.returncode == 0:
            out = as_json(json.loads(out))
        elif table:
            rows = table_view(out)
            out = rows[:1] if header_only else rows
        results.append((res.returncode, out, side.normalise(res.stderr)))
    assert results[1] == results[0], f"wrapped {results[1]!r} != direct {results[0]!r}"
    return results


def test_run_and_exit_status_match(sides):
    """`runc run` (foreground): the container's exit status is runc's exit status."""
    for side in sides:
        spec_path = side.bundle / "config.json"
        spec = json.loads(spec_path.read_text())
        spec["process"]["args"] = ["sh", "-c", "echo out; echo err >&2; exit 42"]
        spec_path.write_text(json.dumps(spec))
    results = [side.run("run", side.cid) for side in sides]
    assert [r.returncode for r in results] == [42, 42]
    assert results[0].stdout == results[1].stdout == b"out\n"
    assert results[0].stderr == results[1].stderr == b"err\n"
