#pragma once
// Per-dataset pixel normalisation, bit-exact across implementations; torch-free.

#include <array>
#include <string>

namespace curvtrack::data {

/// Mean and standard deviation of the training pixels, on the [0, 1] scale.
struct Normalisation {
  double mean;  ///< subtracted from p / 255
  double std;   ///< divides the centred value
};

/// The published statistics: fashion-mnist (and idx) 0.2860/0.3530, mnist 0.1307/0.3081,
/// kmnist 0.1918/0.3483. Throws core::UsageError for any other name.
Normalisation normalisation_for(const std::string& dataset_name);

/// Entry p is float((p / 255.0 - mean) / std), computed in double and rounded once to float32.
std::array<float, 256> normalisation_table(const Normalisation& normalisation);

/// Per-channel (R, G, B) statistics of the colour datasets: cifar10 means 0.4914, 0.4822, 0.4465,
/// stds 0.2470, 0.2435, 0.2616; cifar100 means 0.5071, 0.4865, 0.4409, stds 0.2673, 0.2564,
/// 0.2762. Throws core::UsageError for any other name.
std::array<Normalisation, 3> channel_normalisations_for(const std::string& dataset_name);

}  // namespace curvtrack::data
