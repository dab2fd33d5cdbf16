#include "isolcpus/containerd_config.hpp"

#include <gtest/gtest.h>

#include "test_request.hpp"

namespace isolcpus {
namespace {

// The shape of a node's config: the kubelet's systemd driver on runc.
constexpr std::string_view kSystemdNode = R"(version = 2
# keep this comment
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["example.com/*"]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true
        BinaryName = ""
)";

TEST(ConfigureContainerd, CopiesTheRuncHandlerWithTheWrapperAsBinary) {
  auto result = configure_containerd(kSystemdNode, "config.toml", request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->changed);
  EXPECT_TRUE(result->text.starts_with(kSystemdNode)) << "the file's own bytes stay as they were";
  const std::string added = result->text.substr(kSystemdNode.size());
  EXPECT_EQ(
      added,
      "\n# BEGIN runc-isolcpus handler \"isolcpus\": written by `runc-isolcpus-ctl configure`, removed by "
      "`unconfigure`\n"
      "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.isolcpus]\n"
      "  runtime_type = 'io.containerd.runc.v2'\n"
      "  pod_annotations = [\n    'example.com/*',\n    'cpu-load-balancing.crio.io',\n"
      "    'cpu-load-balancing.crio.io/*',\n    'cpu-quota.crio.io',\n    'cpu-quota.crio.io/*',\n"
      "    'irq-load-balancing.crio.io',\n    'irq-load-balancing.crio.io/*',\n    'cpu-c-states.crio.io',\n"
      "    'cpu-freq-governor.crio.io'\n]\n"
      "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.isolcpus.options]\n"
      "    SystemdCgroup = true\n"
      "    BinaryName = '/usr/bin/runc-isolcpus'\n"
      "# END runc-isolcpus handler \"isolcpus\"\n");
  ASSERT_EQ(result->notes.size(), 2U);
  EXPECT_EQ(result->notes[1], "SystemdCgroup = true as the node's runc handler has it");
}

TEST(ConfigureContainerd, ASecondRunChangesNothing) {
  auto first = configure_containerd(kSystemdNode, "config.toml", request());
  ASSERT_TRUE(first);
  auto second = configure_containerd(first->text, "config.toml", request());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->changed);
  EXPECT_EQ(second->text, first->text);
}

// The node moved to the systemd driver after configure: the block follows,
// in place, and nothing else moves.
TEST(ConfigureContainerd, TheBlockFollowsTheRuncHandler) {
  const std::string cgroupfs = [] {
    std::string t(kSystemdNode);
    t.replace(t.find("SystemdCgroup = true"), 20, "SystemdCgroup = false");
    return t;
  }();
  auto first = configure_containerd(cgroupfs, "config.toml", request());
  ASSERT_TRUE(first);
  std::string edited = first->text + "# added later\n";
  edited.replace(edited.find("SystemdCgroup = false"), 21, "SystemdCgroup = true");
  auto again = configure_containerd(edited, "config.toml", request());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->changed);
  EXPECT_TRUE(again->text.ends_with("# END runc-isolcpus handler \"isolcpus\"\n# added later\n"));
  EXPECT_EQ(again->text.find("SystemdCgroup = false"), std::string::npos) << again->text;
}

TEST(ConfigureContainerd, UnconfigureRestoresTheFileByteForByte) {
  auto configured = configure_containerd(kSystemdNode, "config.toml", request());
  ASSERT_TRUE(configured);
  auto back = unconfigure_handler(configured->text, "config.toml", "isolcpus");
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->changed);
  EXPECT_EQ(back->text, kSystemdNode);
  auto twice = unconfigure_handler(back->text, "config.toml", "isolcpus");
  ASSERT_TRUE(twice);
  EXPECT_FALSE(twice->changed);
}

TEST(ConfigureContainerd, OptionsOfADefaultRuntimeThatIsNotRuncAreNotCopied) {
  const std::string text = R"(version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "kata"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
    runtime_type = "io.containerd.kata.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true
)";
  auto result = configure_containerd(text, "config.toml", request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(result->text.find("io.containerd.runc.v2"), std::string::npos);
  EXPECT_EQ(result->text.find("kata.v2'"), std::string::npos);
  EXPECT_EQ(result->notes[0], "copied the options of handler \"runc\" from config.toml");
}

TEST(ConfigureContainerd, ACustomRuncBinaryIsNamedInTheNotes) {
  std::string text(kSystemdNode);
  text.replace(text.find("BinaryName = \"\""), 15, "BinaryName = \"/opt/runc\"");
  auto result = configure_containerd(text, "config.toml", request());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->text.find("/opt/runc", text.size()), std::string::npos);
  ASSERT_EQ(result->notes.size(), 3U);
  EXPECT_NE(result->notes[2].find("runs '/opt/runc': set runtime to that path"), std::string::npos);
}

TEST(ConfigureContainerd, ContainerdTwoUsesTheVersionThreePlugin) {
  const std::string text = R"(version = 3
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true
)";
  auto result = configure_containerd(text, "config.toml", request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(
      result->text.find("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.isolcpus.options]\n"
                        "    SystemdCgroup = true\n"),
      std::string::npos)
      << result->text;
}

// No file, or one with nothing in it: the block carries the version line,
// and without one there is nothing to go by.
TEST(ConfigureContainerd, AnEmptyFileTakesTheVersionOfTheInstalledContainerd) {
  ConfigureRequest r = request();
  auto unknown = configure_containerd("# empty\n", "config.toml", r);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("pass --config-version 2"), std::string::npos);
  r.fallback_version = 2;
  auto result = configure_containerd("# empty\n", "config.toml", r);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(result->text.find("removed by `unconfigure`\nversion = 2\n\n[plugins"), std::string::npos)
      << result->text;
  EXPECT_NE(result->notes[0].find("built-in runc defaults"), std::string::npos);
  EXPECT_EQ(unconfigure_handler(result->text, "config.toml", "isolcpus")->text, "# empty\n");
}

// Review: our [..runtimes.isolcpus] table cannot be added below an inline
// `runtimes = { ... }`; writing it anyway left a file containerd refuses.
TEST(ConfigureContainerd, AnEditThatWouldNotParseIsRefused) {
  const std::string text =
      "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
      "  runtimes = { runc = { runtime_type = \"io.containerd.runc.v2\" } }\n";
  auto out = configure_containerd(text, "c.toml", request());
  ASSERT_FALSE(out) << out->text;
  EXPECT_NE(out.error().message.find("would leave a file the runtime cannot read"), std::string::npos)
      << out.error().message;
}

struct Refusal {
  std::string name;
  std::string text;
  std::string message;  // a part of it
};
void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name; }

class ConfigureRefuses : public ::testing::TestWithParam<Refusal> {};

TEST_P(ConfigureRefuses, NamingTheLineAndTheWayOut) {
  const std::string before = GetParam().text;
  auto result = configure_containerd(before, "/etc/containerd/config.toml", request());
  ASSERT_FALSE(result) << result->text;
  EXPECT_NE(result.error().message.find(GetParam().message), std::string::npos) << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigureRefuses,
    ::testing::Values(
        Refusal{"NotToml", "version = 2\n[plugins\n", "/etc/containerd/config.toml line 2: "},
        Refusal{"VersionOne", "[plugins.cri]\n  x = 1\n", "has no `version` key"},
        // toml++ 3.3.0 has undefined behaviour on these (toml_guard.hpp).
        Refusal{"TomlPlusPlusTrap", "version = 2\nx = \"caf\xC3\xA9\"\n",
                "line 2: U+00E9 cannot be read here (a bug in toml++ 3.3.0)"},
        Refusal{"VersionFour", "version = 4\n", "line 1: version = 4 is not a containerd config this knows"},
        Refusal{"HandlerByHand",
                "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.isolcpus]\n"
                "  runtime_type = \"io.containerd.runc.v2\"\n",
                "line 3: runtime handler \"isolcpus\" is already defined outside the runc-isolcpus block"},
        Refusal{"BrokenBlock",
                "version = 2\n\n# BEGIN runc-isolcpus handler \"isolcpus\": written by `runc-isolcpus-ctl "
                "configure`, removed by `unconfigure`\n[x]\n",
                "line 3: the runc-isolcpus block has no END line"}),
    [](const auto& row) { return row.param.name; });

TEST(ContainerdSchema, FromTheVersionContainerdPrints) {
  EXPECT_EQ(
      containerd_schema_of("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n"),
      2);
  EXPECT_EQ(
      containerd_schema_of("containerd containerd.io 1.7.22 7f7fdf5fed64eb6a7caf99b3e12efcf9d60e311c\n"), 2);
  EXPECT_EQ(containerd_schema_of("containerd github.com/containerd/containerd/v2 v2.0.0 207ad711e\n"), 3);
  EXPECT_EQ(containerd_schema_of("containerd github.com/containerd/containerd 3.0.0\n"), 0);
  EXPECT_EQ(containerd_schema_of("bash: containerd: command not found\n"), 0);
  EXPECT_EQ(containerd_schema_of(""), 0);
}

TEST(ContainerdImports, TheFileThatHoldsTheCriSectionIsFound) {
  EXPECT_TRUE(defines_cri_runtime_plugin("[plugins.\"io.containerd.grpc.v1.cri\".registry]\n"));
  EXPECT_FALSE(defines_cri_runtime_plugin("[plugins.\"io.containerd.grpc.v1.cri.x\"]\n"));
  EXPECT_TRUE(defines_cri_runtime_plugin("version = 3\n[plugins.'io.containerd.cri.v1.runtime']\n"));
  EXPECT_EQ(containerd_imports("version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\", \"/x.toml\"]\n"),
            (std::vector<std::string>{"/etc/containerd/conf.d/*.toml", "/x.toml"}));
  EXPECT_TRUE(containerd_imports("not toml [").empty());
}

}  // namespace
}  // namespace isolcpus
