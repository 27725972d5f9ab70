#include "curvtrack/ranks/process_group.hpp"

#include <ATen/ATen.h>
#ifdef CURVTRACK_HAVE_GLOO
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::ranks {
#ifdef CURVTRACK_HAVE_GLOO
namespace {

using Clock = std::chrono::steady_clock;

std::string arrival_key(int rank) { return "curvtrack/arrived/" + std::to_string(rank); }
const char* const kAllArrivedKey = "curvtrack/all-arrived";

std::string where(const RankEnvironment& environment) {
  return environment.store_file.empty()
             ? environment.master_addr + ":" + std::to_string(environment.master_port)
             : "file " + environment.store_file;
}

c10::intrusive_ptr<c10d::Store> open_store(const RankEnvironment& environment, std::chrono::seconds timeout) {
  if (!environment.store_file.empty()) {
    auto store = c10::make_intrusive<c10d::FileStore>(environment.store_file, environment.ranks);
    store->setTimeout(timeout);
    return store;
  }
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(environment.master_port);
  options.isServer = environment.rank == 0;
  options.waitWorkers = false;  // arrivals are checked below, so a missing rank can be named
  options.timeout = timeout;
  try {
    return c10::make_intrusive<c10d::TCPStore>(environment.master_addr, options);
  } catch (const std::exception& error) {
    std::string role = environment.rank == 0 ? "could not serve the rendezvous store at "
                                             : "rank 0's rendezvous store did not answer at ";
    throw std::runtime_error("rank " + std::to_string(environment.rank) + ": " + role + where(environment) +
                             " within " + std::to_string(timeout.count()) + " s (" +
                             core::without_backtrace(error.what()).substr(0, 200) + ")");
  }
}

std::vector<int> missing_ranks(c10d::Store& store, int ranks) {
  std::vector<int> missing;
  for (int rank = 0; rank < ranks; ++rank) {
    if (!store.check({arrival_key(rank)})) missing.push_back(rank);
  }
  return missing;
}

// Every rank announces itself; rank 0 waits for all, then tells the others. A rank that is
// not there by the deadline is named in the error on every rank that is.
void await_ranks(c10d::Store& store, const RankEnvironment& environment, std::chrono::seconds timeout) {
  store.set(arrival_key(environment.rank), std::vector<std::uint8_t>{1});
  auto deadline = Clock::now() + timeout;
  while (true) {
    bool done = environment.rank == 0 ? missing_ranks(store, environment.ranks).empty() : store.check({kAllArrivedKey});
    if (done) break;
    if (Clock::now() > deadline) {
      std::vector<std::string> names;
      for (int rank : missing_ranks(store, environment.ranks)) names.push_back(std::to_string(rank));
      throw std::runtime_error("rank " + std::to_string(environment.rank) + " of " + std::to_string(environment.ranks) +
                               ": rank(s) " + (names.empty() ? std::string("0") : core::join(names)) +
                               " did not arrive at the rendezvous " + where(environment) + " within " +
                               std::to_string(timeout.count()) + " s (" + environment.source + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (environment.rank == 0) store.set(kAllArrivedKey, std::vector<std::uint8_t>{1});
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const RankEnvironment& environment) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME")) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  const std::string& address = environment.master_addr;
  if (address == "localhost" || address.rfind("127.", 0) == 0) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct ProcessGroup::Connection {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};
#else
struct ProcessGroup::Connection {};
#endif

ProcessGroup::ProcessGroup(RankEnvironment environment, std::unique_ptr<Connection> connection)
    : environment_(std::move(environment)), connection_(std::move(connection)) {}

ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::join(const RankEnvironment& environment, std::chrono::seconds timeout) {
  if (environment.ranks == 1) return std::unique_ptr<ProcessGroup>(new ProcessGroup(environment, nullptr));
#ifndef CURVTRACK_HAVE_GLOO
  throw std::runtime_error("rank " + std::to_string(environment.rank) + " of " + std::to_string(environment.ranks) +
                           " (" + environment.source + "): this curvtrack was built without Gloo (libgloo-dev) and runs "
                           "as one process only; unset the rank variables or set CURVTRACK_DIST=off");
#else
  auto connection = std::make_unique<Connection>();
  connection->store = open_store(environment, timeout);
  await_ranks(*connection->store, environment, timeout);
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(gloo_device(environment));
  connection->group = c10::make_intrusive<c10d::ProcessGroupGloo>(connection->store, environment.rank,
                                                                  environment.ranks, options);
  return std::unique_ptr<ProcessGroup>(new ProcessGroup(environment, std::move(connection)));
#endif
}

std::string ProcessGroup::backend() const { return connection_ ? "gloo" : "none"; }

void ProcessGroup::sum(at::Tensor& tensor) const {
  if (!connection_) return;
#ifdef CURVTRACK_HAVE_GLOO
  at::Tensor host = tensor.is_cuda() ? tensor.cpu() : tensor.contiguous();
  std::vector<at::Tensor> tensors{host};
  try {
    connection_->group->allreduce(tensors)->wait();
  } catch (const std::exception& error) {
    throw std::runtime_error("rank " + std::to_string(rank()) + ": all-reduce over " + std::to_string(ranks()) +
                             " ranks failed (a rank stopped or timed out): " + core::without_backtrace(error.what()).substr(0, 300));
  }
  if (!host.is_same(tensor)) tensor.copy_(host);
#endif
}

void ProcessGroup::barrier() const {
  if (!connection_) return;
  at::Tensor token = at::zeros({1}, at::kFloat);
  sum(token);
}

}  // namespace curvtrack::ranks
