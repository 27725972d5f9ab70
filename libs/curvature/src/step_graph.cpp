#include "curvtrack/curvature/step_graph.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "curvtrack/curvature/curvature_operator.hpp"

namespace curvtrack::curvature {

StepGraphOperator::StepGraphOperator(std::vector<at::Tensor> parameters, const at::Tensor& loss)
    : parameters_(std::move(parameters)), dtype_(parameters_.front().scalar_type()) {
  at::AutoGradMode enable(true);
  pieces_ = torch::autograd::grad({loss}, parameters_, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                  /*allow_unused=*/true);
  for (std::size_t i = 0; i < pieces_.size(); ++i) {
    if (!pieces_[i].defined()) pieces_[i] = at::zeros_like(parameters_[i]);
  }
  flat_ = flatten(pieces_);
  size_ = flat_.numel();
  at::Tensor host = flat_.detach().to(at::kCPU, at::kDouble).contiguous();
  gradient_ = Eigen::Map<const Eigen::VectorXd>(host.data_ptr<double>(), size_);
}

std::vector<at::Tensor> StepGraphOperator::detached_gradient() const {
  std::vector<at::Tensor> out;
  out.reserve(pieces_.size());
  for (const auto& piece : pieces_) out.push_back(piece.detach());
  return out;
}

void StepGraphOperator::perform_op(const double* x, double* y) const {
  at::Tensor v = at::from_blob(const_cast<double*>(x), {size_}, at::kDouble).to(flat_.device(), dtype_);
  auto products = torch::autograd::grad({flat_}, parameters_, {v}, /*retain_graph=*/true, /*create_graph=*/false,
                                        /*allow_unused=*/true);
  for (std::size_t i = 0; i < products.size(); ++i) {
    if (!products[i].defined()) products[i] = at::zeros_like(parameters_[i]);
  }
  at::Tensor result = flatten(products).to(at::kCPU, at::kDouble).contiguous();
  std::copy(result.data_ptr<double>(), result.data_ptr<double>() + size_, y);
  ++products_;
}

}  // namespace curvtrack::curvature
