#include "isolcpus/crio_config.hpp"

#include <gtest/gtest.h>

#include "test_request.hpp"

namespace isolcpus {
namespace {

constexpr std::string_view kDropin = "/etc/crio/crio.conf.d/99-runc-isolcpus.conf";

std::string body_of(const std::string& text) {
  const std::size_t first = text.find('\n') + 1;
  return text.substr(first, text.rfind("# END") - first);
}

// No file sets anything: CRI-O's own runc handler (crio.conf(5)).
TEST(ConfigureCrio, CrioDefaultsWithTheWrapperAsRuntimePath) {
  auto result = configure_crio("", kDropin, {}, crio_request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->changed);
  EXPECT_EQ(body_of(result->text),
            "[crio.runtime.runtimes.isolcpus]\n"
            "runtime_path = '/usr/bin/runc-isolcpus'\n"
            "runtime_root = '/run/runc'\n"
            "runtime_type = 'oci'\n"
            "allowed_annotations = [ 'cpu-load-balancing.crio.io', 'cpu-load-balancing.crio.io/*' ]\n");
  EXPECT_EQ(unconfigure_handler(result->text, kDropin, "isolcpus")->text, "");
}

TEST(ConfigureCrio, CopiesTheDefaultHandlerAsTheFilesLeaveIt) {
  const std::vector<CrioSource> sources{
      {"/etc/crio/crio.conf",
       "[crio.runtime]\ncgroup_manager = \"systemd\"\n[crio.runtime.runtimes.runc]\nruntime_root = "
       "\"/run/old\"\n"
       "monitor_path = \"/usr/libexec/crio/conmon\"\n"
       "allowed_annotations = [\"io.kubernetes.cri-o.Devices\"]\n"},
      {"/etc/crio/crio.conf.d/01-root.conf",
       "[crio.runtime.runtimes.runc]\nruntime_root = \"/run/runc-k8s\"\n"}};
  auto result = configure_crio("", kDropin, sources, crio_request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(body_of(result->text),
            "[crio.runtime.runtimes.isolcpus]\n"
            "runtime_path = '/usr/bin/runc-isolcpus'\n"
            "monitor_path = '/usr/libexec/crio/conmon'\n"
            "runtime_root = '/run/runc-k8s'\n"
            "runtime_type = 'oci'\n"
            "allowed_annotations = [ 'io.kubernetes.cri-o.Devices', 'cpu-load-balancing.crio.io', "
            "'cpu-load-balancing.crio.io/*' ]\n");
  auto again = configure_crio(result->text, kDropin, sources, crio_request());
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
}

TEST(ConfigureCrio, ADefaultCrunIsCopiedAndNamed) {
  const std::vector<CrioSource> sources{
      {"/etc/crio/crio.conf.d/10-crun.conf",
       "[crio.runtime]\ndefault_runtime = \"crun\"\n[crio.runtime.runtimes.crun]\nruntime_path = "
       "\"/usr/bin/crun\"\n"
       "runtime_root = \"/run/crun\"\n"}};
  auto result = configure_crio("", kDropin, sources, crio_request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(result->text.find("runtime_root = '/run/crun'"), std::string::npos);
  EXPECT_EQ(result->text.find("/usr/bin/crun"), std::string::npos) << "the wrapper is the runtime_path";
  EXPECT_NE(result->notes[1].find("set runtime to crun's binary"), std::string::npos);
  EXPECT_NE(result->notes[2].find("runs '/usr/bin/crun': set runtime to that path"), std::string::npos);
}

TEST(ConfigureCrio, AVmDefaultFallsBackToRunc) {
  const std::vector<CrioSource> sources{
      {"/etc/crio/crio.conf",
       "[crio.runtime]\ndefault_runtime = \"kata\"\n[crio.runtime.runtimes.kata]\nruntime_type = \"vm\"\n"}};
  auto result = configure_crio("", kDropin, sources, crio_request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(result->notes[0].find("is not an OCI runtime"), std::string::npos);
  EXPECT_NE(result->text.find("runtime_type = 'oci'"), std::string::npos);
}

TEST(ConfigureCrio, TheHandlerDefinedElsewhereIsRefusedByFileAndLine) {
  const std::vector<CrioSource> sources{
      {"/etc/crio/crio.conf.d/10-isolcpus.conf",
       "# packaged\n[crio.runtime.runtimes.isolcpus]\nruntime_path = \"x\"\n"}};
  auto result = configure_crio("", kDropin, sources, crio_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(
      result.error().message,
      "/etc/crio/crio.conf.d/10-isolcpus.conf line 2: runtime handler \"isolcpus\" is already defined there; "
      "remove it and run configure again, or name another handler with --handler");
  auto broken = configure_crio("", kDropin, {{"/etc/crio/crio.conf", "[crio.runtime\n"}}, crio_request());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("/etc/crio/crio.conf line 1: "), std::string::npos);
}

}  // namespace
}  // namespace isolcpus
