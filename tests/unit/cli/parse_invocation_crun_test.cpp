// crun as the runtime behind the wrapper: which binaries are crun, where crun
// keeps its state when no --root is given, and crun's global flags
// (--cgroup-manager, --systemd-cgroup, --rootless) as crun 1.8.1's
// src/crun.c reads them.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "invocation_compare.hpp"
#include "isolcpus/parse_invocation.hpp"

namespace isolcpus {
namespace {

TEST(RuntimeKind, IsReadFromTheBasename) {
  EXPECT_EQ(runtime_kind("/usr/bin/crun"), RuntimeKind::kCrun);
  EXPECT_EQ(runtime_kind("/usr/local/bin/crun-wasm"), RuntimeKind::kCrun);
  EXPECT_EQ(runtime_kind("/usr/bin/krun"), RuntimeKind::kCrun);
  EXPECT_EQ(runtime_kind("crun"), RuntimeKind::kCrun);
  EXPECT_EQ(runtime_kind("/usr/bin/runc"), RuntimeKind::kRunc);
  EXPECT_EQ(runtime_kind("/usr/sbin/runc.amd64"), RuntimeKind::kRunc);
  EXPECT_EQ(runtime_kind("/opt/crun/bin/runc"), RuntimeKind::kRunc);  // the directory says nothing
  EXPECT_EQ(runtime_kind("/usr/bin/crun-"), RuntimeKind::kRunc);      // crun needs a handler name after '-'
  EXPECT_EQ(runtime_kind("/usr/bin/mycrun"), RuntimeKind::kRunc);
  EXPECT_EQ(runtime_kind(""), RuntimeKind::kRunc);
}

TEST(RuntimeDialect, DefaultRootFollowsTheRuntime) {
  EXPECT_EQ(runtime_dialect(RuntimeKind::kRunc, "/run/user/0").default_root, "/run/runc");
  EXPECT_EQ(runtime_dialect(RuntimeKind::kCrun, nullptr).default_root, "/run/crun");
  EXPECT_EQ(runtime_dialect(RuntimeKind::kCrun, "").default_root, "/run/crun");
  // crun 1.8.1 honours XDG_RUNTIME_DIR even as root.
  EXPECT_EQ(runtime_dialect(RuntimeKind::kCrun, "/run/user/1000").default_root, "/run/user/1000/crun");
  EXPECT_EQ(runtime_dialect(RuntimeKind::kCrun, "/run/user/0").kind, RuntimeKind::kCrun);
}

struct Case {
  std::string name;
  std::vector<std::string_view> argv;
  RuntimeDialect dialect;
  std::string root;
  bool systemd = false;
  bool disabled = false;
  std::string uncertainty;  // fragment; "" = certain
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Case row(std::string name, std::vector<std::string_view> argv, RuntimeDialect dialect, std::string root,
         bool systemd = false, bool disabled = false, std::string uncertainty = "") {
  return Case{std::move(name), std::move(argv), std::move(dialect),    std::move(root),
              systemd,         disabled,        std::move(uncertainty)};
}

const RuntimeDialect kRunc{};
const RuntimeDialect kCrun{RuntimeKind::kCrun, "/run/crun"};
constexpr std::string_view kId = "c1";

class CrunGlobals : public ::testing::TestWithParam<Case> {};

TEST_P(CrunGlobals, ReadLikeCrun) {
  const Case& c = GetParam();
  RuncInvocation want;
  want.root = c.root;
  want.systemd_cgroup = c.systemd;
  want.cgroup_disabled = c.disabled;
  want.certain = c.uncertainty.empty();
  if (want.certain) {  // a refused global flag ends the reading, as crun's argp ends crun
    want.subcommand = Subcommand::kStart;
    want.subcommand_name = "start";
    want.container_id = std::string(kId);
  }
  want.uncertainty = c.uncertainty;
  const RuncInvocation got = parse_invocation(c.argv, "/b", c.dialect);
  const std::string d = testing::diff(want, got);
  EXPECT_TRUE(d.empty()) << "case " << c.name << " differs:\n" << d;
}

INSTANTIATE_TEST_SUITE_P(
    Table, CrunGlobals,
    ::testing::Values(
        row("RuncDefaultRoot", {"start", kId}, kRunc, "/run/runc"),
        row("CrunDefaultRoot", {"start", kId}, kCrun, "/run/crun"),
        row("CrunXdgRoot", {"start", kId}, {RuntimeKind::kCrun, "/run/user/1000/crun"},
            "/run/user/1000/crun"),
        // A relative $XDG_RUNTIME_DIR is crun's cwd's.
        row("CrunRelativeXdgRoot", {"start", kId}, {RuntimeKind::kCrun, "xdg/crun"}, "/b/xdg/crun"),
        row("CrunRootGiven", {"--root", "/run/containerd/crun/k8s.io", "start", kId}, kCrun,
            "/run/containerd/crun/k8s.io"),
        row("CrunRootRelative", {"--root=state", "start", kId}, kCrun, "/b/state"),
        row("ManagerSystemd", {"--cgroup-manager", "systemd", "start", kId}, kCrun, "/run/crun", true),
        row("ManagerSystemdEquals", {"--cgroup-manager=systemd", "start", kId}, kCrun, "/run/crun", true),
        row("ManagerCgroupfs", {"--cgroup-manager=cgroupfs", "start", kId}, kCrun, "/run/crun"),
        row("ManagerDisabled", {"--cgroup-manager=disabled", "start", kId}, kCrun, "/run/crun", false, true),
        row("SystemdFlag", {"--systemd-cgroup", "start", kId}, kCrun, "/run/crun", true),
        // crun: the last of --cgroup-manager and --systemd-cgroup wins.
        row("CgroupfsAfterSystemdFlag", {"--systemd-cgroup", "--cgroup-manager=cgroupfs", "start", kId},
            kCrun, "/run/crun"),
        row("SystemdFlagAfterDisabled", {"--cgroup-manager=disabled", "--systemd-cgroup", "start", kId},
            kCrun, "/run/crun", true),
        row("DisabledAfterSystemd", {"--cgroup-manager=systemd", "--cgroup-manager=disabled", "start", kId},
            kCrun, "/run/crun", false, true),
        row("ManagerUnknown", {"--cgroup-manager=cgroupv2", "start", kId}, kCrun, "/run/crun", false, false,
            "unknown cgroup manager \"cgroupv2\""),
        row("ManagerEmpty", {"--cgroup-manager=", "start", kId}, kCrun, "/run/crun", false, false,
            "unknown cgroup manager \"\""),
        row("CaseMatters", {"--cgroup-manager=Systemd", "start", kId}, kCrun, "/run/crun", false, false,
            "unknown cgroup manager"),
        // The shapes containerd's shim and CRI-O send to crun.
        row("ShimToCrun", {"--root", "/run/containerd/runc/k8s.io", "--systemd-cgroup", "start", kId}, kCrun,
            "/run/containerd/runc/k8s.io", true),
        row("CrioToCrun", {"--cgroup-manager", "systemd", "--root=/run/crun", "start", kId}, kCrun,
            "/run/crun", true),
        row("LogLevel", {"--log-level=debug", "start", kId}, kCrun, "/run/crun"),
        // crun 1.8.1 maps --rootless to --root; runc ignores its value.
        row("RootlessUnderCrun", {"--rootless", "true", "start", kId}, kCrun, "/run/crun", false, false,
            "reads --rootless \"true\" as --root"),
        row("RootlessUnderRunc", {"--rootless", "true", "start", kId}, kRunc, "/run/runc")),
    [](const auto& row) { return row.param.name; });

TEST(CrunGlobals, DebugIsKept) {
  const std::vector<std::string_view> argv{"--debug", "start", "c1"};
  EXPECT_TRUE(parse_invocation(argv, "/", kCrun).debug);
}

}  // namespace
}  // namespace isolcpus
