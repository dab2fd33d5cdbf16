"""runc-isolcpus-ctl against fake hosts (host_root pointing at a temp tree) and
this host: status, check, config, version, reconcile, exit statuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import write_config


def ctl(wrapper: Path, tmp: Path, *args, config: Path | None = None, input=None):
    link = tmp / "runc-isolcpus-ctl"
    if not link.exists():
        link.symlink_to(wrapper.with_name("runc-isolcpus-ctl"))  # built beside the wrapper
    cmd = [str(link)] + (["--config", str(config)] if config else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=60)


def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fake_v2_host(root: Path, *, kernel="6.8.0", online="0-3", partition="isolated", delegate=True):
    write(root / "proc/sys/kernel/osrelease", kernel + "\n")
    write(root / "sys/devices/system/cpu/online", online + "\n")
    write(root / "sys/devices/system/cpu/isolated", "\n")
    cg = root / "sys/fs/cgroup"
    write(cg / "cgroup.controllers", "cpuset cpu io memory pids\n")
    write(cg / "cgroup.subtree_control", ("cpuset cpu memory" if delegate else "cpu memory") + "\n")
    write(cg / "cpuset.cpus.effective", online + "\n")
    write(cg / "cpuset.cpus.isolated", ("3" if partition == "isolated" else "") + "\n")
    kp = cg / "kubepods.slice"
    write(kp / "cgroup.subtree_control", ("cpuset cpu memory" if delegate else "cpu memory") + "\n")
    write(kp / "cpuset.cpus.partition", "member\n")
    write(kp / "cpuset.cpus.exclusive", "3\n")
    write(kp / "cpuset.cpus", "\n")
    ctr = kp / "pod1" / "ctr1"
    write(ctr / "cpuset.cpus.partition", partition + "\n")
    write(ctr / "cpuset.cpus.exclusive", "3\n")
    write(ctr / "cpuset.cpus", "3\n")
    return root


def ledger_with(state_dir: Path, entries: list[dict], v1: dict | None = None):
    state_dir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(state_dir, 0o700)
    doc = {"version": 1, "entries": entries,
           "v1": v1 or {"balanced_cgroup": "", "flag_changes": []}}
    (state_dir / "ledger.json").write_text(json.dumps(doc))


def isolated_entry(cid="ctr1", cpus="3", cgroup="kubepods.slice/pod1/ctr1", isolator="cgroup-v2-remote-partition"):
    return {"runc_root": "/run/runc", "container_id": cid, "state": "isolated", "cpus": cpus, "bundle": "/b",
            "cgroups_path": "", "systemd_cgroup": False, "pod_namespace": "telco", "pod_name": "dpdk-0",
            "container_name": "worker", "decided_at": 1700000000, "isolated_at": 1700000005,
            "init_pid": 0, "init_start_ticks": 0,
            "isolation": {"isolator": isolator, "cgroup": cgroup, "cpus": cpus, "ancestor_additions": []}}


@pytest.fixture
def v2(tmp_path, wrapper):
    host = fake_v2_host(tmp_path / "host")
    cfg = write_config(tmp_path / "config.toml", host_root=host, state_dir=tmp_path / "state",
                       log_file=tmp_path / "log", runtime="/bin/true")
    return tmp_path, host, cfg


def test_version(tmp_path, wrapper):
    res = ctl(wrapper, tmp_path, "version")
    assert res.returncode == 0 and res.stdout.startswith("runc-isolcpus 0.2.0")


def test_unknown_command_fails(tmp_path, wrapper):
    res = ctl(wrapper, tmp_path, "frobnicate")
    assert res.returncode != 0


def test_status_empty_node(v2, wrapper):
    tmp, host, cfg = v2
    res = ctl(wrapper, tmp, "status", config=cfg)
    # cpuset.cpus.isolated says 3 (the fixture's partition) but the ledger is
    # empty: a leftover, reported.
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("node: cgroup v2 (cgroup-v2-remote-partition), kernel 6.8.0, 4 CPUs online (0-3)")
    assert sum(1 for l in lines if l.lstrip()[:1].isdigit()) == 4
    assert "no container in the ledger holds it" in res.stdout
    assert lines[-1].startswith("summary:")


def test_status_consistent_isolation(v2, wrapper):
    tmp, host, cfg = v2
    ledger_with(tmp / "state", [isolated_entry()])
    res = ctl(wrapper, tmp, "status", "--json", config=cfg)
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    cpu3 = doc["cpus"][3]
    assert cpu3 == {"cpu": 3, "state": "isolated", "kernel": "isolated", "container_id": "ctr1", "tunings": [], "problems": []}
    assert doc["containers"][0]["pod_name"] == "dpdk-0"
    assert doc["containers"][0]["isolated_at_utc"] == "2023-11-14T22:13:25Z"
    assert doc["summary"] == {"isolated": 1, "tuned": 0, "boot_isolated": 0, "balanced": 3, "problems": 0}
    text = ctl(wrapper, tmp, "status", config=cfg).stdout
    assert "telco/dpdk-0 worker" in text and "2023-11-14T22:13:25Z" in text
    assert "\x1b[" not in text, "colour codes when not on a tty"


def test_status_flags_invalid_partition_with_path(tmp_path, wrapper):
    host = fake_v2_host(tmp_path / "host",
                        partition="isolated invalid (Cpu list in cpuset.cpus not exclusive)")
    cfg = write_config(tmp_path / "config.toml", host_root=host, state_dir=tmp_path / "state",
                       log_file=tmp_path / "log", runtime="/bin/true")
    ledger_with(tmp_path / "state", [isolated_entry()])
    res = ctl(wrapper, tmp_path, "status", "--json", config=cfg)
    assert res.returncode == 2
    problems = json.loads(res.stdout)["cpus"][3]["problems"]
    assert len(problems) == 1
    assert "kubepods.slice/pod1/ctr1/cpuset.cpus.partition" in problems[0]
    assert "isolated invalid (Cpu list in cpuset.cpus not exclusive)" in problems[0]


def test_status_v1_names_balanced_cpuset(tmp_path, wrapper):
    root = tmp_path / "host"
    write(root / "proc/sys/kernel/osrelease", "5.15.0\n")
    write(root / "sys/devices/system/cpu/online", "0-3\n")
    write(root / "sys/devices/system/cpu/isolated", "\n")
    cs = root / "sys/fs/cgroup/cpuset"
    write(cs / "cpuset.cpus", "0-3\n")
    write(cs / "cpuset.mems", "0\n")
    write(cs / "cpuset.sched_load_balance", "0\n")
    write(cs / "system/cpuset.cpus", "0-3\n")  # overlaps the isolated CPU
    write(cs / "system/cpuset.sched_load_balance", "1\n")
    write(cs / "kubepods/cpuset.cpus", "0-3\n")
    write(cs / "kubepods/cpuset.sched_load_balance", "0\n")
    write(cs / "kubepods/c1/cpuset.cpus", "3\n")
    write(cs / "kubepods/c1/cpuset.sched_load_balance", "0\n")
    cfg = write_config(tmp_path / "config.toml", host_root=root, state_dir=tmp_path / "state",
                       log_file=tmp_path / "log", runtime="/bin/true")
    ledger_with(tmp_path / "state", [isolated_entry(cid="c1", cgroup="kubepods/c1",
                                                   isolator="cgroup-v1-sched-load-balance")])
    res = ctl(wrapper, tmp_path, "status", "--json", config=cfg)
    doc = json.loads(res.stdout)
    assert doc["cgroup_mode"] == "v1"
    cpu3 = doc["cpus"][3]
    assert cpu3["state"] == "isolated" and cpu3["kernel"] == "balanced"
    assert any(str(cs / "system/cpuset.sched_load_balance") in p for p in cpu3["problems"]), cpu3
    assert res.returncode == 2
    # Fix the overlap: now consistent.
    write(cs / "system/cpuset.cpus", "0-2\n")
    res = ctl(wrapper, tmp_path, "status", "--json", config=cfg)
    assert res.returncode == 0, res.stdout
    assert json.loads(res.stdout)["cpus"][3]["kernel"] == "isolated"


def test_check_healthy_fake_v2(v2, wrapper):
    tmp, host, cfg = v2
    res = ctl(wrapper, tmp, "check", config=cfg)
    assert res.returncode == 0, res.stdout
    assert "[ OK ] delegation:" in res.stdout
    assert "this node can isolate CPUs" in res.stdout


def test_check_blocking_findings_have_fixes(tmp_path, wrapper):
    host = fake_v2_host(tmp_path / "host", kernel="6.6.1", delegate=False)
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    cfg = write_config(tmp_path / "config.toml", host_root=host, state_dir=state, log_file=tmp_path / "log",
                       runtime="/nonexistent/runc")
    res = ctl(wrapper, tmp_path, "check", "--json", config=cfg)
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["blocking"] is True
    errors = {f["topic"]: f for f in doc["findings"] if f["severity"] == "error"}
    assert set(errors) >= {"kernel", "delegation", "runtime", "ledger"}, errors
    assert all(f["fix"] for f in errors.values())
    # The root is not a systemd slice: an error.  kubepods.slice without
    # cpuset is what an idle systemd node reads: information.
    assert errors["delegation"]["what"].startswith(str(host / "sys/fs/cgroup/cgroup.subtree_control")), errors
    infos = [f for f in doc["findings"] if f["severity"] == "info" and f["topic"] == "delegation"]
    assert any("kubepods.slice/cgroup.subtree_control does not enable cpuset now" in f["what"] for f in infos), doc
    assert "chmod 0700" in errors["ledger"]["fix"]
    assert "echo +cpuset >" in errors["delegation"]["fix"]


def test_check_reports_config_problems(tmp_path, wrapper):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('mdoe = "always"\n')
    res = ctl(wrapper, tmp_path, "check", config=cfg)
    assert res.returncode == 1
    assert "[FAIL] config:" in res.stdout and "mdoe" in res.stdout


def test_check_on_this_host(tmp_path, wrapper):
    """The real host: cgroup v1, root flag 1; with v1_manage_root_flag = false
    that blocks isolation, and check says how to fix it."""
    if not Path("/sys/fs/cgroup/cpuset/cpuset.sched_load_balance").exists():
        pytest.fail("expected a cgroup v1 cpuset hierarchy on this host")
    cfg = write_config(tmp_path / "config.toml", state_dir=tmp_path / "state", log_file=tmp_path / "log",
                       v1_manage_root_flag=False, min_housekeeping_cpus=1)
    res = ctl(wrapper, tmp_path, "check", config=cfg)
    flag = Path("/sys/fs/cgroup/cpuset/cpuset.sched_load_balance").read_text().strip()
    assert "cgroup v1 cpuset at /sys/fs/cgroup/cpuset" in res.stdout
    assert "[ OK ] runtime: real runtime: /" in res.stdout
    if flag == "1":
        assert res.returncode == 1 and "v1_manage_root_flag = false" in res.stdout
    else:
        assert res.returncode == 0, res.stdout


def test_config_prints_effective_toml(tmp_path, wrapper):
    cfg = write_config(tmp_path / "c.toml", mode="always", min_housekeeping_cpus=3, state_dir="/run/x")
    res = ctl(wrapper, tmp_path, "config", config=cfg)
    assert res.returncode == 0
    assert f"# source: {cfg}" in res.stdout
    assert 'mode = "always"' in res.stdout and "min_housekeeping_cpus = 3" in res.stdout
    # Its output is itself a valid config with the same meaning.
    again = tmp_path / "again.toml"
    again.write_text(res.stdout)
    res2 = ctl(wrapper, tmp_path, "config", config=again)
    assert res2.returncode == 0
    assert res2.stdout.splitlines()[2:] == res.stdout.splitlines()[2:]


def test_config_with_problems(tmp_path, wrapper):
    cfg = tmp_path / "c.toml"
    cfg.write_text('mode = "sometimes"\nstate_dir = "/run/kept"\n')
    res = ctl(wrapper, tmp_path, "config", config=cfg)
    assert res.returncode == 1
    assert "PROBLEM:" in res.stdout and "mode" in res.stdout
    assert 'mode = "never"' in res.stdout
    assert 'state_dir = "/run/kept"' in res.stdout


def test_config_missing_file_is_defaults(tmp_path, wrapper):
    res = ctl(wrapper, tmp_path, "config", config=tmp_path / "absent.toml")
    assert res.returncode == 0
    assert "no file at" in res.stdout and 'mode = "annotation"' in res.stdout


def test_config_from_env(tmp_path, wrapper):
    cfg = write_config(tmp_path / "env.toml", mode="always")
    link = tmp_path / "runc-isolcpus-ctl"
    link.symlink_to(wrapper.with_name("runc-isolcpus-ctl"))
    res = subprocess.run([str(link), "config"], capture_output=True, text=True,
                         env={**os.environ, "RUNC_ISOLCPUS_CONFIG": str(cfg)})
    assert f"# source: {cfg}" in res.stdout and 'mode = "always"' in res.stdout


def test_reconcile_releases_dead_container(v2, wrapper):
    tmp, host, cfg = v2
    write(host / "proc/self/.keep", "")
    entry = isolated_entry()
    entry["state"] = "decided"
    entry.pop("isolation")
    entry["decided_at"] = 1  # long ago, never started
    ledger_with(tmp / "state", [entry])
    res = ctl(wrapper, tmp, "reconcile", config=cfg)
    assert res.returncode == 0, res.stderr
    assert "dropped 1" in res.stdout
    assert json.loads((tmp / "state/ledger.json").read_text())["entries"] == []


def test_reconcile_refuses_bad_config(tmp_path, wrapper):
    cfg = tmp_path / "c.toml"
    cfg.write_text("nonsense = 1\n")
    res = ctl(wrapper, tmp_path, "reconcile", config=cfg)
    assert res.returncode == 1 and "fix the configuration" in res.stderr


EXPOSITION_SAMPLE = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*"'
                               r'(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? ([0-9.eE+-]+|NaN|[+-]Inf)')


def assert_exposition(text: str) -> set[str]:
    """Every line a HELP/TYPE comment or `name{labels} value`; returns the names."""
    names = set()
    assert text.endswith("\n"), text
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert EXPOSITION_SAMPLE.fullmatch(line), line
        names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_metrics_on_this_host(tmp_path, wrapper):
    cfg = write_config(tmp_path / "config.toml", state_dir=tmp_path / "state", log_file=tmp_path / "log")
    res = ctl(wrapper, tmp_path, "metrics", config=cfg)
    assert res.returncode == 0, res.stderr
    names = assert_exposition(res.stdout)
    assert {"runc_isolcpus_online_cpus", "runc_isolcpus_isolated_cpus", "runc_isolcpus_containers",
            "runc_isolcpus_problems", "runc_isolcpus_knob_available"} <= names, names
    online = 0
    for item in Path("/sys/devices/system/cpu/online").read_text().strip().split(","):
        first, _, last = item.partition("-")
        online += int(last or first) - int(first) + 1
    assert f"runc_isolcpus_online_cpus {online}\n" in res.stdout
    assert not (tmp_path / "state").exists(), "metrics must not create the ledger"

    # --output: the same text, replaced atomically, readable by node-exporter's own user.
    out = tmp_path / "textfile" / "runc_isolcpus.prom"
    out.parent.mkdir()
    res = ctl(wrapper, tmp_path, "metrics", "--output", str(out), config=cfg)
    assert res.returncode == 0 and res.stdout == "", res.stderr
    assert_exposition(out.read_text())
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in out.parent.iterdir()] == ["runc_isolcpus.prom"], "a temporary was left behind"
    assert "last_reconcile" not in out.read_text(), "no reconcile ran yet"

    # A completed reconcile (the minute timer's) is stamped for metrics.
    import time
    before = int(time.time())
    res = ctl(wrapper, tmp_path, "reconcile", config=cfg)
    assert res.returncode == 0, res.stderr
    res = ctl(wrapper, tmp_path, "metrics", config=cfg)
    stamp = [line for line in res.stdout.splitlines()
             if line.startswith("runc_isolcpus_last_reconcile_timestamp_seconds ")]
    assert len(stamp) == 1 and before <= int(stamp[0].split()[1]) <= int(time.time()), res.stdout


def test_metrics_fails_on_unreadable_ledger(tmp_path, wrapper):
    ledger_with(tmp_path / "state", [])
    (tmp_path / "state/ledger.json").write_text("{ not json")
    cfg = write_config(tmp_path / "config.toml", state_dir=tmp_path / "state", log_file=tmp_path / "log")
    out = tmp_path / "m.prom"
    res = ctl(wrapper, tmp_path, "metrics", "--output", str(out), config=cfg)
    assert res.returncode != 0
    assert "runc-isolcpus-ctl metrics: cannot read the ledger:" in res.stderr
    assert not out.exists()


def test_check_names_every_knob(tmp_path, wrapper):
    cfg = write_config(tmp_path / "config.toml", state_dir=tmp_path / "state", log_file=tmp_path / "log",
                       knobs=["cpu-c-states"])
    doc = json.loads(ctl(wrapper, tmp_path, "check", "--json", config=cfg).stdout)
    topics = {f["topic"]: f for f in doc["findings"]}
    assert topics["cpu-c-states"]["severity"] in ("ok", "warn"), topics["cpu-c-states"]
    for knob in ("cpu-quota", "cpu-freq-governor"):
        assert topics[knob]["severity"] == "info" and "`knobs`" in topics[knob]["what"], topics[knob]


def test_check_and_metrics_count_tuning_drift(v2, wrapper):
    """A C-states file of a settled container rewritten behind our back: check
    names it as a ledger problem, metrics counts it as status does."""
    tmp, host, cfg = v2
    latency = "/sys/devices/system/cpu/cpu3/power/pm_qos_resume_latency_us"
    for cpu in range(4):
        write(host / f"sys/devices/system/cpu/cpu{cpu}/power/pm_qos_resume_latency_us", "0\n")
    entry = isolated_entry()
    entry["tunings"] = [{"knob": "cpu-c-states", "value": "disable"}]
    entry["tuning_changes"] = [{"knob": "cpu-c-states", "file": latency, "original": "0", "written": "n/a",
                                "cpus": "3"}]
    ledger_with(tmp / "state", [entry])
    check = ctl(wrapper, tmp, "check", "--json", config=cfg)
    findings = json.loads(check.stdout)["findings"]
    drift = [f for f in findings if f["topic"] == "ledger" and latency in f["what"]]
    assert check.returncode == 1 and len(drift) == 1, check.stdout
    assert drift[0]["severity"] == "error" and 'reads "0", not "n/a"' in drift[0]["what"], drift
    topics = {f["topic"]: f["severity"] for f in findings}
    assert topics["cpu-c-states"] == "ok" and topics["cpu-freq-governor"] == "warn", topics
    metrics = ctl(wrapper, tmp, "metrics", config=cfg)
    assert metrics.returncode == 0, metrics.stderr
    assert "runc_isolcpus_problems 1\n" in metrics.stdout
    assert 'runc_isolcpus_tuned_cpus{knob="cpu-c-states"} 1\n' in metrics.stdout
    assert 'runc_isolcpus_knob_available{knob="cpu-c-states"} 1\n' in metrics.stdout
    assert ctl(wrapper, tmp, "status", config=cfg).returncode == 2
