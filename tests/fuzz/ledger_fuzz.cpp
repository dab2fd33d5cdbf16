// The ledger document (state_dir/ledger.json): root's own file, but a crash,
// a full disk, an older or newer wrapper, or a hand edit can leave anything
// there.  Parsed without crash or UB, and what it accepts writes back to a
// document that reads as the same data.
#include "fuzz_support.hpp"
#include "isolcpus/ledger.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using isolcpus::fuzz::check;
  const auto parsed = isolcpus::parse_ledger(isolcpus::fuzz::as_text(data, size), "ledger.json");
  if (!parsed) {
    check(parsed.error().message.starts_with("ledger.json: "), "a refusal names the file");
    return 0;
  }
  const std::string written = isolcpus::serialize_ledger(*parsed);
  const auto again = isolcpus::parse_ledger(written, "rewritten");
  check(again.has_value(), "what the ledger writes it reads");
  check(*again == *parsed, "serialize then parse is the identity");
  return 0;
}
