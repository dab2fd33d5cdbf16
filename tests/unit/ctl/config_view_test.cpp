#include "../../../src/ctl/config_view.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

TEST(ConfigView, DefaultsRoundTrip) {
  const Config defaults;
  const auto back = parse_config(render_config_toml(defaults), "rendered.toml");
  ASSERT_TRUE(back.problems.empty()) << back.problems.front();
  EXPECT_EQ(render_config_toml(back.config), render_config_toml(defaults));
}

TEST(ConfigView, EveryKeyRoundTrips) {
  Config c;
  c.runtime = "/usr/local/sbin/runc";
  c.log_file = "/var/log/odd \"name\".log";
  c.log_level = "debug";
  c.log_max_bytes = 12345;
  c.log_max_files = 7;
  c.mode = Mode::kAlways;
  c.on_failure = OnFailure::kWarn;
  c.allowed_namespaces = {"telco", "rt"};
  c.isolatable_cpus = CpuSet::parse("2-5,7").value();
  c.min_housekeeping_cpus = 3;
  c.state_dir = "/run/x";
  c.lock_timeout = std::chrono::milliseconds(500);
  c.host_root = "/host";
  c.v1_manage_root_flag = false;
  const std::string text = render_config_toml(c);
  const auto back = parse_config(text, "rendered.toml");
  ASSERT_TRUE(back.problems.empty()) << back.problems.front();
  EXPECT_EQ(back.config.runtime, c.runtime);
  EXPECT_EQ(back.config.log_file, c.log_file);
  EXPECT_EQ(back.config.mode, Mode::kAlways);
  EXPECT_EQ(back.config.on_failure, OnFailure::kWarn);
  EXPECT_EQ(back.config.allowed_namespaces, c.allowed_namespaces);
  ASSERT_TRUE(back.config.isolatable_cpus.has_value());
  EXPECT_EQ(back.config.isolatable_cpus->to_string(), "2-5,7");
  EXPECT_EQ(back.config.min_housekeeping_cpus, 3U);
  EXPECT_EQ(back.config.lock_timeout.count(), 500);
  EXPECT_FALSE(back.config.v1_manage_root_flag);
  EXPECT_EQ(render_config_toml(back.config), text);
}

TEST(ConfigView, QuoteEscapes) {
  EXPECT_EQ(toml_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(toml_quote(std::string_view("\x01", 1)), "\"\\u0001\"");
}

TEST(ConfigView, ReportNamesSourceAndProblems) {
  ConfigLoad loaded;
  loaded.path = "/etc/runc-isolcpus/config.toml";
  loaded.found = true;
  loaded.problems = {"/etc/runc-isolcpus/config.toml:3: unknown key 'mdoe'"};
  Config effective;
  effective.mode = Mode::kNever;
  const std::string report = render_config_report(loaded, effective);
  EXPECT_NE(report.find("# source: /etc/runc-isolcpus/config.toml"), std::string::npos);
  EXPECT_NE(report.find("#   PROBLEM: /etc/runc-isolcpus/config.toml:3: unknown key 'mdoe'"),
            std::string::npos);
  EXPECT_NE(report.find("mode = \"never\""), std::string::npos);

  ConfigLoad missing;
  missing.path = "/nowhere.toml";
  EXPECT_NE(render_config_report(missing, Config{}).find("no file at /nowhere.toml"), std::string::npos);
}

}  // namespace
}  // namespace isolcpus
