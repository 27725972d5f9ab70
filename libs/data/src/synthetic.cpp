// Gaussian-mixture images: reproducible without torch's RNG.
#include "curvtrack/data/synthetic.hpp"

#include <ATen/Functions.h>

#include <cmath>
#include <random>
#include <vector>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::data {
namespace {

// std::normal_distribution differs between standard libraries; this recipe does not.
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : rng_(seed) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    constexpr double kTwoPi = 6.283185307179586476925;
    double u1 = uniform_open();
    double u2 = uniform_open();
    double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(kTwoPi * u2);
    has_spare_ = true;
    return radius * std::cos(kTwoPi * u2);
  }

 private:
  // Uniform on (0, 1]: the top 53 bits, shifted off zero so log() stays finite.
  double uniform_open() { return (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53; }

  std::mt19937_64 rng_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace

Dataset make_gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                              std::uint64_t seed) {
  if (n < 1 || classes < 1 || side < 1) {
    throw core::UsageError("gaussian mixture needs n >= 1, classes >= 1 and side >= 1; got n=" +
                           std::to_string(n) + ", classes=" + std::to_string(classes) +
                           ", side=" + std::to_string(side));
  }
  const std::int64_t pixels = side * side;
  Normal normal(seed);
  std::vector<double> means(static_cast<std::size_t>(classes * pixels));
  for (double& mean : means) mean = normal();

  Dataset data;
  data.num_classes = classes;
  data.name = "gaussian-mixture";
  data.source = "synthetic gaussian mixture n=" + std::to_string(n) + " classes=" +
                std::to_string(classes) + " side=" + std::to_string(side) +
                " seed=" + std::to_string(seed);
  data.images = at::empty({n, 1, side, side}, at::TensorOptions().dtype(at::kFloat));
  data.labels = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  float* image = data.images.data_ptr<float>();
  std::int64_t* label = data.labels.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    label[i] = i % classes;
    const double* mean = means.data() + label[i] * pixels;
    for (std::int64_t p = 0; p < pixels; ++p) *image++ = static_cast<float>(mean[p] + normal());
  }
  return data;
}

}  // namespace curvtrack::data
