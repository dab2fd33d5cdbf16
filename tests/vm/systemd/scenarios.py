#!/usr/bin/python3
"""The systemd guest's scenarios (isolvm.service runs this once containerd is
up): the project's .deb installed by dpkg, containerd with the `isolcpus`
handler from the package and SystemdCgroup = true, and a kubelet-like driver
(kubelet.py).  Scenarios are named on the kernel command line
(isolvm.scenarios=a,b); each prints the marker lines of guestlib.py and a
RESULT; DONE ends the boot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, "/opt/isolvm")

from guestlib import V2, Fatal, Scenario, cgroup_files, exclusive_leftovers, mark, run  # noqa: E402

OPT = Path("/opt/isolvm")
LEDGER = Path("/run/runc-isolcpus/ledger.json")
OPT_IN = {"cpu-load-balancing.crio.io": "disable"}


# The node before the package: runc with the systemd driver, as the kubelet's
# systemd cgroup driver needs it.  `runc-isolcpus-ctl configure` adds the
# handler to this.
NODE_CONFIG = """version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/isolvm/pause:1"
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    # overlay is a module, and the guest has none: copy layers instead.
    snapshotter = "native"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true
"""
CONTAINERD_CONFIG = Path("/etc/containerd/config.toml")


def wait_for_containerd() -> None:
    deadline = time.monotonic() + 60
    while run(["ctr", "version"], check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise Fatal("containerd did not answer after its restart")
        time.sleep(0.5)


def containerd_started() -> str:
    return run(["systemctl", "show", "-p", "ExecMainStartTimestampMonotonic", "--value", "containerd"]).stdout.strip()


def handlers() -> dict:
    """The handlers of containerd's config files (config dump reads the
    files, not the running daemon)."""
    import tomllib
    dump = run(["containerd", "config", "dump"]).stdout
    return tomllib.loads(dump)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]


def configure(s: Scenario, *args: str) -> subprocess.CompletedProcess:
    r = run(["runc-isolcpus-ctl", *args], check=False, timeout=180)
    s.info("\n".join(f"$ runc-isolcpus-ctl {' '.join(args)} | {line}" for line in
                      (r.stdout + r.stderr).splitlines()))
    return r


def setup(s: Scenario) -> None:
    r = run(["dpkg", "-i", str(OPT / "runc-isolcpus.deb")], check=False, timeout=300)
    s.require("dpkg -i the project's .deb", r.returncode == 0, r.stdout + r.stderr)
    s.require("the package installed /usr/bin/runc-isolcpus", Path("/usr/bin/runc-isolcpus").is_file())
    CONTAINERD_CONFIG.write_text(NODE_CONFIG)
    r = configure(s, "configure", "containerd", "--restart")
    s.require("runc-isolcpus-ctl configure containerd --restart", r.returncode == 0, r.stderr)
    s.check("configure copied the node's driver", "SystemdCgroup = true as the node's runc handler has it" in r.stdout,
            r.stdout)
    s.check("configure restarted containerd through systemd", "restarted containerd.service" in r.stdout, r.stdout)
    wait_for_containerd()
    handler = handlers().get("isolcpus", {})
    s.check_eq("containerd loaded the isolcpus handler with the systemd driver", True,
               handler.get("options", {}).get("SystemdCgroup"))
    s.check_eq("the handler runs the installed wrapper", "/usr/bin/runc-isolcpus",
               handler.get("options", {}).get("BinaryName"))
    again = configure(s, "configure", "containerd")
    s.check("a second configure changes nothing and says so", again.returncode == 0 and
            "nothing to change" in again.stdout, again.stdout + again.stderr)
    run(["ctr", "-n", "k8s.io", "images", "import", "--all-platforms", str(OPT / "images.tar")], timeout=300)
    s.info("containerd: " + run(["containerd", "--version"]).stdout.strip() + "; runc: " +
           run(["runc", "--version"]).stdout.splitlines()[0])
    s.info("systemd: " + run(["systemctl", "--version"]).stdout.splitlines()[0])


def installer(s: Scenario, action: str) -> subprocess.CompletedProcess:
    """packaging/kubernetes/install.sh as the DaemonSet runs it: the host's /
    at /host, the image's files under ISOLCPUS_SRC, host commands through
    nsenter into PID 1.  No API server here: the label step is switched off."""
    src = Path("/run/isolvm-installer")
    (src / "bin").mkdir(parents=True, exist_ok=True)
    for name in ("runc-isolcpus", "runc-isolcpus-ctl"):
        shutil.copy2(f"/usr/bin/{name}", src / "bin" / name)
    shutil.copy2("/etc/runc-isolcpus/config.toml", src / "config.toml")
    host = Path("/host")
    if not (host / "etc").is_dir():
        host.mkdir(exist_ok=True)
        # As a pod's hostPath mount: rslave, so nothing done under /host
        # (an unmount at shutdown) reaches the host's own mounts.
        run(["mount", "--rbind", "/", str(host)])
        run(["mount", "--make-rslave", str(host)])
    env = dict(os.environ, ISOLCPUS_HOST=str(host), ISOLCPUS_SRC=str(src), ISOLCPUS_ACTION=action,
               ISOLCPUS_RUNTIME="auto", ISOLCPUS_ONESHOT="1", ISOLCPUS_SET_LABEL="0", NODE_NAME="isolvm")
    r = subprocess.run(["sh", str(OPT / "install.sh")], env=env, capture_output=True, text=True, timeout=300)
    s.info("\n".join(f"install.sh {action} | {line}" for line in (r.stdout + r.stderr).splitlines()))
    return r


def sd_installer(s: Scenario) -> None:
    """The DaemonSet's installer on a systemd node: it installs the binaries,
    adds the handler with the node's driver through runc-isolcpus-ctl
    configure, restarts containerd; a Guaranteed pod of the handler is
    isolated; uninstall gives back the config byte for byte."""
    from kubelet import Kubelet

    s.expect_null_domains("before", [])
    r = configure(s, "unconfigure", "containerd", "--restart")
    s.require("start from the node without the handler", r.returncode == 0, r.stderr)
    wait_for_containerd()
    before = CONTAINERD_CONFIG.read_bytes()
    r = installer(s, "install")
    s.require("install.sh install", r.returncode == 0, r.stderr)
    wait_for_containerd()
    handler = handlers().get("isolcpus", {}).get("options", {})
    s.check_eq("the installed handler runs /usr/local/bin/runc-isolcpus", "/usr/local/bin/runc-isolcpus",
               handler.get("BinaryName"))
    s.check_eq("the installed handler has the node's systemd driver", True, handler.get("SystemdCgroup"))
    kubelet = Kubelet(Path("/var/log/pods"))
    kubelet.start()
    g = kubelet.run_pod("installed", "guaranteed", "isolcpus", OPT_IN, cpus=2)
    c = kubelet.add_container(g, "rt", "2-3", 2048)
    expect_isolated(s, "through the installed handler", [2, 3], c.id)
    kubelet.remove_pod(g)
    s.expect_null_domains("after the pod", [])
    r = installer(s, "uninstall")
    s.require("install.sh uninstall", r.returncode == 0, r.stderr)
    wait_for_containerd()
    s.check("uninstall restored /etc/containerd/config.toml byte for byte", CONTAINERD_CONFIG.read_bytes() == before)
    s.check("uninstall removed the binaries it installed",
            not Path("/usr/local/bin/runc-isolcpus").exists() and not Path("/usr/local/bin/runc-isolcpus-ctl").exists())
    # The DaemonSet's pod is gone, and its view of the host with it.
    run(["umount", "-R", "/host"])
    r = configure(s, "configure", "containerd", "--restart")
    s.require("the package's handler again for the scenarios after this one", r.returncode == 0, r.stderr)
    wait_for_containerd()
    s.expect_null_domains("after", [])


def sd_configure(s: Scenario) -> None:
    """unconfigure gives back the node's config byte for byte; --dry-run
    shows the change and writes nothing; configure puts it back."""
    s.expect_null_domains("before", [])
    # Written but not restarted (a restart that failed, or a run killed
    # before it): containerd keeps the old config until a run restarts it.
    started = containerd_started()
    r = configure(s, "unconfigure", "containerd")
    s.require("runc-isolcpus-ctl unconfigure containerd (no restart)", r.returncode == 0, r.stderr)
    s.check_eq("without --restart containerd keeps running", started, containerd_started())
    r = configure(s, "unconfigure", "containerd", "--restart")
    s.require("runc-isolcpus-ctl unconfigure containerd --restart", r.returncode == 0, r.stderr)
    s.check("with nothing to change, --restart still restarts a containerd older than the file",
            "nothing to change" in r.stdout and "restarting it" in r.stdout and "restarted containerd.service"
            in r.stdout and containerd_started() != started, r.stdout)
    wait_for_containerd()
    s.check("unconfigure restored /etc/containerd/config.toml byte for byte",
            CONTAINERD_CONFIG.read_bytes() == NODE_CONFIG.encode(), CONTAINERD_CONFIG.read_text())
    s.check("containerd no longer has the isolcpus handler", "isolcpus" not in handlers(), str(list(handlers())))
    r = configure(s, "configure", "containerd", "--dry-run")
    s.check("configure --dry-run prints the diff", r.returncode == 0 and "+    BinaryName = '/usr/bin/runc-isolcpus'"
            in r.stdout, r.stdout + r.stderr)
    s.check("configure --dry-run writes nothing", CONTAINERD_CONFIG.read_bytes() == NODE_CONFIG.encode())
    r = configure(s, "configure", "containerd", "--restart")
    s.require("configure --restart again", r.returncode == 0, r.stderr)
    wait_for_containerd()
    s.check("the handler is back", handlers().get("isolcpus", {}).get("options", {}).get("SystemdCgroup") is True)
    started = containerd_started()
    r = configure(s, "configure", "containerd", "--restart")
    s.check("a second configure --restart neither writes nor restarts",
            "nothing to change" in r.stdout and "restarted" not in r.stdout and containerd_started() == started,
            r.stdout)
    s.check("nothing configure leaves beside the config",
            sorted(p.name for p in CONTAINERD_CONFIG.parent.iterdir()) == ["config.toml"],
            str(sorted(p.name for p in CONTAINERD_CONFIG.parent.iterdir())))
    s.expect_null_domains("after", [])


def ledger_entries() -> list[dict]:
    if not LEDGER.exists():
        return []
    return json.loads(LEDGER.read_text()).get("entries", [])


def ctl(*args: str) -> subprocess.CompletedProcess:
    return run(["runc-isolcpus-ctl", *args], check=False)


def expect_isolated(s: Scenario, label: str, cpus: list[int], cid: str) -> None:
    s.expect_null_domains(label, cpus)
    entries = [e for e in ledger_entries() if e.get("container_id") == cid]
    s.check(f"{label}: the ledger holds {cid[:12]} isolated",
            len(entries) == 1 and entries[0].get("state") == "isolated", json.dumps(ledger_entries()))
    st = ctl("status")
    s.check(f"{label}: runc-isolcpus-ctl status exits 0", st.returncode == 0, st.stdout + st.stderr)
    ck = ctl("check")
    s.check(f"{label}: runc-isolcpus-ctl check exits 0", ck.returncode == 0, ck.stdout + ck.stderr)


def show_files(s: Scenario, what: str, kubelet, pod, c) -> dict[str, dict[str, str]]:
    scope = kubelet.scope_of(c, pod)
    levels = scope.split("/")
    files = {"/".join(levels[: i + 1]): cgroup_files("/".join(levels[: i + 1])) for i in range(len(levels))}
    for cg, f in files.items():
        s.info(f"{what}: {cg}: " + " ".join(f"{k}={v!r}" for k, v in f.items()))
    return files


def compare_files(s: Scenario, what: str, before: dict, after: dict) -> None:
    changed = [f"{cg} {k}: {before[cg][k]!r} -> {after[cg][k]!r}" for cg in before for k in before[cg]
               if before[cg][k] != after[cg][k] and "effective" not in k]
    s.info(f"{what}: " + ("systemd left every cpuset file of the isolated container and its slices as it was"
                          if not changed else "changed: " + "; ".join(changed)))
    s.check(f"{what}: the isolated container's cpuset files are unchanged", not changed, "; ".join(changed))


def sd_kubelet(s: Scenario) -> None:
    from kubelet import Kubelet

    kubelet = Kubelet(Path("/var/log/pods"))
    kubelet.start()
    s.expect_null_domains("before", [])
    # Burstable pods on the shared pool, one through the runc handler and one
    # through isolcpus without the opt-in (passed through, never isolated).
    b1 = kubelet.run_pod("burstable-runc", "burstable", "", {})
    kubelet.add_container(b1, "app", "0-3", 102)
    b2 = kubelet.run_pod("burstable-isolcpus", "burstable", "isolcpus", {})
    kubelet.add_container(b2, "app", "0-3", 102)
    be = kubelet.run_pod("besteffort", "besteffort", "", {})
    kubelet.add_container(be, "app", "0-3", 2)
    s.check("a pod of the isolcpus handler without the opt-in is not in the ledger", ledger_entries() == [],
            json.dumps(ledger_entries()))
    # The Guaranteed pod: the static policy takes CPUs 2-3 and shrinks the pool.
    g = kubelet.run_pod("latency", "guaranteed", "isolcpus", OPT_IN, cpus=2)
    kubelet.shared_pool_to("0-1", but=g)
    c = kubelet.add_container(g, "rt", "2-3", 2048)
    s.info(f"guaranteed container {c.id[:12]} in {kubelet.scope_of(c, g)}")
    expect_isolated(s, "during", [2, 3], c.id)
    files = show_files(s, "isolated", kubelet, g, c)

    for i in range(3):
        n = kubelet.reconcile_round()
        time.sleep(1)
    s.info(f"CPU manager reconcile: 3 rounds of unchanged UpdateContainerResources to {n} containers")
    expect_isolated(s, "after reconcile rounds", [2, 3], c.id)

    run(["systemctl", "daemon-reload"])
    expect_isolated(s, "after daemon-reload", [2, 3], c.id)
    compare_files(s, "daemon-reload", files, show_files(s, "after daemon-reload", kubelet, g, c))

    run(["systemctl", "restart", "containerd"], timeout=180)
    kubelet.reconnect()
    expect_isolated(s, "after containerd restart", [2, 3], c.id)
    s.check_eq("the isolated container still runs after the containerd restart", "CONTAINER_RUNNING",
               kubelet.cri.pb.ContainerState.Name(kubelet.cri.status(c.id).state))

    run(["systemd-run", "--unit=isolvm-other", "--property=AllowedCPUs=0-1", "sleep", "100000"])
    run(["systemctl", "set-property", "--runtime", "isolvm-other.service", "AllowedCPUs=0-3"])
    s.info("unrelated unit: " + " ".join(f"{k}={v!r}" for k, v in
                                         cgroup_files("system.slice/isolvm-other.service").items()))
    expect_isolated(s, "after an unrelated unit's AllowedCPUs=0-3", [2, 3], c.id)
    compare_files(s, "AllowedCPUs", files, show_files(s, "after AllowedCPUs", kubelet, g, c))
    run(["systemctl", "stop", "isolvm-other.service"], check=False)

    kubelet.remove_pod(g)
    s.expect_null_domains("after the guaranteed pod", [])
    s.check("the ledger is empty once the pod is gone", ledger_entries() == [], json.dumps(ledger_entries()))
    left = exclusive_leftovers()
    s.check("nothing is left: no exclusive CPUs or partition (v2), every cpuset balancing (v1)", not left,
            "; ".join(left))
    for pod in list(kubelet.pods):
        kubelet.remove_pod(pod)
    st = ctl("status")
    s.check("runc-isolcpus-ctl status exits 0 at the end", st.returncode == 0, st.stdout + st.stderr)
    s.expect_null_domains("after", [])


def init_pid(cid: str) -> int:
    state = json.loads(Path(f"/run/containerd/runc/k8s.io/{cid}/state.json").read_text())
    return int(state["init_process_pid"])


def sd_kubelet_restarts(s: Scenario) -> None:
    """Container restarts as the kubelet does them, on the same CPUs."""
    from kubelet import Kubelet

    kubelet = Kubelet(Path("/var/log/pods-restarts"))
    kubelet.start()
    s.expect_null_domains("before", [])
    g = kubelet.run_pod("restarts", "guaranteed", "isolcpus", OPT_IN, cpus=2)
    # An init container runs to completion on the pod's CPUs, then the app.
    init = kubelet.add_container(g, "init", "2-3", 2048, ["true"])
    s.check_eq("the init container exits 0", 0, kubelet.wait_exited(init))
    app = kubelet.add_container(g, "app", "2-3", 2048, ["sh", "-c", "sleep 4; exit 3"])
    expect_isolated(s, "app after its init container", [2, 3], app.id)
    # The app crashes; the kubelet starts attempt 1 as a new container id on
    # the same CPUs while the exited one is not yet removed.
    s.check_eq("the app crashes with its exit status", 3, kubelet.wait_exited(app))
    again = kubelet.add_container(g, "app", "2-3", 2048)
    expect_isolated(s, "restarted app while the crashed one is not removed", [2, 3], again.id)
    kubelet.remove_container(g, app)
    kubelet.remove_container(g, init)
    expect_isolated(s, "restarted app after the exited ones are removed", [2, 3], again.id)
    # SIGKILL, no delete: the next wrapper call or reconcile gives the CPUs back.
    os.kill(init_pid(again.id), signal.SIGKILL)
    kubelet.wait_exited(again)
    r = ctl("reconcile")
    s.check("runc-isolcpus-ctl reconcile after a SIGKILL exits 0", r.returncode == 0, r.stdout + r.stderr)
    s.expect_null_domains("after SIGKILL and reconcile", [])
    s.check("the ledger is empty after the killed container's reconcile", ledger_entries() == [],
            json.dumps(ledger_entries()))
    kubelet.remove_pod(g)
    left = exclusive_leftovers()
    s.check("nothing is left: no exclusive CPUs or partition (v2), every cpuset balancing (v1)", not left,
            "; ".join(left))
    s.expect_null_domains("after", [])


def make_bundle(path: Path, cpus: str, shares: int, cgroups_path: str) -> Path:
    """A busybox bundle from `runc spec`, pinned to `cpus` with the shares
    of whole CPUs (what makes it eligible) and opted in."""
    rootfs = path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    for d in ("proc", "sys", "dev", "tmp"):
        (rootfs / d).mkdir()
    (rootfs / "bin" / "busybox").write_bytes((OPT / "busybox").read_bytes())
    (rootfs / "bin" / "busybox").chmod(0o755)
    (rootfs / "bin" / "sleep").symlink_to("busybox")
    run(["runc", "spec", "--bundle", str(path)])
    spec = json.loads((path / "config.json").read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["sleep", "100000"]
    spec["annotations"] = dict(OPT_IN)
    spec["linux"]["cgroupsPath"] = cgroups_path
    spec["linux"].setdefault("resources", {})["cpu"] = {"cpus": cpus, "shares": shares}
    (path / "config.json").write_text(json.dumps(spec))
    return path


def sd_reconcile_timer(s: Scenario) -> None:
    """The package's reconcile timer gives back the CPUs of a container
    killed without a delete, with no other call on the node."""
    timer = "runc-isolcpus-reconcile.timer"
    s.check_eq("dpkg enabled the reconcile timer", "enabled",
               run(["systemctl", "is-enabled", timer], check=False).stdout.strip())
    s.check_eq("the reconcile timer runs", "active", run(["systemctl", "is-active", timer], check=False).stdout.strip())
    # One period is a minute on a node; ten seconds here.
    dropin = Path(f"/run/systemd/system/{timer}.d")
    dropin.mkdir(parents=True, exist_ok=True)
    # An empty On*Sec= resets every trigger of the timer, so once, first.
    (dropin / "isolvm.conf").write_text("[Timer]\nOnActiveSec=\nOnActiveSec=10s\nOnBootSec=10s\nOnUnitActiveSec=10s\n")
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "restart", timer])
    s.expect_null_domains("before", [])
    bundle = make_bundle(Path("/run/isolvm-bundle"), "2-3", 2048, "system.slice:isolvm:timer-test")
    # The detached container keeps its stdio: a pipe would never see EOF.
    err = Path("/run/isolvm-run.err")
    with open(os.devnull, "r+b") as null, open(err, "wb") as errf:
        r = subprocess.run(["runc-isolcpus", "--systemd-cgroup", "run", "-d", "--bundle", str(bundle), "timer-test"],
                           stdin=null, stdout=null, stderr=errf, timeout=120)
    s.require("runc-isolcpus --systemd-cgroup run -d starts the container", r.returncode == 0, err.read_text())
    expect_isolated(s, "during", [2, 3], "timer-test")
    pid = int(json.loads(run(["runc", "state", "timer-test"]).stdout)["pid"])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 35
    while ledger_entries() and time.monotonic() < deadline:
        time.sleep(0.5)
    s.check("the timer's reconcile gave the killed container's CPUs back within 3 periods", ledger_entries() == [],
            json.dumps(ledger_entries()))
    s.info("reconcile service: " + run(["systemctl", "show", "-p", "ExecMainStartTimestamp,Result",
                                     "runc-isolcpus-reconcile.service"]).stdout.replace("\n", " "))
    if ledger_entries():
        s.info(run(["systemctl", "status", "--no-pager", timer, "runc-isolcpus-reconcile.service"],
                   check=False).stdout)
    s.expect_null_domains("after", [])
    run(["runc", "delete", "--force", "timer-test"], check=False)
    left = exclusive_leftovers()
    s.check("nothing is left: no exclusive CPUs or partition (v2), every cpuset balancing (v1)", not left,
            "; ".join(left))


CRUN_CONFIG = Path("/etc/runc-isolcpus/crun.toml")


def crun_wrapper(*args: str, journal: bool = False) -> subprocess.CompletedProcess:
    """runc-isolcpus with runtime = crun (no --root: crun's own /run/crun),
    stdio on /dev/null as a detached container needs; logging to the
    journal when asked."""
    text = Path("/etc/runc-isolcpus/config.toml").read_text()
    text = re.sub(r'(?m)^log_level = .*$', 'log_level = "debug"', text)
    text = re.sub(r'(?m)^log_target = .*$', f'log_target = "{"journal" if journal else "file"}"', text)
    CRUN_CONFIG.write_text(re.sub(r'(?m)^runtime = .*$', 'runtime = "/usr/bin/crun"', text))
    env = dict(os.environ, RUNC_ISOLCPUS_CONFIG=str(CRUN_CONFIG))
    err = Path("/run/isolvm-crun.err")
    with open(os.devnull, "r+b") as null, open(err, "wb") as errf:
        r = subprocess.run(["runc-isolcpus", *args], stdin=null, stdout=null, stderr=errf, env=env, timeout=120)
    return subprocess.CompletedProcess(r.args, r.returncode, "", err.read_text())


def own_cgroup(pid: int) -> str:
    """The process's cgroup in the hierarchy the wrapper isolates."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if (V2 and controllers == "") or (not V2 and "cpuset" in controllers.split(",")):
            return path
    raise Fatal(f"no cpuset cgroup for pid {pid}")


def expect_crun_isolated(s: Scenario, label: str, cid: str, want_cgroup: str) -> None:
    failures = s.failures
    try:
        check_crun_isolated(s, label, cid, want_cgroup)
    finally:
        if s.failures != failures:
            log = Path("/var/log/runc-isolcpus.log")
            s.info("\n".join(f"log | {line}" for line in log.read_text().splitlines()[-40:]) if log.exists()
                   else "no wrapper log")


def check_crun_isolated(s: Scenario, label: str, cid: str, want_cgroup: str) -> None:
    pid = int(json.loads(run(["crun", "state", cid]).stdout)["pid"])
    cgroup = own_cgroup(pid)
    s.check_eq(f"{label}: crun runs {cid}'s init in", want_cgroup, cgroup)
    expect_isolated(s, label, [2, 3], cid)
    # v2: the scope (systemd resets the subgroup's cpuset files when it
    # starts the unit); v1: the init's own cpuset.
    levels = cgroup.strip("/").split("/")
    isolated = "/".join(levels[: next(i for i, x in enumerate(levels) if x.endswith(".scope")) + 1]) if V2 \
        else cgroup.strip("/")
    entry = next((e for e in ledger_entries() if e.get("container_id") == cid), {})
    s.check_eq(f"{label}: the ledger isolated", isolated, (entry.get("isolation") or {}).get("cgroup"))
    for i in range(len(levels)):
        level = "/".join(levels[: i + 1])
        s.info(f"{label}: {level}: " + " ".join(f"{k}={v!r}" for k, v in cgroup_files(level).items()))
    files = cgroup_files(isolated)
    if V2:
        s.check_eq(f"{label}: {isolated} is an isolated partition", "isolated", files["cpuset.cpus.partition"])
        s.check_eq(f"{label}: the init's cgroup has CPUs 2-3 alone", "2-3",
                   cgroup_files(cgroup)["cpuset.cpus.effective"])
    else:
        s.check_eq(f"{label}: {isolated} does not balance", "0", files["cpuset.sched_load_balance"])
    r = ctl("reconcile")
    s.check(f"{label}: reconcile keeps the live crun container isolated",
            r.returncode == 0 and any(e.get("container_id") == cid and e.get("state") == "isolated"
                                      for e in ledger_entries()), r.stdout + r.stderr)


def crun_gone(s: Scenario, label: str, cid: str) -> None:
    r = crun_wrapper("--cgroup-manager=systemd", "delete", "--force", cid)
    s.check(f"{label}: the wrapper deletes {cid} through crun", r.returncode == 0, r.stderr)
    # delete --force gives the CPUs back and keeps the entry until crun has
    # killed the container: the exit watcher drops it once crun exits.
    deadline = time.monotonic() + 15
    while any(e.get("container_id") == cid for e in ledger_entries()) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [e for e in ledger_entries() if e.get("container_id") == cid]
    s.check(f"{label}: the ledger let {cid} go", not left, json.dumps(left))
    s.expect_null_domains(label, [])
    left = exclusive_leftovers()
    s.check(f"{label}: nothing is left (no exclusive CPUs or partition; every cpuset balancing)", not left,
            "; ".join(left))


def crun_quota_lifted(s: Scenario, label: str) -> None:
    """Every level crun's container runs under, from the pod's slice down to
    its subgroup, without a CFS limit (crun may write the limit at any)."""
    root = Path("/sys/fs/cgroup") if V2 else Path("/sys/fs/cgroup/cpu,cpuacct")
    name = "cpu.max" if V2 else "cpu.cfs_quota_us"
    levels = ["kubepods.slice/kubepods-podcrun1.slice", "kubepods.slice/kubepods-podcrun1.slice/crio-crun-cs.scope",
              "kubepods.slice/kubepods-podcrun1.slice/crio-crun-cs.scope/payload"]
    quotas = {lv.rsplit("/", 1)[1]: (root / lv / name).read_text().strip() if (root / lv / name).exists() else None
              for lv in levels}
    s.info(f"{label}: {name} {quotas}")
    limited = {k: v for k, v in quotas.items() if v is not None and not (v.startswith("max") or v == "-1")}
    s.check(f"{label}: no CFS limit from the pod's slice down to crun's subgroup", not limited, str(limited))


def sd_crun(s: Scenario) -> None:
    """crun (bookworm's 1.8.1) with its systemd cgroup manager, as podman and
    CRI-O drive it: crun names its scope crun-<id>.scope (runc:
    runc-<id>.scope) and runs the workload in the scope's "container"
    subgroup (annotation run.oci.systemd.subgroup).  `run` must isolate that
    subgroup before crun starts, and create/start the cgroup crun chose."""
    s.info(run(["crun", "--version"]).stdout.splitlines()[0])
    s.expect_null_domains("before", [])
    for n in range(3):
        cid = f"crun-run{n}"
        bundle = make_bundle(Path(f"/run/isolvm-{cid}"), "2-3", 2048, "")
        r = crun_wrapper("--cgroup-manager=systemd", "run", "-d", "--bundle", str(bundle), cid)
        s.require("runc-isolcpus --cgroup-manager=systemd run -d (runtime crun, empty cgroupsPath)",
                  r.returncode == 0, r.stderr)
        expect_crun_isolated(s, f"run{n}", cid, f"/system.slice/crun-{cid}.scope/container")
        crun_gone(s, f"run{n}-after", cid)

    bundle = make_bundle(Path("/run/isolvm-crun-cs"), "2-3", 2048, "kubepods-podcrun1.slice:crio:crun-cs")
    spec = json.loads((bundle / "config.json").read_text())
    spec["annotations"]["run.oci.systemd.subgroup"] = "payload"
    # cpu-quota too: crun's subgroup, its scope and the pod's slice all lose their limit.
    spec["annotations"]["cpu-quota.crio.io"] = "disable"
    spec["linux"]["resources"]["cpu"].update({"quota": 200000, "period": 100000})
    (bundle / "config.json").write_text(json.dumps(spec))
    r = crun_wrapper("--cgroup-manager=systemd", "create", "--bundle", str(bundle), "crun-cs", journal=True)
    s.require("runc-isolcpus --cgroup-manager=systemd create (runtime crun)", r.returncode == 0, r.stderr)
    r = crun_wrapper("--cgroup-manager=systemd", "start", "crun-cs", journal=True)
    s.require("runc-isolcpus --cgroup-manager=systemd start (runtime crun)", r.returncode == 0, r.stderr)
    # log_target = "journal": the lines are journald's, the container a field.
    run(["journalctl", "--sync"], check=False)
    entries = [json.loads(line) for line in run(["journalctl", "-o", "json", "SYSLOG_IDENTIFIER=runc-isolcpus",
                                                 "CONTAINER_ID=crun-cs"]).stdout.splitlines() if line.strip()]
    s.info("journal: " + " | ".join(f"{e.get('RUNC_ISOLCPUS_CALL')}: {e.get('MESSAGE')}" for e in entries))
    s.check("the journal has the isolation, with CONTAINER_ID=crun-cs",
            any("isolated CPUs 2-3 of container crun-cs" in str(e.get("MESSAGE")) and
                e.get("RUNC_ISOLCPUS_CALL") == "start crun-cs" for e in entries), json.dumps(entries)[:2000])
    expect_crun_isolated(s, "create-start", "crun-cs",
                         "/kubepods.slice/kubepods-podcrun1.slice/crio-crun-cs.scope/payload")
    crun_quota_lifted(s, "create-start")
    # systemd rewrites its units' cgroup files on a reload: the isolation stays.
    run(["systemctl", "daemon-reload"])
    expect_crun_isolated(s, "after daemon-reload", "crun-cs",
                         "/kubepods.slice/kubepods-podcrun1.slice/crio-crun-cs.scope/payload")
    crun_gone(s, "create-start-after", "crun-cs")


def cmdline_param(name: str, default: str) -> str:
    """isolvm.<name>=VALUE from the kernel command line (run-guest sets them)."""
    for word in Path("/proc/cmdline").read_text().split():
        if word.startswith(f"isolvm.{name}="):
            return word.split("=", 1)[1]
    return default


def boot_number() -> int:
    return int(cmdline_param("boot", "1"))


REBOOT_FLAG = Path("/run/isolvm-reboot")  # isolvm.service reboots instead of powering off


def sd_reboot(s: Scenario) -> bool:
    """A node rebooted with a pod isolated.  The ledger lives on /run (a
    tmpfs) and the kernel forgets its partitions, so after the boot nothing
    may be isolated and the ledger must be empty; containerd's state lives
    on a disk (/var/lib/containerd on /dev/vda, as on a node), so the
    kubelet finds the old pod and cleans it up through the wrapper, and a
    new pod on the same CPUs is isolated again.  Returns True when it asked
    for the reboot (run-guest boots the guest again, isolvm.boot=2)."""
    from kubelet import Kubelet

    disk = run(["findmnt", "-n", "-o", "SOURCE", "/var/lib/containerd"], check=False).stdout.strip()
    s.require("containerd's state is on the disk (/dev/vda at /var/lib/containerd)", disk == "/dev/vda", disk)
    kubelet = Kubelet(Path("/var/log/pods"))
    kubelet.start()
    if boot_number() == 1:
        s.expect_null_domains("before", [])
        g = kubelet.run_pod("reboot-latency", "guaranteed", "isolcpus", OPT_IN, cpus=2)
        c = kubelet.add_container(g, "rt", "2-3", 2048)
        expect_isolated(s, "before the reboot", [2, 3], c.id)
        if s.failures:
            return False
        s.info(f"rebooting with pod {g.id[:12]} and container {c.id[:12]} isolated on CPUs 2-3")
        REBOOT_FLAG.touch()
        mark("REBOOT", s.name)
        return True
    after_reboot(s, kubelet)
    return False


def after_reboot(s: Scenario, kubelet) -> None:
    """Only containerd's state survived (the guest's / is made afresh each
    boot, so the ledger's claim rests on its directory being a tmpfs)."""
    s.info(f"boot {boot_number()}: up {Path('/proc/uptime').read_text().split()[0]}s")
    # Made by the first call that needs it: until then its nearest parent.
    where = LEDGER.parent
    while not where.exists():
        where = where.parent
    fstype = run(["findmnt", "-n", "-o", "FSTYPE", "-T", str(where)], check=False).stdout.strip()
    s.check_eq(f"the ledger's directory is on a tmpfs, as on a node ({where})", "tmpfs", fstype)
    s.expect_null_domains("after the reboot", [])
    s.check("after the reboot the ledger is empty", ledger_entries() == [], json.dumps(ledger_entries()))
    left = exclusive_leftovers()
    s.check("after the reboot no CPU is exclusive and no partition exists", not left, "; ".join(left))
    r = ctl("reconcile")
    s.check("the first reconcile after the boot exits 0 and leaves the ledger empty",
            r.returncode == 0 and ledger_entries() == [], r.stdout + r.stderr)
    old = [p for p in kubelet.cri.list_pods() if p.metadata.name == "reboot-latency"]
    s.require("containerd kept the old pod on its disk", len(old) == 1, str(kubelet.cri.list_pods()))
    pb = kubelet.cri.pb
    s.check_eq("the old pod is not ready after the reboot", "SANDBOX_NOTREADY", pb.PodSandboxState.Name(old[0].state))
    old_containers = list(kubelet.cri.list_containers(old[0].id))
    # The kubelet starts the new pod first and collects the old one after.
    g = kubelet.run_pod("reboot-latency", "guaranteed", "isolcpus", OPT_IN, cpus=2)
    c = kubelet.add_container(g, "rt", "2-3", 2048)
    expect_isolated(s, "a new pod after the reboot", [2, 3], c.id)
    for oc in old_containers:
        s.info(f"old container {oc.id[:12]} {oc.metadata.name}: {pb.ContainerState.Name(oc.state)}")
        # runc has no state for it any more: the wrapper must answer as runc.
        direct = run(["runc", "--root", "/run/containerd/runc/k8s.io", "delete", oc.id], check=False)
        wrapped = run(["runc-isolcpus", "--root", "/run/containerd/runc/k8s.io", "delete", oc.id], check=False)
        untimed = [re.sub(r'time="[^"]*" ', "", r.stderr) for r in (direct, wrapped)]
        s.check("a delete of an id the wrapper no longer knows passes through: runc's exit status and stderr",
                wrapped.returncode == direct.returncode and untimed[0] == untimed[1],
                f"runc: {direct.returncode} {direct.stderr!r}; wrapper: {wrapped.returncode} {wrapped.stderr!r}")
        kubelet.cri.stop(oc.id)
        kubelet.cri.remove(oc.id)
    kubelet.cri.stop_pod(old[0].id)
    kubelet.cri.remove_pod(old[0].id)
    s.check("the kubelet removed the old pod", not [p for p in kubelet.cri.list_pods() if p.id == old[0].id])
    expect_isolated(s, "the new pod after the old one is removed", [2, 3], c.id)
    kubelet.remove_pod(g)
    s.check("the ledger is empty once the new pod is gone", ledger_entries() == [], json.dumps(ledger_entries()))
    left = exclusive_leftovers()
    s.check("nothing is left after the new pod", not left, "; ".join(left))
    s.expect_null_domains("after", [])


from tunings import sd_irqbalance_file, sd_tunings  # noqa: E402

SCENARIOS = {"sd_kubelet": sd_kubelet, "sd_kubelet_restarts": sd_kubelet_restarts, "sd_tunings": sd_tunings,
             "sd_irqbalance_file": sd_irqbalance_file,
             "sd_reconcile_timer": sd_reconcile_timer, "sd_crun": sd_crun, "sd_configure": sd_configure,
             "sd_installer": sd_installer, "sd_reboot": sd_reboot}


def cmdline_scenarios() -> list[str]:
    return [x for x in cmdline_param("scenarios", "").split(",") if x]


def run_one(name: str, fn) -> bool:
    """Runs one scenario; True when it asked for a reboot (its RESULT comes
    from the next boot)."""
    s = Scenario(name)
    mark("BEGIN", name)
    try:
        if fn(s) is True:
            return True
    except Fatal as e:
        s.check(f"FATAL: {e}", False)
    except Exception:
        s.check("FATAL: the scenario raised", False, traceback.format_exc().replace("\n", " | "))
    mark("RESULT", name, "PASS" if s.failures == 0 else "FAIL")
    return False


def main() -> None:
    names = cmdline_scenarios()
    mark("INFO", "guest", f"systemd guest up after {Path('/proc/uptime').read_text().split()[0]}s; scenarios {names}")
    boot = Scenario("setup")
    try:
        setup(boot)
        ok = boot.failures == 0
    except Exception as e:
        boot.check(f"FATAL: setup: {e}", False, traceback.format_exc().replace("\n", " | "))
        ok = False
    rebooting = False
    for name in names:
        if rebooting:
            mark("RESULT", name, "FAIL")
            mark("INFO", name, "named after a scenario that reboots the guest: put it before")
        elif name not in SCENARIOS:
            mark("RESULT", name, "FAIL")
            mark("INFO", name, f"unknown scenario; known: {sorted(SCENARIOS)}")
        elif not ok:
            mark("RESULT", name, "FAIL")
        else:
            rebooting = run_one(name, SCENARIOS[name])
    if not rebooting:
        mark("DONE")


if __name__ == "__main__":
    main()
