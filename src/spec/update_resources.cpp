// runc's json.Decoder, modelled on nlohmann's SAX events: only the path to
// cpu.cpus is followed, in document order, with Go's field matching and
// its pointer and merge rules.
#include "isolcpus/update_resources.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "go_json_repair.hpp"
#include "isolcpus/kernel_cpu_list.hpp"

namespace isolcpus {
namespace {

using nlohmann::json;

// encoding/json's limit on nesting (scanner.go maxNestingDepth).
constexpr std::size_t kGoMaxDepth = 10000;

// Go's case-insensitive field match of `key` against a lowercase ASCII
// field name: ASCII letters in either case, and the two non-ASCII runes
// that fold to ASCII letters, U+017F (long s) for 's' and U+212A (Kelvin)
// for 'k'.
bool go_fold_equal(std::string_view key, std::string_view name) {
  std::size_t i = 0;
  for (const char want : name) {
    if (i >= key.size()) {
      return false;
    }
    const char c = key[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c == want || (letter && (c | 0x20) == want)) {
      ++i;
    } else if (want == 's' && key.substr(i, 2) == "\xC5\xBF") {
      i += 2;
    } else if (want == 'k' && key.substr(i, 3) == "\xE2\x84\xAA") {
      i += 3;
    } else {
      return false;
    }
  }
  return i == key.size();
}

class UpdateDecoder final : public nlohmann::json_sax<json> {
 public:
  // What the next value is decoded into.
  enum class Slot { kTop, kCpu, kCpus, kIgnored };

  bool null() override { return scalar(Kind::kNull); }
  bool boolean(bool /*val*/) override { return scalar(Kind::kOther); }
  bool number_integer(number_integer_t /*val*/) override { return scalar(Kind::kOther); }
  bool number_unsigned(number_unsigned_t /*val*/) override { return scalar(Kind::kOther); }
  bool number_float(number_float_t /*val*/, const string_t& /*s*/) override { return scalar(Kind::kOther); }
  bool binary(binary_t& /*val*/) override { return scalar(Kind::kOther); }
  bool string(string_t& val) override {
    if (slot_ == Slot::kCpus) {
      cpus_ = val;
      slot_ = Slot::kIgnored;
      return true;
    }
    return scalar(Kind::kOther);
  }

  bool start_object(std::size_t /*elements*/) override {
    Frame frame = Frame::kOther;
    if (slot_ == Slot::kTop) {
      frame = Frame::kResources;
    } else if (slot_ == Slot::kCpu) {
      if (cpu_null_) {
        cpu_null_ = false;  // a fresh LinuxCPU: its cpus start empty
        cpus_.clear();
      }
      frame = Frame::kCpu;
    } else if (slot_ == Slot::kCpus) {
      type_error("cpu.cpus", "an object");
    }
    return push(frame);
  }

  bool key(string_t& val) override {
    const Frame top = frames_.back();
    slot_ = top == Frame::kResources && go_fold_equal(val, "cpu") ? Slot::kCpu
            : top == Frame::kCpu && go_fold_equal(val, "cpus")    ? Slot::kCpus
                                                                  : Slot::kIgnored;
    return true;
  }

  bool end_object() override { return pop(); }

  bool start_array(std::size_t /*elements*/) override {
    if (slot_ != Slot::kIgnored) {
      type_error(where(), "an array");
    }
    return push(Frame::kOther);
  }

  bool end_array() override { return pop(); }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    error_ = "invalid JSON at byte " + std::to_string(position) + ": " + ex.what();
    return false;
  }

  // The cpus string runc ends up with, or why runc fails.
  [[nodiscard]] Expected<std::string> result() const {
    if (!error_.empty()) {
      return make_error(error_);
    }
    if (cpu_null_) {
      return make_error("\"cpu\" is null, which runc update dereferences (it panics)");
    }
    return cpus_;
  }

 private:
  enum class Frame { kResources, kCpu, kOther };
  enum class Kind { kNull, kOther };

  [[nodiscard]] std::string where() const {
    return slot_ == Slot::kTop ? "(top level)" : slot_ == Slot::kCpu ? "cpu" : "cpu.cpus";
  }

  void type_error(const std::string& at, const std::string& got) {
    if (error_.empty()) {
      error_ = at + ": " + got + " cannot be decoded there (Go's json reports a type error, runc fails)";
    }
  }

  // Go: null into a pointer sets it to nil, into a string does nothing.
  bool scalar(Kind kind) {
    if (kind == Kind::kNull && slot_ == Slot::kCpu) {
      cpu_null_ = true;
    } else if (kind != Kind::kNull && slot_ != Slot::kIgnored) {
      type_error(where(), "a scalar");
    }
    slot_ = Slot::kIgnored;
    return true;
  }

  bool push(Frame frame) {
    frames_.push_back(frame);
    slot_ = Slot::kIgnored;
    if (frames_.size() > kGoMaxDepth) {
      error_ = "nested deeper than Go's limit of " + std::to_string(kGoMaxDepth);
      return false;
    }
    return true;
  }

  bool pop() {
    frames_.pop_back();
    slot_ = Slot::kIgnored;
    return true;
  }

  std::vector<Frame> frames_;
  Slot slot_ = Slot::kTop;
  std::string cpus_;
  bool cpu_null_ = false;
  std::string error_;
};

}  // namespace

Expected<std::string> runc_update_cpus_text(std::string_view json_text, std::string_view origin) {
  if (json_text.starts_with("\xEF\xBB\xBF")) {
    // nlohmann skips a byte order mark; Go's scanner calls it invalid.
    return make_error(std::string(origin) + ": starts with a byte order mark, which runc rejects");
  }
  const std::string text = go_json_repair(json_text);
  UpdateDecoder decoder;
  // strict = false: the first value only, as Decode reads it.
  (void)json::sax_parse(text, &decoder, json::input_format_t::json, false);
  auto cpus = decoder.result();
  if (!cpus) {
    return make_error(std::string(origin) + ": " + cpus.error().message);
  }
  return cpus;
}

Expected<std::optional<CpuSet>> parse_update_cpus(std::string_view json_text, std::string_view origin,
                                                  unsigned possible_cpus) {
  auto text = runc_update_cpus_text(json_text, origin);
  if (!text) {
    return text.error();
  }
  auto cpus = parse_update_cpus_flag(*text, possible_cpus);
  if (!cpus) {
    return make_error(std::string(origin) + ": cpu.cpus: " + cpus.error().message);
  }
  return cpus;
}

Expected<std::optional<CpuSet>> parse_update_cpus_flag(std::string_view value, unsigned possible_cpus) {
  if (value.empty()) {
    return std::optional<CpuSet>{};  // runc writes nothing
  }
  auto cpus = parse_kernel_cpu_list(value, possible_cpus);
  if (!cpus) {
    return cpus.error();
  }
  return std::optional<CpuSet>{std::move(*cpus)};
}

}  // namespace isolcpus
