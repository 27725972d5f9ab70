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

}  // namespace curvtrack::data
