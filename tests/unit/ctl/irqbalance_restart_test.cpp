// `ctl reconcile`'s half of the irqbalance file fallback, with systemd faked:
// the ledger's ban list in the file, byte for byte gone with the last
// holder, restarts only when the running daemon's list is stale, spaced,
// and never twice for one file.
#include "../../../src/ctl/irqbalance_restart.hpp"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fakes/temp_dir.hpp"
#include "isolcpus/ledger.hpp"

namespace isolcpus {
namespace {

std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

class KeepIrqbalanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host.write_file("etc/default/irqbalance", kOriginal);
    host.make_dirs("state");
    std::filesystem::permissions(host / "state", std::filesystem::perms::owner_all);
    config.host_root = host.path().string();
    config.state_dir = (host / "state").string();
    // The daemon: pid 4242 with the environment the test sets.
    facts.active = true;
    facts.main_pid = 4242;
    facts.active_enter_usec = monotonic_usec() - 120'000'000;  // two minutes ago
    facts.start_limit_interval_usec = 10'000'000;
    facts.start_limit_burst = 5;
    running("");
    service.facts = [this] {
      return Expected<std::optional<ServiceFacts>>(std::optional<ServiceFacts>(facts));
    };
    service.restart = [this] {
      ++restarts;
      running(std::string(env_file_list()));
      facts.active_enter_usec = monotonic_usec();
      return Expected<void>();
    };
  }

  void hold(const std::vector<std::pair<std::string, CpuSet>>& holders) {
    auto ledger = Ledger::open(config.state_dir, config.lock_timeout);
    ASSERT_TRUE(ledger) << ledger.error().message;
    ledger->data().entries.clear();
    for (const auto& [id, cpus] : holders) {
      LedgerEntry e;
      e.runc_root = "/run/runc";
      e.container_id = id;
      e.cpus = cpus;
      e.state = EntryState::kIsolated;
      e.cpuset_isolation = false;
      e.tunings = {{Knob::kIrqLoadBalancing, "disable"}};
      e.tuning_changes = {{Knob::kIrqLoadBalancing, "/proc/irq/5/smp_affinity", "f", "3", cpus}};
      ledger->data().entries.push_back(e);
    }
    ASSERT_TRUE(ledger->commit());
  }
  void running(const std::string& list) {
    host.write_file("proc/4242/environ", list.empty() ? std::string("PATH=/bin") + '\0'
                                                      : "PATH=/bin" + std::string(1, '\0') +
                                                            "IRQBALANCE_BANNED_CPULIST=" + list + '\0');
  }
  [[nodiscard]] std::string env_file_list() const {
    const std::string text = host.read_file("etc/default/irqbalance");
    const auto at = text.rfind("\nIRQBALANCE_BANNED_CPULIST=");
    return at == std::string::npos ? "" : text.substr(at + 27, text.find('\n', at + 1) - at - 27);
  }
  std::vector<std::string> reconcile() { return keep_irqbalance(config, service); }

  static constexpr std::string_view kOriginal = "#IRQBALANCE_BANNED_CPULIST=\nIRQBALANCE_ARGS=--journal\n";
  TempDir host;
  Config config;
  ServiceFacts facts;
  IrqBalanceService service;
  int restarts = 0;
};

std::string joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes) {
    out += n + "\n";
  }
  return out;
}

TEST_F(KeepIrqbalanceTest, TheListGoesInTheFileAndTheDaemonIsRestartedOnceForIt) {
  hold({{"c1", CpuSet::of({2})}, {"c2", CpuSet::of({3})}});
  const auto notes = reconcile();
  EXPECT_EQ(env_file_list(), "2-3");
  EXPECT_TRUE(host.read_file("etc/default/irqbalance").starts_with(kOriginal));
  EXPECT_EQ(restarts, 1) << joined(notes);
  EXPECT_NE(joined(notes).find("restarting it: done"), std::string::npos) << joined(notes);
  // Nothing new: neither written nor restarted.
  EXPECT_TRUE(reconcile().empty());
  EXPECT_EQ(restarts, 1);
  // The last holder goes: the file is as it was, the daemon restarted (once
  // spaced) and the mark gone.
  hold({});
  facts.active_enter_usec = monotonic_usec() - 61'000'000;
  reconcile();
  EXPECT_EQ(host.read_file("etc/default/irqbalance"), kOriginal);
  EXPECT_EQ(restarts, 2);
  EXPECT_FALSE(std::filesystem::exists(host / "state/irqbalance-file-changed"));  // at once
  EXPECT_TRUE(reconcile().empty());
}

TEST_F(KeepIrqbalanceTest, ARestartWithinAMinuteOfTheLastStartIsDeferred) {
  facts.active_enter_usec = monotonic_usec() - 5'000'000;
  hold({{"c1", CpuSet::of({2})}});
  const auto notes = reconcile();
  EXPECT_EQ(restarts, 0);
  EXPECT_NE(joined(notes).find("restart deferred"), std::string::npos) << joined(notes);
  facts.active_enter_usec = monotonic_usec() - 61'000'000;
  reconcile();
  EXPECT_EQ(restarts, 1);
}

TEST_F(KeepIrqbalanceTest, ADaemonThatDoesNotReadTheFileIsNotRestartedAgainForIt) {
  service.restart = [this] {
    ++restarts;  // its unit reads another file: the environment stays without the list
    facts.active_enter_usec = monotonic_usec() - 61'000'000;
    return Expected<void>();
  };
  hold({{"c1", CpuSet::of({2})}});
  reconcile();
  EXPECT_EQ(restarts, 1);
  const auto notes = reconcile();
  EXPECT_EQ(restarts, 1);
  EXPECT_NE(joined(notes).find("Not restarted again"), std::string::npos) << joined(notes);
  // A new list is a new file: worth one more try.
  hold({{"c1", CpuSet::of({2})}, {"c2", CpuSet::of({3})}});
  reconcile();
  EXPECT_EQ(restarts, 2);
}

TEST_F(KeepIrqbalanceTest, AnInfiniteStartLimitIsNeverWorkedAround) {
  facts.start_limit_interval_usec = UINT64_MAX;
  facts.start_limit_burst = 2;
  hold({{"c1", CpuSet::of({2})}});
  const auto notes = reconcile();
  EXPECT_EQ(restarts, 0);
  EXPECT_EQ(env_file_list(), "2");  // written: it reads it at its next start
  EXPECT_NE(joined(notes).find("restart it yourself"), std::string::npos) << joined(notes);
}

TEST_F(KeepIrqbalanceTest, WithASocketTheFileIsLeftAloneAndNobodyRestarted) {
  host.make_dirs("run/irqbalance");
  // A socket file of root's (irqbalance_sockets: S_ISSOCK, uid 0).
  const auto sock = host / "run/irqbalance/irqbalance7.sock";
  ASSERT_EQ(std::system(("python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind(\"" +
                         sock.string() + "\")'")
                            .c_str()),
            0);
  hold({{"c1", CpuSet::of({2})}});
  EXPECT_TRUE(reconcile().empty());
  EXPECT_EQ(host.read_file("etc/default/irqbalance"), kOriginal);
  EXPECT_EQ(restarts, 0);
}

TEST_F(KeepIrqbalanceTest, ABrokenBlockIsNotEditedAndSaysSo) {
  host.write_file(
      "etc/default/irqbalance",
      std::string(kOriginal) +
          "# BEGIN runc-isolcpus: CPUs of pods with irq-load-balancing.crio.io, kept by runc-isolcpus; "
          "removed when the last such pod goes\nIRQBALANCE_BANNED_CPULIST=2\nB=2\n");
  const std::string before = host.read_file("etc/default/irqbalance");
  hold({{"c1", CpuSet::of({3})}});
  const auto notes = reconcile();
  EXPECT_EQ(host.read_file("etc/default/irqbalance"), before);
  EXPECT_NE(joined(notes).find("without its END"), std::string::npos) << joined(notes);
  EXPECT_EQ(restarts, 0);
}

}  // namespace
}  // namespace isolcpus
