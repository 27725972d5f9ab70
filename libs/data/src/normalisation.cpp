#include "curvtrack/data/normalisation.hpp"

#include "curvtrack/core/errors.hpp"

namespace curvtrack::data {

Normalisation normalisation_for(const std::string& dataset_name) {
  if (dataset_name == "fashion-mnist" || dataset_name == "idx") return {0.2860, 0.3530};
  if (dataset_name == "mnist") return {0.1307, 0.3081};
  if (dataset_name == "kmnist") return {0.1918, 0.3483};
  throw core::UsageError("no normalisation known for dataset '" + dataset_name +
                         "'; expected one of: fashion-mnist, mnist, kmnist, idx");
}

std::array<Normalisation, 3> channel_normalisations_for(const std::string& dataset_name) {
  if (dataset_name == "cifar10") return {{{0.4914, 0.2470}, {0.4822, 0.2435}, {0.4465, 0.2616}}};
  if (dataset_name == "cifar100") return {{{0.5071, 0.2673}, {0.4865, 0.2564}, {0.4409, 0.2762}}};
  throw core::UsageError("no per-channel normalisation known for dataset '" + dataset_name +
                         "'; expected one of: cifar10, cifar100");
}

std::array<float, 256> normalisation_table(const Normalisation& normalisation) {
  std::array<float, 256> table{};
  // The whole formula stays in double and is rounded once: every implementation that follows
  // the same recipe (numpy float64 then astype(float32)) gets identical bits.
  for (int p = 0; p < 256; ++p) {
    table[p] = static_cast<float>((p / 255.0 - normalisation.mean) / normalisation.std);
  }
  return table;
}

}  // namespace curvtrack::data
