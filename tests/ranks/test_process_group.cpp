#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <functional>
#include <thread>

#include "curvtrack/core/shares.hpp"
#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/probe.hpp"
#include "curvtrack/ranks/process_group.hpp"
#include "curvtrack/train/optimizer.hpp"
#include "curvtrack/train/step.hpp"
#include "dense_reference.hpp"
#include "test_problem.hpp"
#include "test_support.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;
using curvtrack::testing::relative_gap;

namespace {

// A TCP port free at the moment of asking.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

ranks::RankEnvironment rank_of(int rank, int ranks, int port) {
  ranks::RankEnvironment environment;
  environment.rank = rank;
  environment.ranks = ranks;
  environment.master_port = port;
  environment.source = "test";
  return environment;
}

// Runs body(group) on two ranks, each a thread of this process joined over Gloo; rethrows the
// first failure. Checks belong after it returns (Catch2 is not thread-safe).
void on_two_ranks(const std::function<void(const ranks::ProcessGroup&)>& body) {
  const int port = free_port();
  std::exception_ptr failures[2];
  auto rank_main = [&](int rank) {
    try {
      auto group = ranks::ProcessGroup::join(rank_of(rank, 2, port), std::chrono::seconds(30));
      body(*group);
    } catch (...) {
      failures[rank] = std::current_exception();
    }
  };
  std::thread other(rank_main, 1);
  rank_main(0);
  other.join();
  for (auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

}  // namespace

TEST_CASE("two ranks sum a tensor", "[unit][dist]") {
  double sums[2] = {0, 0};
  on_two_ranks([&](const ranks::ProcessGroup& group) {
    at::Tensor value = at::full({3}, group.rank() + 1.0, at::kDouble);
    group.sum(value);
    sums[group.rank()] = value.sum().item<double>();
  });
  CHECK(sums[0] == 9.0);
  CHECK(sums[1] == 9.0);
}

TEST_CASE("a rank that never arrives is named in a timeout error, not a hang", "[unit][dist]") {
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(ranks::ProcessGroup::join(rank_of(0, 3, free_port()), std::chrono::seconds(1)),
                    Contains("rank(s) 1, 2 did not arrive") && Contains("within 1 s"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK_THROWS_WITH(ranks::ProcessGroup::join(rank_of(1, 2, free_port()), std::chrono::seconds(1)),
                    Contains("rank 0's rendezvous store did not answer"));
}

TEST_CASE("the HVP over two ranks' shares equals the dense Hessian of the whole probe set", "[unit][dist]") {
  auto spec = GENERATE(std::string("mlp:16-5-3:tanh"), std::string("cnn:2-3:tanh:classes=3:side=4"));
  const std::int64_t examples = 25;  // odd: the shares differ in size
  testing::Problem whole = testing::make_problem(spec, examples, 4, 3);
  Eigen::MatrixXd expected = testing::row_by_row_hessian(*whole.network, whole.inputs, whole.labels);
  Eigen::MatrixXd on_rank[2];
  double loss[2] = {0, 0};
  Eigen::VectorXd gradient[2];
  // Each rank its own network and data, made here: make_problem seeds the global generator.
  testing::Problem problems[2] = {testing::make_problem(spec, examples, 4, 3), testing::make_problem(spec, examples, 4, 3)};
  on_two_ranks([&](const ranks::ProcessGroup& group) {
    testing::Problem& problem = problems[group.rank()];
    core::Share share = core::share_of(examples, group.rank(), group.ranks());
    curvature::OperatorOptions options;
    options.batch_size = 4;
    options.total_examples = examples;
    options.sum_over_ranks = [&group](at::Tensor& tensor) { group.sum(tensor); };
    curvature::CurvatureOperator op(*problem.network, problem.inputs.slice(0, share.begin, share.end),
                              problem.labels.slice(0, share.begin, share.end), options);
    on_rank[group.rank()] = testing::dense_from_operator(op);
    loss[group.rank()] = op.loss();
    gradient[group.rank()] = op.gradient();
  });
  curvature::CurvatureOperator single(*whole.network, whole.inputs, whole.labels);
  INFO(spec << ": gap to the dense Hessian " << relative_gap(on_rank[0], expected));
  CHECK(relative_gap(on_rank[0], expected) < 1e-12);
  CHECK(relative_gap(on_rank[1], expected) < 1e-12);
  CHECK(std::abs(loss[0] - single.loss()) < 1e-14);
  CHECK(std::abs(loss[1] - single.loss()) < 1e-14);
  CHECK((gradient[0] - single.gradient()).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE("a data-parallel step over two ranks equals one step on the whole batch", "[unit][dist]") {
  auto spec = GENERATE(std::string("mlp:16-5-3:tanh"), std::string("cnn:2-3:tanh:bn:classes=3:side=4"));
  const std::int64_t batch = 10;
  train::OptimizerOptions optimizer_options;
  auto train_twice = [&](models::Network& network, auto&& step) {
    network.set_training(true);
    auto optimizer = train::make_optimizer(network.parameters(), optimizer_options);
    std::vector<train::StepResult> results;
    for (int i = 0; i < 2; ++i) results.push_back(step(*optimizer, 0.1, 0.9));
    return results;
  };
  testing::Problem whole = testing::make_problem(spec, batch, 4, 3);
  auto expected = train_twice(*whole.network, [&](train::Optimizer& optimizer, double lr, double momentum) {
    return train::train_step(*whole.network, optimizer, whole.inputs, whole.labels, lr, momentum);
  });
  at::Tensor expected_weights = curvature::flatten(whole.network->parameters()).detach();

  at::Tensor weights[2], buffers[2];
  std::vector<train::StepResult> results[2];
  testing::Problem problems[2] = {testing::make_problem(spec, batch, 4, 3), testing::make_problem(spec, batch, 4, 3)};
  on_two_ranks([&](const ranks::ProcessGroup& group) {
    testing::Problem& problem = problems[group.rank()];
    core::Share share = core::share_of(batch, group.rank(), group.ranks());
    train::DataParallel parallel{group.rank(), group.ranks(), [&group](at::Tensor& t) { group.sum(t); }};
    at::Tensor inputs = problem.inputs.slice(0, share.begin, share.end);
    at::Tensor labels = problem.labels.slice(0, share.begin, share.end);
    results[group.rank()] = train_twice(*problem.network, [&](train::Optimizer& optimizer, double lr, double momentum) {
      return train::train_step_shared(*problem.network, optimizer, inputs, labels, batch, parallel, lr, momentum);
    });
    weights[group.rank()] = curvature::flatten(problem.network->parameters()).detach();
    std::vector<at::Tensor> floating;
    for (const auto& buffer : problem.network->buffers()) {
      if (buffer.is_floating_point()) floating.push_back(buffer);
    }
    buffers[group.rank()] = floating.empty() ? at::zeros({1}) : curvature::flatten(floating);
  });
  INFO(spec);
  if (spec.find(":bn") == std::string::npos) {
    // Without BatchNorm the two ranks take exactly the whole batch's steps.
    CHECK(results[0][1].loss == Approx(expected[1].loss).epsilon(1e-12));
    CHECK(results[0][1].gradient_norm == Approx(expected[1].gradient_norm).epsilon(1e-12));
    CHECK((weights[0] - expected_weights).abs().max().item<double>() < 1e-12);
  } else {
    // With BatchNorm each rank normalises its own share: close, not equal (as PyTorch's DDP).
    CHECK((weights[0] - expected_weights).abs().max().item<double>() > 0);
  }
  // The ranks agree bit for bit.
  CHECK(results[0][1].loss == results[1][1].loss);
  CHECK(at::equal(weights[0], weights[1]));
  CHECK(at::equal(buffers[0], buffers[1]));  // BatchNorm running statistics averaged over the ranks
}

TEST_CASE("a curvature probe with its products split over two ranks measures what one process does",
          "[unit][dist]") {
  const std::string spec = "mlp:16-5-3:tanh";
  const std::int64_t examples = 31;
  auto probe_set = [&] {
    testing::Problem problem = testing::make_problem(spec, examples, 4, 3);
    return data::Dataset{problem.inputs.to(at::kFloat), problem.labels, 3, "test", "make_problem"};
  };
  curvature::ProbeOptions options;
  options.top_k = 2;
  options.trace = linalg::TraceMethod::kHutchinson;
  options.trace_samples = 8;
  options.esd_steps = 6;
  options.esd_runs = 1;
  options.tol = 1e-10;
  options.test_hessian = true;
  curvature::StepContext context;
  context.stability_limit = 3.8;

  testing::Problem whole = testing::make_problem(spec, examples, 4, 3);
  curvature::CurvatureProbe single(options, probe_set(), probe_set());
  nlohmann::json expected = single.measure(*whole.network, context).to_json();

  nlohmann::json records[2];
  testing::Problem problems[2] = {testing::make_problem(spec, examples, 4, 3), testing::make_problem(spec, examples, 4, 3)};
  data::Dataset sets[2] = {probe_set(), probe_set()};
  on_two_ranks([&](const ranks::ProcessGroup& group) {
    const int rank = group.rank();
    curvature::CurvatureProbe probe(options, sets[rank], sets[rank]);
    probe.split_products(rank, group.ranks(), [&group](at::Tensor& t) { group.sum(t); });
    records[rank] = probe.measure(*problems[rank].network, context).to_json();
  });
  for (const auto& record : records) {
    for (int i = 0; i < 2; ++i) {
      CHECK(record["top"]["values"][i].get<double>() ==
            Approx(expected["top"]["values"][i].get<double>()).epsilon(1e-10));
    }
    CHECK(record["trace"]["value"].get<double>() == Approx(expected["trace"]["value"].get<double>()).epsilon(1e-10));
    CHECK(record["esd"]["trace_estimate"].get<double>() ==
          Approx(expected["esd"]["trace_estimate"].get<double>()).epsilon(1e-10));
    CHECK(record["test_hessian"]["trace"]["value"].get<double>() ==
          Approx(expected["test_hessian"]["trace"]["value"].get<double>()).epsilon(1e-10));
    CHECK(record["hvps"] == expected["hvps"]);
  }
}
