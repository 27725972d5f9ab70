#include "curvtrack/curvature/loss_slices.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/curvature/probe_loss.hpp"

namespace curvtrack::curvature {
namespace {

using Tensors = std::vector<at::Tensor>;

void check_direction(const Tensors& parameters, const Tensors& direction, const char* name) {
  if (direction.size() != parameters.size()) {
    throw std::invalid_argument(std::string("loss slice: direction ") + name + " has " +
                                std::to_string(direction.size()) + " tensors for " +
                                std::to_string(parameters.size()) + " parameters");
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (!direction[i].sizes().equals(parameters[i].sizes())) {
      throw std::invalid_argument(std::string("loss slice: direction ") + name + " tensor " +
                                  std::to_string(i) + " has the wrong shape");
    }
  }
}

Tensors converted_like(const Tensors& direction, const Tensors& parameters) {
  Tensors out;
  for (std::size_t i = 0; i < direction.size(); ++i) {
    out.push_back(direction[i].detach().to(parameters[i].device(), parameters[i].scalar_type()));
  }
  return out;
}

// Keeps the loss of a diverged point as NaN, not +-inf, so the JSON null means one thing.
double finite_or_nan(double value) { return std::isfinite(value) ? value : std::nan(""); }

}  // namespace

void SliceOptions::check() const {
  if (points < 2) throw core::UsageError("loss slice: points must be >= 2, got " + std::to_string(points));
  if (!(std::isfinite(radius) && radius > 0)) {
    throw core::UsageError("loss slice: radius must be > 0, got " + std::to_string(radius));
  }
  if (batch_size < 1) {
    throw core::UsageError("loss slice: batch_size must be >= 1, got " + std::to_string(batch_size));
  }
}

std::vector<double> SliceOptions::grid() const {
  std::vector<double> values;
  const int last = points - 1;
  for (int i = 0; i < points; ++i) values.push_back(radius * static_cast<double>(2 * i - last) / last);
  return values;
}

std::vector<at::Tensor> filter_normalised_direction(models::Network& network, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensors direction;
  c10::NoGradGuard no_grad;
  for (const auto& parameter : network.parameters()) {
    at::Tensor w = parameter.detach();
    if (w.dim() <= 1) {
      direction.push_back(at::zeros_like(w));
      continue;
    }
    at::Tensor d = seeded_normal_like(w, rng);
    // Per-filter norms in double, so the float32 rescaling is exact up to one rounding.
    at::Tensor w_rows = w.to(at::kDouble).reshape({w.size(0), -1});
    at::Tensor d_rows = d.to(at::kDouble).reshape({w.size(0), -1});
    at::Tensor w_norms = w_rows.norm(2, {1}, /*keepdim=*/true);
    at::Tensor d_norms = d_rows.norm(2, {1}, /*keepdim=*/true);
    at::Tensor scaled = d_rows * (w_norms / d_norms);  // d_norms > 0 with probability one
    direction.push_back(scaled.reshape(w.sizes()).to(w.scalar_type()));
  }
  return direction;
}

Slice1d loss_slice_1d(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                      const std::vector<at::Tensor>& direction, const SliceOptions& options,
                      std::string name) {
  options.check();
  StateGuard guard(network);
  auto parameters = network.parameters();
  check_direction(parameters, direction, "d");
  const Tensors& w0 = guard.parameters();
  const Tensors d = converted_like(direction, parameters);
  Slice1d slice;
  slice.direction = std::move(name);
  slice.alphas = options.grid();
  for (double alpha : slice.alphas) {
    {
      c10::NoGradGuard no_grad;
      for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(w0[i] + alpha * d[i]);
    }
    slice.losses.push_back(finite_or_nan(probe_loss(network, inputs, labels, options.batch_size, options.loss)));
  }
  return slice;
}

Slice2d loss_slice_2d(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                      const std::vector<at::Tensor>& d1, const std::vector<at::Tensor>& d2,
                      const SliceOptions& options) {
  options.check();
  StateGuard guard(network);
  auto parameters = network.parameters();
  check_direction(parameters, d1, "d1");
  check_direction(parameters, d2, "d2");
  const Tensors& w0 = guard.parameters();
  const Tensors a = converted_like(d1, parameters);
  const Tensors b = converted_like(d2, parameters);
  Slice2d slice;
  slice.alphas = options.grid();
  slice.betas = options.grid();
  for (double alpha : slice.alphas) {
    Tensors row_origin;
    {
      c10::NoGradGuard no_grad;
      for (std::size_t i = 0; i < parameters.size(); ++i) row_origin.push_back(w0[i] + alpha * a[i]);
    }
    for (double beta : slice.betas) {
      {
        c10::NoGradGuard no_grad;
        for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(row_origin[i] + beta * b[i]);
      }
      slice.losses.push_back(finite_or_nan(probe_loss(network, inputs, labels, options.batch_size, options.loss)));
    }
  }
  return slice;
}

std::vector<at::Tensor> unflatten_like(const Eigen::VectorXd& flat, models::Network& network) {
  auto parameters = network.parameters();
  std::int64_t total = 0;
  for (const auto& parameter : parameters) total += parameter.numel();
  if (flat.size() != total) {
    throw std::invalid_argument("unflatten_like: vector of length " + std::to_string(flat.size()) +
                                " for " + std::to_string(total) + " parameters");
  }
  Tensors out;
  std::int64_t offset = 0;
  for (const auto& parameter : parameters) {
    at::Tensor host = at::empty({parameter.numel()}, at::TensorOptions().dtype(at::kDouble));
    std::copy(flat.data() + offset, flat.data() + offset + parameter.numel(), host.data_ptr<double>());
    offset += parameter.numel();
    out.push_back(host.reshape(parameter.sizes()).to(parameter.device(), parameter.scalar_type()));
  }
  return out;
}

runs::Slice1dRecord slice_record(const Slice1d& slice) { return {slice.alphas, slice.losses, slice.direction}; }

runs::Slice2dRecord slice_record(const Slice2d& slice) {
  runs::Slice2dRecord record{slice.alphas, slice.betas, {}, "losses[i][j] = L(w + alphas[i] d1 + betas[j] d2)"};
  const std::size_t columns = slice.betas.size();
  for (std::size_t i = 0; i < slice.alphas.size(); ++i) {
    record.losses.emplace_back(slice.losses.begin() + static_cast<std::ptrdiff_t>(i * columns),
                               slice.losses.begin() + static_cast<std::ptrdiff_t>((i + 1) * columns));
  }
  return record;
}

}  // namespace curvtrack::curvature
