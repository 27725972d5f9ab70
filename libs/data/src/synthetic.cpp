// Gaussian-mixture and teacher-student images: reproducible without torch's RNG.
#include "curvtrack/data/synthetic.hpp"

#include <ATen/Functions.h>

#include <cmath>
#include <optional>
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

// Larger sets are a typo in a spec, not a test set: refuse before allocating.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 31;

void check_sizes(const char* what, std::int64_t n, std::int64_t classes, std::int64_t side) {
  const std::string got = "; got n=" + std::to_string(n) + ", classes=" + std::to_string(classes) +
                          ", side=" + std::to_string(side);
  if (n < 1 || classes < 1 || side < 1) {
    throw core::UsageError(std::string(what) + " needs n >= 1, classes >= 1 and side >= 1" + got);
  }
  // side <= 46340 keeps side^2 in range; then each product is checked by division.
  if (side > 46340 || side * side > kMaxElements / n || side * side > kMaxElements / classes) {
    throw core::UsageError(std::string(what) + " is too large: n * side^2 and classes * side^2 " +
                           "must stay below 2^31" + got);
  }
}

Dataset empty_images(std::int64_t n, std::int64_t classes, std::int64_t side) {
  Dataset data;
  data.num_classes = classes;
  data.images = at::empty({n, 1, side, side}, at::TensorOptions().dtype(at::kFloat));
  data.labels = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  return data;
}

std::string recipe(const char* what, std::int64_t n, std::int64_t classes, std::int64_t side,
                   std::uint64_t seed, std::optional<std::uint64_t> sample_seed) {
  return std::string("synthetic ") + what + " n=" + std::to_string(n) + " classes=" +
         std::to_string(classes) + " side=" + std::to_string(side) + " seed=" +
         std::to_string(seed) +
         (sample_seed ? " sample_seed=" + std::to_string(*sample_seed) : std::string());
}

// Without a sample seed the examples continue the model's stream (the original recipe).
Dataset gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                         std::uint64_t seed, std::optional<std::uint64_t> sample_seed) {
  check_sizes("gaussian mixture", n, classes, side);
  const std::int64_t pixels = side * side;
  Normal model(seed);
  std::vector<double> means(static_cast<std::size_t>(classes * pixels));
  for (double& mean : means) mean = model();
  Normal separate(sample_seed.value_or(0));
  Normal& normal = sample_seed ? separate : model;

  Dataset data = empty_images(n, classes, side);
  data.name = "gaussian-mixture";
  data.source = recipe("gaussian mixture", n, classes, side, seed, sample_seed);
  float* image = data.images.data_ptr<float>();
  std::int64_t* label = data.labels.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    label[i] = i % classes;
    const double* mean = means.data() + label[i] * pixels;
    for (std::int64_t p = 0; p < pixels; ++p) *image++ = static_cast<float>(mean[p] + normal());
  }
  return data;
}

Dataset teacher_student(std::int64_t n, std::int64_t classes, std::int64_t side,
                        std::uint64_t seed, std::optional<std::uint64_t> sample_seed) {
  check_sizes("teacher-student", n, classes, side);
  const std::int64_t d = side * side, hidden = kTeacherHidden;
  Normal model(seed);
  std::vector<double> w1(static_cast<std::size_t>(hidden * d));
  const double w1_scale = 1.0 / std::sqrt(static_cast<double>(d));
  for (double& w : w1) w = model() * w1_scale;
  std::vector<double> w2(static_cast<std::size_t>(classes * hidden));
  for (std::int64_t c = 0; c < classes; ++c) {
    double* row = w2.data() + c * hidden;
    double norm2 = 0.0;
    for (std::int64_t h = 0; h < hidden; ++h) {
      row[h] = model();
      norm2 += row[h] * row[h];
    }
    const double norm = std::sqrt(norm2);
    for (std::int64_t h = 0; h < hidden; ++h) row[h] /= norm;
  }
  Normal separate(sample_seed.value_or(0));
  Normal& normal = sample_seed ? separate : model;

  Dataset data = empty_images(n, classes, side);
  data.name = "teacher-student";
  data.source = recipe("teacher-student", n, classes, side, seed, sample_seed);
  float* image = data.images.data_ptr<float>();
  std::int64_t* label = data.labels.data_ptr<std::int64_t>();
  std::vector<double> x(static_cast<std::size_t>(d)), activation(static_cast<std::size_t>(hidden));
  for (std::int64_t i = 0; i < n; ++i) {
    // The teacher sees the float32 inputs the student will see, so labels match the data exactly.
    for (std::int64_t p = 0; p < d; ++p) {
      image[p] = static_cast<float>(normal());
      x[static_cast<std::size_t>(p)] = image[p];
    }
    image += d;
    for (std::int64_t h = 0; h < hidden; ++h) {
      const double* row = w1.data() + h * d;
      double sum = 0.0;
      for (std::int64_t p = 0; p < d; ++p) sum += row[p] * x[static_cast<std::size_t>(p)];
      activation[static_cast<std::size_t>(h)] = std::tanh(sum);
    }
    std::int64_t best = 0;
    double best_logit = 0.0;
    for (std::int64_t c = 0; c < classes; ++c) {
      const double* row = w2.data() + c * hidden;
      double logit = 0.0;
      for (std::int64_t h = 0; h < hidden; ++h) logit += row[h] * activation[static_cast<std::size_t>(h)];
      if (c == 0 || logit > best_logit) {
        best = c;
        best_logit = logit;
      }
    }
    label[i] = best;
  }
  return data;
}

}  // namespace

Dataset make_gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                              std::uint64_t seed) {
  return gaussian_mixture(n, classes, side, seed, std::nullopt);
}

Dataset make_gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                              std::uint64_t seed, std::uint64_t sample_seed) {
  return gaussian_mixture(n, classes, side, seed, sample_seed);
}

Dataset make_teacher_student(std::int64_t n, std::int64_t classes, std::int64_t side,
                             std::uint64_t seed) {
  return teacher_student(n, classes, side, seed, std::nullopt);
}

Dataset make_teacher_student(std::int64_t n, std::int64_t classes, std::int64_t side,
                             std::uint64_t seed, std::uint64_t sample_seed) {
  return teacher_student(n, classes, side, seed, sample_seed);
}

}  // namespace curvtrack::data
