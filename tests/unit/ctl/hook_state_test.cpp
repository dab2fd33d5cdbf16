#include "../../../src/ctl/hook_state.hpp"

#include <gtest/gtest.h>

namespace isolcpus {
namespace {

TEST(HookStage, Names) {
  EXPECT_EQ(*hook_stage("createRuntime"), HookStage::kIsolate);
  EXPECT_EQ(*hook_stage("prestart"), HookStage::kIsolate);
  EXPECT_EQ(*hook_stage("poststop"), HookStage::kRelease);
  EXPECT_EQ(*hook_stage("poststart"), HookStage::kIgnore);
  EXPECT_EQ(*hook_stage("auto"), HookStage::kAuto);
  auto bad = hook_stage("createruntime");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("createRuntime"), std::string::npos);
}

TEST(HookStage, FromStatus) {
  EXPECT_EQ(*stage_from_status("creating"), HookStage::kIsolate);
  EXPECT_EQ(*stage_from_status("created"), HookStage::kIsolate);
  EXPECT_EQ(*stage_from_status("running"), HookStage::kIgnore);
  EXPECT_EQ(*stage_from_status("stopped"), HookStage::kRelease);
  EXPECT_FALSE(stage_from_status(""));
}

TEST(HookState, ParsesRuntimeSpecState) {
  auto s = parse_hook_state(R"({"ociVersion":"1.2.0","id":"c1","status":"creating","pid":4242,
      "bundle":"/b","annotations":{"cpu-load-balancing.crio.io":"disable","n":1}})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->id, "c1");
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->bundle, "/b");
  EXPECT_EQ(s->status, "creating");
  EXPECT_EQ(s->annotations.at("cpu-load-balancing.crio.io"), "disable");
  EXPECT_EQ(s->annotations.count("n"), 0U);  // non-string values ignored
}

TEST(HookState, PoststopWithoutPid) {
  auto s = parse_hook_state(R"({"id":"c1","status":"stopped","bundle":"/b"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 0);
}

TEST(HookState, Rejects) {
  EXPECT_FALSE(parse_hook_state("not json"));
  EXPECT_FALSE(parse_hook_state("[]"));
  EXPECT_FALSE(parse_hook_state(R"({"pid":1})"));
  EXPECT_FALSE(parse_hook_state(R"({"id":""})"));
  EXPECT_FALSE(parse_hook_state(R"({"id":"x","pid":-5})"));
}

}  // namespace
}  // namespace isolcpus
