"""Offline checks of packaging/kubernetes (no cluster, no kubeconform): every
YAML parses, has the fields its kind needs, names are DNS labels, example pods
are Guaranteed with whole CPUs, and the handler / label names agree across the
RuntimeClass, the runtime drop-ins and the installer.  The installer script
itself is run against a scratch host root with fake nsenter/curl."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

try:
    import yaml
except ImportError:  # pragma: no cover
    pytest.fail("python3-yaml missing: apt-get install -y python3-yaml", pytrace=False)

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")

API_VERSIONS = {
    "RuntimeClass": "node.k8s.io/v1",
    "Namespace": "v1",
    "ServiceAccount": "v1",
    "Pod": "v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "DaemonSet": "apps/v1",
    "Deployment": "apps/v1",
}
NAMESPACED = {"ServiceAccount", "Pod", "DaemonSet", "Deployment"}
# Names that must be DNS labels (RFC 1123); RBAC names may be subdomains.
LABEL_NAMED = {"RuntimeClass", "Namespace", "ServiceAccount", "Pod", "DaemonSet", "Deployment"}


@pytest.fixture(scope="module")
def k8s_dir(source_dir) -> Path:
    d = source_dir / "packaging" / "kubernetes"
    assert d.is_dir(), f"{d} missing"
    return d


@pytest.fixture(scope="module")
def docs(k8s_dir) -> list[tuple[Path, dict]]:
    out = []
    for f in sorted(k8s_dir.rglob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc is not None:
                out.append((f, doc))
    assert out, "no manifests found"
    return out


def of_kind(docs, kind):
    return [d for _, d in docs if d["kind"] == kind]


def check_label_key(key: str):
    prefix, _, name = key.rpartition("/")
    assert LABEL_NAME.match(name), f"label name {name!r} invalid"
    if prefix:
        assert DNS_SUBDOMAIN.match(prefix), f"label prefix {prefix!r} invalid"


def test_every_document_is_well_formed(docs):
    for f, d in docs:
        kind = d.get("kind")
        assert kind in API_VERSIONS, f"{f}: unexpected kind {kind!r}"
        assert d.get("apiVersion") == API_VERSIONS[kind], f"{f}: {kind} needs apiVersion {API_VERSIONS[kind]}"
        name = d["metadata"]["name"]
        pattern = DNS_LABEL if kind in LABEL_NAMED else DNS_SUBDOMAIN
        assert pattern.match(name), f"{f}: {kind} name {name!r} is not a DNS label/subdomain"
        if kind in NAMESPACED:
            assert DNS_LABEL.match(d["metadata"].get("namespace", "")), f"{f}: {kind} {name} needs a namespace"
        for key in d["metadata"].get("labels", {}) or {}:
            check_label_key(key)


def test_runtimeclass(docs):
    (rc,) = of_kind(docs, "RuntimeClass")
    assert DNS_LABEL.match(rc["handler"]), "the handler must be a DNS label"
    selector = rc["scheduling"]["nodeSelector"]
    assert len(selector) == 1
    for key, value in selector.items():
        check_label_key(key)
        assert value == "true"


def containerd_handlers(source_dir) -> set[str]:
    names = set()
    for f in (source_dir / "packaging" / "containerd").glob("*.toml"):
        doc = tomllib.loads(f.read_text())
        plugins = doc["plugins"]
        if "io.containerd.grpc.v1.cri" in plugins:
            runtimes = plugins["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
        else:
            runtimes = plugins["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
        names.update(runtimes)
    return names


def test_handler_matches_runtime_dropins(docs, source_dir):
    (rc,) = of_kind(docs, "RuntimeClass")
    handlers = containerd_handlers(source_dir)
    assert handlers, "no containerd drop-in found in packaging/containerd"
    assert handlers == {rc["handler"]}, f"containerd declares {handlers}, RuntimeClass wants {rc['handler']}"
    crio = (source_dir / "packaging" / "crio" / "10-isolcpus.conf").read_text()
    crio_handlers = set(re.findall(r"^\[crio\.runtime\.runtimes\.([^\]]+)\]", crio, re.M))
    assert crio_handlers == {rc["handler"]}


def test_nodeselector_label_is_what_the_installer_sets(docs, k8s_dir):
    (rc,) = of_kind(docs, "RuntimeClass")
    (key,) = rc["scheduling"]["nodeSelector"]
    script = (k8s_dir / "install.sh").read_text()
    default = re.search(r"^LABEL_KEY=\$\{ISOLCPUS_LABEL:-([^}]+)\}", script, re.M)
    assert default and default.group(1) == key
    (ds,) = of_kind(docs, "DaemonSet")
    env = {e["name"]: e for e in ds["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ISOLCPUS_LABEL"]["value"] == key
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert env["ISOLCPUS_ACTION"]["value"] in ("install", "uninstall")


def test_daemonset(docs):
    (ds,) = of_kind(docs, "DaemonSet")
    spec = ds["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    pod = spec["template"]["spec"]
    assert pod["hostPID"] is True
    c = pod["containers"][0]
    assert c["securityContext"]["privileged"] is True
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    assert mounts["host"] == "/host" and vols["host"]["hostPath"]["path"] == "/"
    sa = [d for _, d in docs if d["kind"] == "ServiceAccount"]
    assert pod["serviceAccountName"] in {s["metadata"]["name"] for s in sa}
    (role,) = of_kind(docs, "ClusterRole")
    assert {"get", "patch"} <= set(role["rules"][0]["verbs"]) and role["rules"][0]["resources"] == ["nodes"]
    (binding,) = of_kind(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == pod["serviceAccountName"]


def cpu_whole(q) -> bool:
    return isinstance(q, (int, str)) and re.fullmatch(r"[1-9][0-9]*", str(q)) is not None


def example_pod_specs(docs):
    for f, d in docs:
        if "examples" not in f.parts:
            continue
        if d["kind"] == "Pod":
            yield f, d["metadata"], d["spec"]
        elif d["kind"] == "Deployment":
            yield f, d["spec"]["template"]["metadata"], d["spec"]["template"]["spec"]


def test_examples_are_guaranteed_whole_cpus_opted_in(docs):
    (rc,) = of_kind(docs, "RuntimeClass")
    examples = list(example_pod_specs(docs))
    assert examples, "no example pods"
    for f, meta, spec in examples:
        assert spec["runtimeClassName"] == rc["metadata"]["name"], f
        assert meta["annotations"]["cpu-load-balancing.crio.io"] == "disable", f
        names = {c["name"] for c in spec["containers"]}
        for key, value in meta["annotations"].items():
            if key.startswith("cpu-load-balancing.crio.io/"):
                assert key.split("/", 1)[1] in names, f"{f}: {key} names no container"
                assert value in ("disable", "enable")
        for c in spec["containers"]:
            assert DNS_LABEL.match(c["name"])
            req, lim = c["resources"]["requests"], c["resources"]["limits"]
            assert req == lim, f"{f}: {c['name']} requests != limits: not Guaranteed"
            assert cpu_whole(req["cpu"]), f"{f}: {c['name']} cpu {req['cpu']!r} is not a whole number"
            assert "memory" in req


def test_containerfile_copies_what_installer_uses(k8s_dir, source_dir):
    cf = (k8s_dir / "Containerfile").read_text()
    script = (k8s_dir / "install.sh").read_text()
    for needed in ("bin/runc-isolcpus", "bin/runc-isolcpus-ctl", "config.toml", "crio/", "install.sh"):
        assert f"/opt/runc-isolcpus/{needed}" in cf, needed
    for src in re.findall(r"^COPY (\S+) ", cf, re.M):
        if not src.startswith("build"):
            assert (source_dir / src).exists(), f"Containerfile copies {src}, which is not in the repository"
    # containerd's handler is written by the node's own ctl, not from tables.
    assert "$SRC/containerd/" not in script and "configure containerd" in script
    assert "$SRC/crio/10-isolcpus.conf" in script


# --- the installer against a scratch host ------------------------------------


@pytest.fixture
def fake_node(tmp_path, k8s_dir, source_dir, wrapper):
    host = tmp_path / "host"
    (host / "etc").mkdir(parents=True)
    (host / "run").mkdir()
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    os.symlink(wrapper, src / "bin" / "runc-isolcpus")
    os.symlink(wrapper.with_name("runc-isolcpus-ctl"), src / "bin" / "runc-isolcpus-ctl")
    (src / "config.toml").write_bytes((source_dir / "examples" / "config.toml").read_bytes())
    os.symlink(source_dir / "packaging" / "crio", src / "crio")
    shims = tmp_path / "shims"
    shims.mkdir()
    calls = tmp_path / "calls.log"
    # nsenter: runs the host command inside the scratch root's view (records
    # systemctl; answers containerd --version; runs the ctl from the scratch root).
    (shims / "nsenter").write_text(f"""#!/bin/sh
while [ "$1" != "--" ]; do shift; done; shift
echo "host $*" >> {calls}
case "$1" in
  systemctl) exit 0 ;;
  containerd) echo "containerd containerd.io ${{FAKE_CONTAINERD_VERSION:-1.6.20}} abc"; exit 0 ;;
  /usr/local/bin/runc-isolcpus-ctl) shift
    # The host's /etc is the scratch root's; backups go beside it; the
    # restart (sd-bus, this machine's systemd) is recorded, not done.
    for a in "$@"; do shift; case "$a" in /etc/*) set -- "$@" "{host}$a" ;; --restart) ;; *) set -- "$@" "$a" ;; esac; done
    case "$1" in configure|unconfigure) set -- "$@" --backup-dir {tmp_path}/backups ;; esac
    exec {host}/usr/local/bin/runc-isolcpus-ctl --config {tmp_path}/cfg.toml "$@" ;;
esac
exit 1
""")
    (shims / "curl").write_text(f"""#!/bin/sh
echo "curl $*" >> {calls}
""")
    for s in shims.iterdir():
        s.chmod(0o755)
    (tmp_path / "cfg.toml").write_text(f'state_dir = "{tmp_path}/state"\nlog_file = "{tmp_path}/log"\n'
                                       'min_housekeeping_cpus = 1\nv1_manage_root_flag = true\n')
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("tok")
    (sa / "ca.crt").write_text("ca")
    env = {"ISOLCPUS_SA_DIR": str(sa), **os.environ, "PATH": f"{shims}:{os.environ['PATH']}", "ISOLCPUS_HOST": str(host),
           "ISOLCPUS_SRC": str(src), "ISOLCPUS_ONESHOT": "1", "NODE_NAME": "node-a",
           "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}

    def run(action, runtime, **extra):
        e = {**env, "ISOLCPUS_ACTION": action, "ISOLCPUS_RUNTIME": runtime, **extra}
        return subprocess.run(["sh", str(k8s_dir / "install.sh")], env=e, capture_output=True, text=True,
                              timeout=60)

    class Node:
        pass

    n = Node()
    n.host, n.run, n.calls = host, run, calls
    n.log = lambda: calls.read_text() if calls.exists() else ""
    return n


def test_installer_containerd1_roundtrip(fake_node):
    cfg = fake_node.host / "etc/containerd/config.toml"
    cfg.parent.mkdir(parents=True)
    original = ('version = 2\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
                '  runtime_type = "io.containerd.runc.v2"\n'
                '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n    SystemdCgroup = true\n')
    cfg.write_text(original)
    res = fake_node.run("install", "containerd")
    assert res.returncode == 0, res.stderr
    binary = fake_node.host / "usr/local/bin/runc-isolcpus"
    assert binary.is_file() and os.access(binary, os.X_OK)
    ctl = fake_node.host / "usr/local/bin/runc-isolcpus-ctl"
    assert ctl.is_file() and not ctl.is_symlink() and os.access(ctl, os.X_OK)
    assert (fake_node.host / "etc/runc-isolcpus/config.toml").is_file()
    merged = tomllib.loads(cfg.read_text())
    runtimes = merged["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    assert set(runtimes) == {"runc", "isolcpus"}
    assert runtimes["isolcpus"]["options"]["BinaryName"] == "/usr/local/bin/runc-isolcpus"
    # The node's runc uses the systemd driver, so the handler does too.
    assert runtimes["isolcpus"]["options"]["SystemdCgroup"] is True
    # configure restarts containerd itself (sd-bus), when the file changed or
    # containerd still runs an older config.
    assert "host /usr/local/bin/runc-isolcpus-ctl configure containerd --restart" in fake_node.log()
    assert "host /usr/local/bin/runc-isolcpus-ctl check" in fake_node.log()
    # This host's check passes with the test config: the node gets labelled.
    assert '{"metadata":{"labels":{"runc-isolcpus.io/ready":"true"}}}' in fake_node.log(), res.stderr
    assert "/api/v1/nodes/node-a" in fake_node.log()

    # Second run: nothing changes, no restart.
    before = cfg.read_text()
    fake_node.calls.unlink()
    fake_node.run("install", "containerd")
    assert cfg.read_text() == before
    assert "systemctl" not in fake_node.log()

    fake_node.calls.unlink()
    res = fake_node.run("uninstall", "containerd")
    assert res.returncode == 0, res.stderr
    assert cfg.read_text() == original
    assert not binary.exists() and not (fake_node.host / "usr/local/bin/runc-isolcpus-ctl").exists()
    assert "host /usr/local/bin/runc-isolcpus-ctl unconfigure containerd --restart" in fake_node.log()
    assert '{"metadata":{"labels":{"runc-isolcpus.io/ready":null}}}' in fake_node.log()


def test_installer_replaces_an_older_installers_tables(fake_node):
    """Before `configure`, the installer pasted the packaged tables between
    its own markers (with SystemdCgroup left unset): they go, and the
    handler configure writes takes their place."""
    cfg = fake_node.host / "etc/containerd/config.toml"
    cfg.parent.mkdir(parents=True)
    node = ('version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
            '  SystemdCgroup = true\n')
    legacy = ('# BEGIN runc-isolcpus (managed by the runc-isolcpus installer; do not edit)\n'
              '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.isolcpus]\n'
              '  runtime_type = "io.containerd.runc.v2"\n# END runc-isolcpus\n')
    cfg.write_text(node + legacy)
    res = fake_node.run("install", "containerd")
    assert res.returncode == 0, res.stderr
    text = cfg.read_text()
    assert "managed by the runc-isolcpus installer" not in text
    handler = tomllib.loads(text)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["isolcpus"]
    assert handler["options"]["SystemdCgroup"] is True
    assert fake_node.run("uninstall", "containerd").returncode == 0
    assert cfg.read_text() == node


def test_installer_uninstall_without_a_containerd_config_still_removes_the_binaries(fake_node):
    """Review: `[ -f config.toml ] && ...` ended uninstall under set -e."""
    cfg = fake_node.host / "etc/containerd/config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('version = 2\n')
    assert fake_node.run("install", "containerd").returncode == 0
    cfg.unlink()
    res = fake_node.run("uninstall", "containerd")
    assert res.returncode == 0, res.stderr
    assert not (fake_node.host / "usr/local/bin/runc-isolcpus").exists()


def test_installer_refuses_an_older_block_without_its_end(fake_node):
    cfg = fake_node.host / "etc/containerd/config.toml"
    cfg.parent.mkdir(parents=True)
    text = 'version = 2\n# BEGIN runc-isolcpus (managed by the runc-isolcpus installer; do not edit)\n[x]\n'
    cfg.write_text(text)
    res = fake_node.run("install", "containerd")
    assert res.returncode != 0 and "without its END line" in res.stderr, res.stderr
    assert cfg.read_text() == text


def test_installer_crio_roundtrip(fake_node, source_dir):
    fake_node.run("install", "crio")
    dropin = fake_node.host / "etc/crio/crio.conf.d/10-isolcpus.conf"
    assert dropin.read_bytes() == (source_dir / "packaging/crio/10-isolcpus.conf").read_bytes()
    assert "host systemctl reload crio" in fake_node.log()
    res = fake_node.run("uninstall", "crio")
    assert res.returncode == 0, res.stderr
    assert not dropin.exists()


def test_installer_refuses_unknown_settings(fake_node):
    res = fake_node.run("install", "docker")
    assert res.returncode != 0 and "ISOLCPUS_RUNTIME=docker" in res.stderr
    res = fake_node.run("explode", "crio")
    assert res.returncode != 0 and "ISOLCPUS_ACTION=explode" in res.stderr
    res = fake_node.run("install", "auto")
    assert res.returncode != 0 and "neither CRI-O" in res.stderr


def test_installer_shell_syntax(k8s_dir):
    res = subprocess.run(["sh", "-n", str(k8s_dir / "install.sh")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
