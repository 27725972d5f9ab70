#include "test_prelude.hpp"

#include <ATen/core/Tensor.h>

#include <string>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/dataset.hpp"
#include "idx_test_files.hpp"
#include "test_support.hpp"

using namespace curvtrack::data;
using namespace curvtrack::data::testing;
using Catch::Matchers::Contains;
using curvtrack::core::DataError;
using curvtrack::testing::TempDir;
using curvtrack::core::UsageError;

TEST_CASE("dataset specs name a known dataset and optionally its folder", "[unit]") {
  DatasetSpec bare = parse_dataset_spec("fashion-mnist");
  REQUIRE(bare.name == "fashion-mnist");
  REQUIRE(bare.root == "/usr/share/datasets/fashion-mnist");
  DatasetSpec with_root = parse_dataset_spec("mnist:/data/mnist:v2");
  REQUIRE(with_root.name == "mnist");
  REQUIRE(with_root.root == "/data/mnist:v2");  // only the first colon separates
  REQUIRE(parse_dataset_spec("kmnist:/k").name == "kmnist");
  REQUIRE(parse_dataset_spec("fashion-mnist:/f").root == "/f");
  REQUIRE(parse_dataset_spec("idx:/i").name == "idx");
}

TEST_CASE("bad dataset specs throw a UsageError listing the accepted names", "[unit]") {
  REQUIRE_THROWS_AS(parse_dataset_spec("svhn:/x"), UsageError);
  REQUIRE_THROWS_WITH(parse_dataset_spec("cifar:/x"), Contains("did you mean cifar10"));
  REQUIRE_THROWS_WITH(parse_dataset_spec("fashion_mnist"),
                      Contains("fashion_mnist") && Contains("did you mean fashion-mnist") &&
                          Contains("mnist, kmnist"));
  REQUIRE_THROWS_WITH(parse_dataset_spec("idx"), Contains("needs a folder"));
  REQUIRE_THROWS_WITH(parse_dataset_spec("mnist:"), Contains("empty folder"));
}

TEST_CASE("a generated split loads with its shape, labels and provenance", "[unit]") {
  TempDir dir;
  write_split(dir.path(), "train", 12, 5, 3, /*gzip=*/true);
  write_split(dir.path(), "t10k", 4, 5, 3, /*gzip=*/false);
  Dataset train = load_dataset({"mnist", dir.path()}, Split::kTrain);
  REQUIRE(train.images.sizes() == at::IntArrayRef({12, 1, 5, 3}));
  REQUIRE(train.images.scalar_type() == at::kFloat);
  REQUIRE(train.labels.scalar_type() == at::kLong);
  REQUIRE(train.labels.size(0) == 12);
  REQUIRE(train.labels.data_ptr<std::int64_t>()[11] == 1);
  REQUIRE(train.num_classes == 10);
  REQUIRE(train.name == "mnist");
  REQUIRE_THAT(train.source, Contains("train-images-idx3-ubyte.gz") &&
                                 Contains("train-labels-idx1-ubyte.gz"));
  Dataset test = load_dataset({"mnist", dir.path()}, Split::kTest);
  REQUIRE(test.labels.size(0) == 4);
  REQUIRE_THAT(test.source, Contains("t10k-images-idx3-ubyte"));
}

TEST_CASE("loaded pixels are the float32 rounding of the double normalisation formula", "[unit]") {
  TempDir dir;
  write_split(dir.path(), "train", 300, 1, 1, false);  // pixel i % 256: every value appears
  Dataset kmnist = load_dataset({"kmnist", dir.path()}, Split::kTrain);
  const float* pixels = kmnist.images.data_ptr<float>();
  for (int i = 0; i < 300; ++i) {
    float expected = static_cast<float>(((i % 256) / 255.0 - 0.1918) / 0.3483);
    INFO("pixel " << i % 256);
    REQUIRE(pixels[i] == expected);
  }
}

TEST_CASE("images and labels that disagree in count are rejected naming both files", "[unit]") {
  TempDir dir;
  write_raw(dir.path() / "train-images-idx3-ubyte", idx_bytes({3, 2, 2}, ramp(12)));
  write_raw(dir.path() / "train-labels-idx1-ubyte", idx_bytes({4}, ramp(4, 10)));
  REQUIRE_THROWS_AS(load_dataset({"mnist", dir.path()}, Split::kTrain), DataError);
  REQUIRE_THROWS_WITH(load_dataset({"mnist", dir.path()}, Split::kTrain),
                      Contains("train-images-idx3-ubyte holds 3 images") &&
                          Contains("train-labels-idx1-ubyte holds 4 labels"));
}

TEST_CASE("a label outside 0..9 is rejected naming the labels file", "[unit]") {
  TempDir dir;
  write_raw(dir.path() / "train-images-idx3-ubyte", idx_bytes({3, 2, 2}, ramp(12)));
  write_raw(dir.path() / "train-labels-idx1-ubyte", idx_bytes({3}, std::string("\x01\x0a\x02", 3)));
  REQUIRE_THROWS_AS(load_dataset({"mnist", dir.path()}, Split::kTrain), DataError);
  REQUIRE_THROWS_WITH(load_dataset({"mnist", dir.path()}, Split::kTrain),
                      Contains((dir.path() / "train-labels-idx1-ubyte").string()) &&
                          Contains("label 10 at index 1"));
}

TEST_CASE("images that are not 3-D and labels that are not 1-D are rejected", "[unit]") {
  TempDir dir;
  write_raw(dir.path() / "train-images-idx3-ubyte", idx_bytes({3, 4}, ramp(12)));
  write_raw(dir.path() / "train-labels-idx1-ubyte", idx_bytes({3}, ramp(3, 10)));
  REQUIRE_THROWS_WITH(load_dataset({"mnist", dir.path()}, Split::kTrain),
                      Contains("train-images-idx3-ubyte holds a 2-D array"));
  write_raw(dir.path() / "train-images-idx3-ubyte", idx_bytes({3, 2, 2}, ramp(12)));
  write_raw(dir.path() / "train-labels-idx1-ubyte", idx_bytes({3, 1}, ramp(3, 10)));
  REQUIRE_THROWS_WITH(load_dataset({"mnist", dir.path()}, Split::kTrain),
                      Contains("train-labels-idx1-ubyte holds a 2-D array"));
}

TEST_CASE("a missing dataset file is named along with how to supply it", "[unit]") {
  TempDir dir;
  write_split(dir.path(), "train", 2, 2, 2, false);
  std::filesystem::remove(dir.path() / "train-labels-idx1-ubyte");
  REQUIRE_THROWS_AS(load_dataset({"mnist", dir.path()}, Split::kTrain), DataError);
  REQUIRE_THROWS_WITH(load_dataset({"mnist", dir.path()}, Split::kTrain),
                      Contains((dir.path() / "train-labels-idx1-ubyte.gz").string()) &&
                          Contains("--data mnist:/path/to/folder"));
  // The test split was never written.
  REQUIRE_THROWS_WITH(load_dataset({"mnist", dir.path()}, Split::kTest),
                      Contains((dir.path() / "t10k-images-idx3-ubyte").string()));
}

TEST_CASE("a missing default Fashion-MNIST folder suggests the package and --data", "[unit]") {
  DatasetSpec spec{"fashion-mnist", "/nonexistent-curvtrack/fashion-mnist"};
  REQUIRE_THROWS_WITH(load_dataset(spec, Split::kTrain),
                      Contains("/nonexistent-curvtrack/fashion-mnist does not exist") &&
                          Contains("--data fashion-mnist:/path/to/folder"));
  REQUIRE(missing_dataset_hint(parse_dataset_spec("fashion-mnist")) ==
          "install it with `apt-get install dataset-fashion-mnist` or pass "
          "--data fashion-mnist:/path/to/folder");
}

TEST_CASE("load_dataset_head gives load_dataset's first rows and the split's size", "[unit]") {
  TempDir dir;
  write_split(dir.path(), "train", 40, 28, 28, /*gzip=*/true);
  write_split(dir.path(), "t10k", 6, 28, 28, /*gzip=*/false);
  for (Split split : {Split::kTrain, Split::kTest}) {
    const Dataset whole = load_dataset({"fashion-mnist", dir.path()}, split);
    for (std::int64_t rows : {1, 5, 40, 100}) {
      INFO(split_name(split) << ", rows " << rows);
      const DatasetHead head = load_dataset_head({"fashion-mnist", dir.path()}, split, rows);
      const std::int64_t n = whole.images.size(0);
      const std::int64_t kept = std::min(rows, n);
      CHECK(head.split_examples == n);
      CHECK(head.data.images.sizes() == at::IntArrayRef({kept, 1, 28, 28}));
      CHECK(head.data.images.equal(whole.images.slice(0, 0, kept)));
      CHECK(head.data.labels.equal(whole.labels.slice(0, 0, kept)));
      CHECK(head.data.source == whole.source);
      CHECK(head.data.num_classes == 10);
    }
  }
  // Synthetic sets are generated whole and cut.
  const Dataset gmm = load_dataset(parse_dataset_spec("gmm:30:3:4:7"), Split::kTrain);
  const DatasetHead gmm_head = load_dataset_head(parse_dataset_spec("gmm:30:3:4:7"), Split::kTrain, 8);
  CHECK(gmm_head.split_examples == 30);
  CHECK(gmm_head.data.images.equal(gmm.images.slice(0, 0, 8)));
  CHECK(gmm_head.data.labels.equal(gmm.labels.slice(0, 0, 8)));
}

TEST_CASE("load_dataset_head checks the labels it reads and the declared counts of both files", "[unit]") {
  TempDir dir;
  write_raw(dir.path() / "train-images-idx3-ubyte", idx_bytes({10, 28, 28}, ramp(7840)));
  std::string labels = ramp(10, 10);
  labels[1] = 12;
  write_raw(dir.path() / "train-labels-idx1-ubyte", idx_bytes({10}, labels));
  CHECK_THROWS_WITH(load_dataset_head({"mnist", dir.path()}, Split::kTrain, 4), Contains("label 12 at index 1"));
  // Past the rows read nothing is checked: the bad label at index 1 is not among the first one.
  CHECK(load_dataset_head({"mnist", dir.path()}, Split::kTrain, 1).data.labels.size(0) == 1);
  write_raw(dir.path() / "train-labels-idx1-ubyte", idx_bytes({9}, ramp(9, 10)));
  CHECK_THROWS_WITH(load_dataset_head({"mnist", dir.path()}, Split::kTrain, 4),
                    Contains("10 images") && Contains("9 labels"));
}
