// Probe specs and probe indices: text and integer work only, no tensor work.
#include "curvtrack/data/probe.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "random_bits.hpp"

namespace curvtrack::data {
namespace {

using detail::uniform_below;

[[noreturn]] void reject(const std::string& text, const std::string& why) {
  throw core::UsageError("probe spec '" + text + "' " + why +
                         "; accepted: [train:|test:]first:N, [train:|test:]random:N:SEED, "
                         "[train:|test:]all (N >= 1, SEED >= 0)");
}

std::int64_t parse_field(const std::string& text, const std::string& field, const char* what,
                         std::int64_t minimum) {
  std::int64_t value = 0;
  try {
    value = core::parse_int(field, what);
  } catch (const core::UsageError&) {
    reject(text, std::string("has ") + what + " '" + field + "', not an integer");
  }
  if (value < minimum) {
    reject(text, std::string("has ") + what + " " + field + ", below " + std::to_string(minimum));
  }
  return value;
}

}  // namespace

ProbeSpec parse_probe_spec(const std::string& text) {
  std::vector<std::string> fields = core::split(core::trim(text), ':');
  ProbeSpec spec{Split::kTrain, ProbeSpec::Kind::kAll, 0, 0, text};
  if (fields[0] == "train" || fields[0] == "test") {
    spec.split = fields[0] == "train" ? Split::kTrain : Split::kTest;
    fields.erase(fields.begin());
  }
  if (fields.empty()) reject(text, "names a split but no selection");
  const std::string& kind = fields[0];
  if (kind == "all") {
    if (fields.size() != 1) reject(text, "has fields after 'all'");
    spec.kind = ProbeSpec::Kind::kAll;
  } else if (kind == "first") {
    if (fields.size() != 2) reject(text, "needs exactly one field after 'first' (N)");
    spec.kind = ProbeSpec::Kind::kFirst;
    spec.count = parse_field(text, fields[1], "N", 1);
  } else if (kind == "random") {
    if (fields.size() != 3) reject(text, "needs exactly two fields after 'random' (N:SEED)");
    spec.kind = ProbeSpec::Kind::kRandom;
    spec.count = parse_field(text, fields[1], "N", 1);
    spec.seed = static_cast<std::uint64_t>(parse_field(text, fields[2], "SEED", 0));
  } else {
    reject(text, "has an unknown selection '" + kind + "'");
  }
  return spec;
}

std::vector<std::int64_t> probe_indices(const ProbeSpec& spec, std::int64_t dataset_size) {
  if (spec.kind == ProbeSpec::Kind::kAll) {
    std::vector<std::int64_t> all(static_cast<std::size_t>(std::max<std::int64_t>(dataset_size, 0)));
    std::iota(all.begin(), all.end(), std::int64_t{0});
    return all;
  }
  if (spec.count > dataset_size) {
    throw core::UsageError("probe " + spec.text + " asks for " + std::to_string(spec.count) +
                           " examples but the " + split_name(spec.split) + " split has " +
                           std::to_string(dataset_size));
  }
  std::vector<std::int64_t> indices(static_cast<std::size_t>(
      spec.kind == ProbeSpec::Kind::kFirst ? spec.count : dataset_size));
  std::iota(indices.begin(), indices.end(), std::int64_t{0});
  if (spec.kind == ProbeSpec::Kind::kRandom) {
    // Partial Fisher-Yates: position i receives a uniform pick among the not-yet-chosen.
    std::mt19937_64 rng(spec.seed);
    const auto n = static_cast<std::uint64_t>(dataset_size);
    for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(spec.count); ++i) {
      std::uint64_t j = i + uniform_below(rng, n - i);
      std::swap(indices[i], indices[j]);
    }
    indices.resize(static_cast<std::size_t>(spec.count));
  }
  return indices;
}

}  // namespace curvtrack::data
