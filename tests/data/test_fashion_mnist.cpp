#include "test_prelude.hpp"

#include <ATen/Functions.h>

#include "curvtrack/data/dataset.hpp"

using namespace curvtrack::data;

// The real dataset, when installed (apt-get install dataset-fashion-mnist); skipped otherwise.
TEST_CASE("the installed Fashion-MNIST has its published sizes, labels and statistics", "[data]") {
  DatasetSpec spec = parse_dataset_spec("fashion-mnist");
  if (!std::filesystem::exists(spec.root)) {
    WARN("skipped: " << spec.root << " is absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  Dataset train = load_dataset(spec, Split::kTrain);
  Dataset test = load_dataset(spec, Split::kTest);
  REQUIRE(train.images.sizes() == at::IntArrayRef({60000, 1, 28, 28}));
  REQUIRE(test.images.sizes() == at::IntArrayRef({10000, 1, 28, 28}));
  REQUIRE(test.labels.size(0) == 10000);
  REQUIRE(train.labels.min().item<std::int64_t>() == 0);
  REQUIRE(train.labels.max().item<std::int64_t>() == 9);
  REQUIRE(test.labels.max().item<std::int64_t>() == 9);
  // Checked with Python's gzip module: the first training example is an ankle boot (class 9).
  REQUIRE(train.labels[0].item<std::int64_t>() == 9);
  // Every class appears 6000 times in the training split.
  REQUIRE(at::bincount(train.labels).eq(6000).all().item<bool>());
  // The published mean/std were computed on this training set, so normalised pixels are ~N(0,1).
  at::Tensor pixels = train.images.to(at::kDouble);
  REQUIRE_THAT(pixels.mean().item<double>(), Catch::Matchers::WithinAbs(0.0, 1e-2));
  REQUIRE_THAT(pixels.std().item<double>(), Catch::Matchers::WithinAbs(1.0, 1e-2));
}

TEST_CASE("the first 2048 installed Fashion-MNIST training images read alone equal the whole decode's", "[data]") {
  DatasetSpec spec = parse_dataset_spec("fashion-mnist");
  if (!std::filesystem::exists(spec.root)) {
    WARN("skipped: " << spec.root << " is absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  const Dataset train = load_dataset(spec, Split::kTrain);
  const DatasetHead head = load_dataset_head(spec, Split::kTrain, 2048);
  REQUIRE(head.split_examples == 60000);
  REQUIRE(head.data.images.equal(train.images.slice(0, 0, 2048)));
  REQUIRE(head.data.labels.equal(train.labels.slice(0, 0, 2048)));
}
