// The pieces parse_invocation is built from, each against the Go / urfave /
// libcontainer rule it reproduces.
#include "../../../src/cli/runc_grammar.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../../../src/cli/go_flag.hpp"
#include "../../../src/cli/lexical_path.hpp"
#include "../../../src/cli/urfave_reorder.hpp"
#include "isolcpus/parse_invocation.hpp"

namespace isolcpus::cli {
namespace {

using V = std::vector<std::string_view>;

TEST(GoToken, Classifies) {
  EXPECT_EQ(classify_go_token("").cls, TokenClass::kPositional);
  EXPECT_EQ(classify_go_token("-").cls, TokenClass::kPositional);
  EXPECT_EQ(classify_go_token("id").cls, TokenClass::kPositional);
  EXPECT_EQ(classify_go_token("--").cls, TokenClass::kTerminator);
  EXPECT_EQ(classify_go_token("---x").cls, TokenClass::kBadSyntax);
  EXPECT_EQ(classify_go_token("-=x").cls, TokenClass::kBadSyntax);
  EXPECT_EQ(classify_go_token("--=x").cls, TokenClass::kBadSyntax);

  const GoToken single = classify_go_token("-root");
  EXPECT_EQ(single.cls, TokenClass::kFlag);
  EXPECT_EQ(single.name, "root");
  EXPECT_FALSE(single.value.has_value());

  const GoToken eq = classify_go_token("--root=/a=b");
  EXPECT_EQ(eq.name, "root");
  ASSERT_TRUE(eq.value.has_value());
  EXPECT_EQ(*eq.value, "/a=b");  // only the first '=' splits

  const GoToken empty_value = classify_go_token("--bundle=");
  ASSERT_TRUE(empty_value.value.has_value());
  EXPECT_EQ(*empty_value.value, "");
}

TEST(GoBool, AcceptsExactlyStrconvParseBool) {
  for (const std::string_view t : {"1", "t", "T", "true", "TRUE", "True"})
    EXPECT_EQ(parse_go_bool(t), true) << t;
  for (const std::string_view f : {"0", "f", "F", "false", "FALSE", "False"})
    EXPECT_EQ(parse_go_bool(f), false) << f;
  for (const std::string_view bad : {"", "yes", "no", "tRUE", "on", "2", " true"}) {
    EXPECT_FALSE(parse_go_bool(bad).has_value()) << bad;
  }
}

TEST(GoInt, ParsesBaseZero) {
  EXPECT_EQ(parse_go_int("0"), 0);
  EXPECT_EQ(parse_go_int("42"), 42);
  EXPECT_EQ(parse_go_int("+7"), 7);
  EXPECT_EQ(parse_go_int("-3"), -3);
  EXPECT_EQ(parse_go_int("0x1F"), 31);
  EXPECT_EQ(parse_go_int("0o17"), 15);
  EXPECT_EQ(parse_go_int("017"), 15);
  EXPECT_EQ(parse_go_int("0b101"), 5);
  EXPECT_EQ(parse_go_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_go_int("-9223372036854775808"), INT64_MIN);
  for (const std::string_view bad :
       {"", "-", "0x", "08", "1e3", "abc", "9223372036854775808", "1_000", " 1"}) {
    EXPECT_FALSE(parse_go_int(bad).has_value()) << bad;
  }
}

TEST(AbsolutePath, MatchesGoFilepathAbs) {
  EXPECT_EQ(absolute_path("/run/runc", "/x"), "/run/runc");
  EXPECT_EQ(absolute_path("/run//runc/./", "/x"), "/run/runc");
  EXPECT_EQ(absolute_path("./r", "/b"), "/b/r");
  EXPECT_EQ(absolute_path("r", "/"), "/r");
  EXPECT_EQ(absolute_path("", "/a/b/"), "/a/b");
  EXPECT_EQ(absolute_path(".", "/a"), "/a");
  EXPECT_EQ(absolute_path("../../..", "/a/b"), "/");
  EXPECT_EQ(absolute_path("/../x", "/a"), "/x");
  EXPECT_EQ(absolute_path("../c/../d/e/..", "/a/b"), "/a/d");
  EXPECT_EQ(absolute_path("..a/b..", "/a"), "/a/..a/b..");
}

TEST(JoinedPath, KeepsWhatTheKernelMustResolve) {
  EXPECT_EQ(joined_path("/a/lnk/../b", "/x"), "/a/lnk/../b");
  EXPECT_EQ(joined_path("lnk/../b", "/x/"), "/x/lnk/../b");
  EXPECT_EQ(joined_path("b", "/"), "/b");
  EXPECT_EQ(joined_path("", "/x/y/"), "/x/y");
}

TEST(ContainerId, FollowsLibcontainerValidateId) {
  for (const std::string_view ok : {"a", "3f1c9a0b7e2d", "A_b+c-d.e", "...", "-x", ".hidden"}) {
    EXPECT_TRUE(is_valid_container_id(ok)) << ok;
  }
  for (const std::string_view bad : {"", ".", "..", "a/b", "../x", "a b", "a,b", "é", "a\n"}) {
    EXPECT_FALSE(is_valid_container_id(bad)) << bad;
  }
}

std::span<const FlagSpec> flags_of(std::string_view name) { return find_subcommand(name)->flags; }

V reorder_old(V args) {
  V out;
  reorder_urfave_1_22_1(args, out);
  return out;
}

V reorder_new(std::string_view sub, V args) {
  V out;
  reorder_urfave_1_22_14(flags_of(sub), args, out);
  return out;
}

TEST(UrfaveReorder, MovesFlagsBeforePositionals) {
  EXPECT_EQ(reorder_old({"ID", "--bundle", "B"}), (V{"--bundle", "B", "ID"}));
  EXPECT_EQ(reorder_new("create", {"ID", "--bundle", "B"}), (V{"--bundle", "B", "ID"}));
}

TEST(UrfaveReorder, BoolFlagStillGrabsTheNextWord) {
  const V args{"--no-pivot", "ID", "--bundle", "B"};
  EXPECT_EQ(reorder_old(args), args);
  EXPECT_EQ(reorder_new("create", args), args);
}

TEST(UrfaveReorder, OldOneNeverGrabsADash) {
  EXPECT_EQ(reorder_old({"ID", "--resources", "-"}), (V{"--resources", "ID", "-"}));
  EXPECT_EQ(reorder_new("update", {"ID", "--resources", "-"}), (V{"--resources", "-", "ID"}));
}

TEST(UrfaveReorder, DoubleDash) {
  EXPECT_EQ(reorder_old({"ID", "--", "X"}), (V{"ID", "--", "X"}));
  EXPECT_EQ(reorder_new("delete", {"ID", "--", "X"}), (V{"--", "ID", "X"}));
  // After a flag written without '=', "--" is taken as its value by both.
  EXPECT_EQ(reorder_new("create", {"--console-socket", "--", "ID"}), (V{"--console-socket", "--", "ID"}));
}

TEST(UrfaveReorder, NewOneOnlyKnowsTheCommandsFlags) {
  EXPECT_EQ(reorder_old({"ID", "--bogus"}), (V{"--bogus", "ID"}));
  EXPECT_EQ(reorder_new("delete", {"ID", "--bogus"}), (V{"ID", "--bogus"}));
  EXPECT_EQ(reorder_new("delete", {"ID", "-h"}), (V{"-h", "ID"}));  // the implied help flag
  EXPECT_EQ(reorder_new("create", {"ID", "-bundle=B"}), (V{"-bundle=B", "ID"}));
}

TEST(Grammar, HasEveryRuncSubcommand) {
  std::set<std::string_view> names;
  for (const SubcommandSpec& s : subcommands()) names.insert(s.name);
  const std::set<std::string_view> want{"checkpoint", "create", "delete", "events", "exec",  "features",
                                        "help",       "kill",   "list",   "pause",  "ps",    "restore",
                                        "resume",     "run",    "spec",   "start",  "state", "update"};
  EXPECT_EQ(names, want);
  ASSERT_NE(find_subcommand("h"), nullptr);
  EXPECT_EQ(find_subcommand("h")->id, Subcommand::kHelp);
  EXPECT_EQ(find_subcommand("init"), nullptr);  // runc handles it before urfave
  EXPECT_EQ(find_subcommand(""), nullptr);
}

TEST(Grammar, OnlyExecAndPsStopAtTheContainerId) {
  for (const SubcommandSpec& s : subcommands()) {
    EXPECT_EQ(s.reorders, s.id != Subcommand::kExec && s.id != Subcommand::kPs) << s.name;
  }
}

TEST(Grammar, FlagNamesAreUniquePerTable) {
  auto check = [](std::string_view where, std::span<const FlagSpec> table) {
    std::set<std::string_view> seen{"help", "h"};
    if (where == "global") seen.clear();
    for (const FlagSpec& f : table) {
      EXPECT_TRUE(seen.insert(f.name).second) << where << ": " << f.name;
      if (!f.alias.empty()) {
        EXPECT_TRUE(seen.insert(f.alias).second) << where << ": " << f.alias;
      }
    }
  };
  check("global", global_flags());
  for (const SubcommandSpec& s : subcommands()) check(s.name, s.flags);
}

TEST(Grammar, FlagKindsFromRuncSources) {
  EXPECT_EQ(find_global_flag("rootless").spec->kind, FlagKind::kString);
  EXPECT_EQ(find_subcommand_flag(flags_of("spec"), "rootless").spec->kind, FlagKind::kBool);
  EXPECT_EQ(find_global_flag("criu").spec->kind, FlagKind::kString);
  EXPECT_EQ(find_global_flag("cgroup-manager").spec->kind, FlagKind::kString);
  EXPECT_EQ(find_global_flag("log-level").spec->kind, FlagKind::kString);
  EXPECT_TRUE(find_global_flag("v").via_alias);
  EXPECT_EQ(find_subcommand_flag(flags_of("exec"), "e").spec->kind, FlagKind::kStringSlice);
  EXPECT_EQ(find_subcommand_flag(flags_of("exec"), "g").spec->kind, FlagKind::kIntSlice);
  EXPECT_EQ(find_subcommand_flag(flags_of("create"), "preserve-fds").spec->kind, FlagKind::kInt);
  EXPECT_EQ(find_subcommand_flag(flags_of("update"), "r").spec->target, FlagTarget::kResources);
  EXPECT_EQ(find_subcommand_flag(flags_of("delete"), "f").spec->target, FlagTarget::kForce);
  EXPECT_EQ(find_subcommand_flag(flags_of("list"), "f").spec->target, FlagTarget::kNone);
  EXPECT_EQ(find_subcommand_flag(flags_of("start"), "h").spec->target, FlagTarget::kHelp);
  EXPECT_EQ(find_subcommand_flag(flags_of("start"), "force").spec, nullptr);
  EXPECT_EQ(find_global_flag("bundle").spec, nullptr);
}

TEST(SubcommandName, NamesEverySubcommand) {
  EXPECT_EQ(to_string(Subcommand::kNone), "none");
  EXPECT_EQ(to_string(Subcommand::kInit), "init");
  for (const SubcommandSpec& s : subcommands()) EXPECT_EQ(to_string(s.id), s.name);
}

}  // namespace
}  // namespace isolcpus::cli
