"""runc-isolcpus-ctl configure/unconfigure containerd on real configs: the
output of this machine's `containerd config default` (Debian's 1.6), read
back by containerd itself (`containerd --config F config dump`)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

CRI = "io.containerd.grpc.v1.cri"


@pytest.fixture(scope="module")
def ctl(wrapper: Path) -> Path:
    return wrapper.parent / "runc-isolcpus-ctl"


@pytest.fixture(scope="module")
def node_config() -> str:
    """containerd's default config as a kubelet node with the systemd driver has it."""
    if shutil.which("containerd") is None:
        pytest.fail("containerd not found: apt-get install -y containerd (scripts/setup installs it)")
    text = subprocess.run(["containerd", "config", "default"], capture_output=True, text=True, check=True).stdout
    assert text.count("SystemdCgroup = false") == 1, text
    return text.replace("SystemdCgroup = false", "SystemdCgroup = true") + "# the operator's last line\n"


BACKUPS: list[Path] = []


@pytest.fixture(autouse=True)
def backups(tmp_path: Path):
    """Backups go to a directory no runtime reads; here, the test's own."""
    BACKUPS[:] = [tmp_path / "backups"]
    yield BACKUPS[0]


def configure(ctl: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ctl), *args, "--backup-dir", str(BACKUPS[0])], capture_output=True, text=True,
                          timeout=60)


def dump(config: Path) -> dict:
    r = subprocess.run(["containerd", "--config", str(config), "config", "dump"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, f"containerd cannot read {config}:\n{r.stderr}"
    return tomllib.loads(r.stdout)


def runtimes(doc: dict) -> dict:
    return doc["plugins"][CRI]["containerd"]["runtimes"]


def test_configure_adds_a_handler_that_matches_runc_and_unconfigure_restores_every_byte(
        ctl: Path, wrapper: Path, node_config: str, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(node_config)
    dry = configure(ctl, "configure", "containerd", "--runtime-config", str(config), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"+++ {config} (configured)" in dry.stdout and "+    SystemdCgroup = true" in dry.stdout, dry.stdout
    assert config.read_text() == node_config, "--dry-run wrote the file"

    r = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert r.returncode == 0, r.stderr
    assert "SystemdCgroup = true as the node's runc handler has it" in r.stdout, r.stdout
    assert (BACKUPS[0] / config.relative_to("/")).read_text() == node_config
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "config.toml"], "nothing beside the file"
    merged = runtimes(dump(config))
    handler = merged["isolcpus"]
    assert handler["runtime_type"] == "io.containerd.runc.v2"
    assert handler["options"]["BinaryName"] == str(wrapper)
    assert handler["options"]["SystemdCgroup"] is True
    assert {"cpu-load-balancing.crio.io", "cpu-load-balancing.crio.io/*"} <= set(handler["pod_annotations"])
    assert merged["runc"]["options"]["SystemdCgroup"] is True and merged["runc"]["options"]["BinaryName"] == ""
    configured = config.read_text()
    assert configured.startswith(node_config), "configure changed the operator's own lines"

    again = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout + again.stderr
    assert config.read_text() == configured

    undo = configure(ctl, "unconfigure", "containerd", "--runtime-config", str(config))
    assert undo.returncode == 0, undo.stderr
    assert config.read_bytes() == node_config.encode()
    assert "isolcpus" not in runtimes(dump(config))


@pytest.fixture(scope="module")
def containerds(source_dir: Path) -> dict[str, Path]:
    """This machine's containerd (Debian 12: 1.6) and, fetched from the same
    mirror, trixie's (1.7) and sid's (2.x, config version 3)."""
    r = subprocess.run([str(source_dir / "tests/fetch-containerd")], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"tests/fetch-containerd failed:\n{r.stderr}"
    found = {"bookworm": Path(shutil.which("containerd") or "containerd")}
    for line in r.stdout.splitlines():
        suite, path, version = line.split()
        print(f"containerd of {suite}: {version}")
        found[suite] = Path(path)
    return found


@pytest.mark.parametrize("suite,plugin", [("bookworm", CRI), ("trixie", CRI), ("sid", "io.containerd.cri.v1.runtime")])
def test_each_containerds_default_config_with_the_systemd_driver(ctl: Path, wrapper: Path, containerds, suite, plugin,
                                                                  tmp_path: Path):
    """The default config each containerd writes, switched to the systemd
    driver as a kubelet node has it: configure adds a handler with that
    driver which the same containerd reads back, and unconfigure restores
    every byte."""
    binary = containerds[suite]
    text = subprocess.run([str(binary), "config", "default"], capture_output=True, text=True, check=True).stdout
    assert text.count("SystemdCgroup = false") == 1, text
    text = text.replace("SystemdCgroup = false", "SystemdCgroup = true")
    config = tmp_path / "config.toml"
    config.write_text(text)
    r = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert r.returncode == 0, r.stderr
    dumped = subprocess.run([str(binary), "--config", str(config), "config", "dump"], capture_output=True, text=True,
                            timeout=60)
    assert dumped.returncode == 0, dumped.stderr
    merged = tomllib.loads(dumped.stdout)["plugins"][plugin]["containerd"]["runtimes"]
    assert merged["isolcpus"]["options"]["SystemdCgroup"] is True
    assert merged["isolcpus"]["options"]["BinaryName"] == str(wrapper)
    assert merged["runc"]["options"]["SystemdCgroup"] is True
    undo = configure(ctl, "unconfigure", "containerd", "--runtime-config", str(config))
    assert undo.returncode == 0 and config.read_text() == text


def test_the_handler_goes_where_containerd_reads_the_cri_section(ctl: Path, node_config: str, tmp_path: Path):
    """containerd 1.x takes the CRI section whole from the last import that
    has one (containerd issue 5837): a handler in config.toml would be lost."""
    (tmp_path / "conf.d").mkdir()
    cri = tmp_path / "conf.d" / "cri.toml"
    cri.write_text(f'version = 2\n[plugins."{CRI}".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n')
    config = tmp_path / "config.toml"
    main = 'version = 2\nimports = ["conf.d/*.toml"]\n'
    config.write_text(main)
    r = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert r.returncode == 0, r.stderr
    assert f"the CRI section is in {cri}" in r.stdout, r.stdout
    assert config.read_text() == main
    # containerd resolves imports against its own working directory's idea
    # of the config's place: give it the absolute path.
    config.write_text(f'version = 2\nimports = ["{cri}"]\n')
    assert runtimes(dump(config))["isolcpus"]["options"]["SystemdCgroup"] is True


@pytest.mark.parametrize("name,text,message", [
    ("unparsable", 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n', "line 2: "),
    ("version 1", "[plugins.cri]\n  x = 1\n", "has no `version` key"),
])
def test_a_config_it_cannot_read_is_refused_and_left_alone(ctl: Path, tmp_path: Path, name, text, message):
    config = tmp_path / "config.toml"
    config.write_text(text)
    r = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert r.returncode == 1, r.stdout
    assert message in r.stderr and str(config) in r.stderr, r.stderr
    assert config.read_text() == text
    assert not BACKUPS[0].exists()


def test_the_packaged_tables_pasted_by_hand_are_named(ctl: Path, source_dir: Path, tmp_path: Path):
    tables = (source_dir / "packaging/containerd/isolcpus-containerd1.toml").read_text()
    config = tmp_path / "config.toml"
    config.write_text(tables)
    r = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert r.returncode == 1
    line = tables.splitlines().index('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.isolcpus]') + 1
    assert f"line {line}: runtime handler \"isolcpus\" is already defined outside the runc-isolcpus block" \
        in r.stderr, r.stderr
    other = configure(ctl, "configure", "containerd", "--runtime-config", str(config), "--handler", "isolcpus2")
    assert other.returncode == 0, other.stderr
    assert "isolcpus2" in runtimes(dump(config))


def test_an_empty_config_takes_the_installed_containerds_schema(ctl: Path, tmp_path: Path):
    config = tmp_path / "config.toml"
    r = configure(ctl, "configure", "containerd", "--runtime-config", str(config))
    assert r.returncode == 0, r.stderr
    assert "built-in runc defaults" in r.stdout
    assert config.read_text().splitlines()[1] == "version = 2", config.read_text()
    assert runtimes(dump(config))["isolcpus"]["runtime_type"] == "io.containerd.runc.v2"
    assert configure(ctl, "unconfigure", "containerd", "--runtime-config", str(config)).returncode == 0
    assert config.read_text() == ""


def test_crio_gets_a_dropin_that_unconfigure_takes_away(ctl: Path, wrapper: Path, tmp_path: Path):
    """CRI-O is not packaged for Debian 12: its files only, read back with
    Python's TOML reader as CRI-O would read the drop-in."""
    (tmp_path / "crio.conf.d").mkdir()
    (tmp_path / "crio.conf").write_text('[crio.runtime]\ncgroup_manager = "systemd"\n'
                                        '[crio.runtime.runtimes.runc]\nruntime_root = "/run/runc"\n'
                                        'monitor_path = "/usr/libexec/crio/conmon"\n')
    dropin = tmp_path / "crio.conf.d" / "99-runc-isolcpus.conf"
    dry = configure(ctl, "configure", "crio", "--runtime-config", str(dropin), "--dry-run")
    assert dry.returncode == 0 and "+runtime_root = '/run/runc'" in dry.stdout, dry.stdout + dry.stderr
    assert not dropin.exists()
    r = configure(ctl, "configure", "crio", "--runtime-config", str(dropin))
    assert r.returncode == 0, r.stderr
    handler = tomllib.loads(dropin.read_text())["crio"]["runtime"]["runtimes"]["isolcpus"]
    assert handler["runtime_path"] == str(wrapper)
    assert handler["monitor_path"] == "/usr/libexec/crio/conmon" and handler["runtime_type"] == "oci"
    assert "cpu-load-balancing.crio.io" in handler["allowed_annotations"]
    again = configure(ctl, "configure", "crio", "--runtime-config", str(dropin))
    assert "nothing to change" in again.stdout, again.stdout + again.stderr
    undo = configure(ctl, "unconfigure", "crio", "--runtime-config", str(dropin))
    assert undo.returncode == 0 and "removed" in undo.stdout, undo.stdout + undo.stderr
    assert not dropin.exists()


def test_the_drop_in_directory_holds_only_what_the_runtime_should_read(ctl: Path, wrapper: Path, tmp_path: Path):
    """CRI-O reads every file of crio.conf.d, whatever its name (review): no
    backup or temporary file may land there, or an old handler comes back."""
    (tmp_path / "crio.conf").write_text('[crio.runtime]\ndefault_runtime = "runc"\n')
    d = tmp_path / "crio.conf.d"
    d.mkdir()
    dropin = d / "99-runc-isolcpus.conf"
    for w in (str(wrapper), "/opt/b/runc-isolcpus"):
        r = configure(ctl, "configure", "crio", "--runtime-config", str(dropin), "--wrapper", w)
        assert r.returncode == 0, r.stderr
    assert [p.name for p in d.iterdir()] == [dropin.name]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".runc-isolcpus")], "a temporary file is left"
    merged = {}
    for f in sorted(d.iterdir()):
        merged.update(tomllib.loads(f.read_text())["crio"]["runtime"]["runtimes"])
    assert merged["isolcpus"]["runtime_path"] == "/opt/b/runc-isolcpus"
    assert configure(ctl, "unconfigure", "crio", "--runtime-config", str(dropin)).returncode == 0
    assert list(d.iterdir()) == []


def test_an_import_glob_never_picks_up_what_configure_leaves(ctl: Path, wrapper: Path, node_config: str,
                                                            tmp_path: Path):
    """containerd imports conf.d/*: a backup there would be the last import
    with a CRI section, and containerd would take the old one (review)."""
    confd = tmp_path / "conf.d"
    confd.mkdir()
    (confd / "cri.toml").write_text(node_config)
    config = tmp_path / "config.toml"
    config.write_text(f'version = 2\nimports = ["{confd}/*"]\n')
    for _ in range(2):
        r = configure(ctl, "configure", "containerd", "--runtime-config", str(config), "--wrapper", str(wrapper))
        assert r.returncode == 0, r.stderr
    assert [p.name for p in confd.iterdir()] == ["cri.toml"]
    assert runtimes(dump(config))["isolcpus"]["options"]["BinaryName"] == str(wrapper)
