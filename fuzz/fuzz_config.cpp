// core::Config: the input as an INI file (load_file), then each input line as a --set argument.
// Whatever is accepted must resolve, and to_ini() must load back into the same configuration
// (config.hpp: "load_file() of this text reproduces it exactly").
#include "curvtrack/core/config.hpp"
#include "curvtrack/core/text.hpp"
#include "fuzz_common.hpp"

namespace {

using curvtrack::core::Config;
using curvtrack::core::ConfigKey;

// A small schema shaped like the run config: choices, defaults, an empty default, a section
// outside the documented order, and an ignored section.
Config make_config() {
  Config config({
      {"data.dataset", "mnist", "dataset name", {"mnist", "fashion-mnist", "cifar10", "synthetic"}},
      {"data.root", "", "folder holding the dataset", {}},
      {"data.batch_size", "128", "examples per step", {}},
      {"model.spec", "mlp:784-16-10:tanh", "network spec", {}},
      {"optim.name", "sgd", "optimiser", {"sgd", "adam", "adamw"}},
      {"schedule.policy", "constant", "learning-rate schedule", {"constant", "onecycle", "step"}},
      {"schedule.lr", "0.1", "learning rate", {}},
      {"schedule.momentum", "", "momentum; empty: the schedule's", {}},
      {"train.epochs", "1", "passes over the data", {}},
      {"train.amp", "false", "mixed precision", {"true", "false"}},
      {"run.name", "", "arm name", {}},
      {"run.seed", "0", "seed", {}},
      {"zz_custom.key_2", "x y", "a section outside the documented order\nwith a two-line help", {}},
  });
  config.ignore_section("extra");
  return config;
}

// Bytes that load_file() refuses in a file (control characters other than tab and CR, DEL,
// malformed UTF-8), checked independently of ini.cpp.
bool has_binary_bytes(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) return true;
    std::size_t length = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (length == 0 || i + length > text.size()) return true;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return true;
    }
    i += length;
  }
  return false;
}

// Known finding, reported to the lead (regressions/config/set-binary-value): set() accepts values
// with control bytes or malformed UTF-8 that to_ini() writes and load_file() then rejects, so a
// run's written config.ini does not load back. While exploring (CURVTRACK_FUZZ_SKIP_KNOWN=1, as
// scripts/fuzz.sh sets it) the round trip is not checked for such values, so the fuzzer looks
// for other failures; the regression inputs run without it and still fail until it is fixed.
bool skip_known_finding(const std::string& ini) {
  static const bool skip = std::getenv("CURVTRACK_FUZZ_SKIP_KNOWN") != nullptr;
  return skip && has_binary_bytes(ini);
}

// Reads every key back through each accessor; conversions may reject, nothing else may happen.
void read_all(const Config& config) {
  using namespace curvtrack;
  for (const std::string& key : config.key_names()) {
    std::string value = config.get(key);
    FUZZ_CHECK(config.has(key) == !value.empty());
    FUZZ_CHECK(value.find_first_of("#\r\n") == std::string::npos);
    FUZZ_CHECK(value == core::trim(value));
    fuzz::expect_rejections([&] { config.get_double(key); });
    fuzz::expect_rejections([&] { config.get_int(key); });
    fuzz::expect_rejections([&] { config.get_bool(key); });
  }
  for (const char* section : {"data", "optim", "schedule", "run", "zz_custom", "extra", ""}) {
    for (const auto& [key, value] : config.section(section)) FUZZ_CHECK(!value.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::string text = fuzz::as_string(data, size);
  Config config = make_config();
  fuzz::expect_rejections([&] { config.load_file(fuzz::write_scratch("config.ini", text)); });
  // The first lines only: each unknown key costs an edit distance to every declared key, and
  // more lines add executions, not behaviour.
  const std::vector<std::string> lines = core::split(text, '\n');
  for (std::size_t i = 0; i < lines.size() && i < 16; ++i) {
    fuzz::expect_rejections([&] { config.set(lines[i]); });
  }
  read_all(config);

  const std::string ini = config.to_ini();
  if (skip_known_finding(ini)) return 0;
  Config reloaded = make_config();
  bool loaded = fuzz::expect_rejections([&] { reloaded.load_file(fuzz::write_scratch("resolved.ini", ini)); });
  if (!loaded) {
    std::fprintf(stderr, "to_ini() output that load_file() rejects:\n%s\n", ini.c_str());
    try {
      reloaded.load_file(fuzz::scratch() / "resolved.ini");
    } catch (const std::exception& error) {
      std::fprintf(stderr, "load_file: %s\n", error.what());
    }
  }
  FUZZ_CHECK(loaded);
  for (const std::string& key : config.key_names()) FUZZ_CHECK(reloaded.get(key) == config.get(key));
  FUZZ_CHECK(reloaded.to_ini() == ini);
  return 0;
}
