// tensors: datasets from files numpy wrote (tests/fixtures/npy/make_npy.py: x[i, j] = i + j / 10,
// y[i] = i % 3, targets[i, c] = i * c), and from arrays written here to break one rule each.
#include "test_prelude.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/npy.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/data/tensors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::data;
using curvtrack::core::DataError;
using curvtrack::core::UsageError;
using Catch::Matchers::Contains;

namespace {

const fs::path kFixtures = fs::path(CURVTRACK_SOURCE_DIR) / "tests" / "fixtures" / "npy";

Dataset load(const std::string& files) { return load_dataset(parse_dataset_spec("tensors:" + files), Split::kTrain); }

// The fixture dataset's values, restated: x[i, j] = i + j / 10 as float32, y[i] = i % 3.
void check_fixture_values(const Dataset& data) {
  REQUIRE(data.images.sizes() == at::IntArrayRef({4, 3}));
  REQUIRE(data.images.scalar_type() == at::kFloat);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) CHECK(data.images[i][j].item<float>() == static_cast<float>(i + j / 10.0));
    CHECK(data.labels[i].item<std::int64_t>() == i % 3);
  }
  CHECK(data.labels.scalar_type() == at::kLong);
  CHECK(data.name == "tensors");
}

// An .npy of `descr` and `shape` whose payload is `values` converted to T.
template <class T>
std::string npy(const std::string& descr, const std::vector<std::int64_t>& shape, const std::vector<double>& values) {
  std::string bytes = curvtrack::core::npy_header(descr, shape);
  for (double value : values) {
    const T converted = static_cast<T>(value);
    bytes.append(reinterpret_cast<const char*>(&converted), sizeof(T));
  }
  return bytes;
}

const std::string kGoodX = npy<float>("<f4", {4, 3}, std::vector<double>(12, 0.5));
const std::string kGoodY = npy<std::int64_t>("<i8", {4}, {0, 1, 2, 0});

}  // namespace

TEST_CASE("tensors: specs name an .npz or a pair of .npy files", "[unit]") {
  DatasetSpec npz = parse_dataset_spec("tensors:/data/mine.npz");
  CHECK(npz.name == "tensors");
  CHECK(npz.tensors.npz == "/data/mine.npz");
  CHECK(npz.tensors.text() == "/data/mine.npz");
  DatasetSpec pair = parse_dataset_spec("tensors: a/x.npy , b/y.npy");
  CHECK(pair.tensors.npz.empty());
  CHECK(pair.tensors.x == "a/x.npy");
  CHECK(pair.tensors.y == "b/y.npy");
  CHECK(pair.tensors.text() == "a/x.npy,b/y.npy");
  CHECK_THROWS_WITH(parse_dataset_spec("tensors"), Contains("'tensors' needs a file") && Contains("tensors:FILE.npz"));
  CHECK_THROWS_WITH(parse_dataset_spec("tensors:"), Contains("empty file name"));
  CHECK_THROWS_WITH(parse_dataset_spec("tensors:a.npy,"), Contains("empty file name"));
  CHECK_THROWS_WITH(parse_dataset_spec("tensors:a,b,c"), Contains("names 3 files"));
  CHECK_THROWS_WITH(parse_dataset_spec("tensor:a.npz"), Contains("did you mean tensors"));
}

TEST_CASE("tensors: loads numpy's savez, savez_compressed and .npy pairs to the same tensors", "[unit]") {
  for (const char* files : {"dataset_stored.npz", "dataset_deflated.npz"}) {
    INFO(files);
    const Dataset data = load((kFixtures / files).string());
    check_fixture_values(data);
    CHECK(data.num_classes == 0);  // from the model's output: fit_to_model_output
    CHECK(data.source == (kFixtures / files).string());
  }
  check_fixture_values(load((kFixtures / "dataset_x.npy").string() + "," + (kFixtures / "dataset_y.npy").string()));
}

TEST_CASE("tensors: float targets [N, C] set the class count; float64 x is rounded to float32", "[unit]") {
  const Dataset data = load((kFixtures / "dataset_targets.npz").string());
  CHECK(data.images.scalar_type() == at::kFloat);
  CHECK(data.images[3][1].item<float>() == static_cast<float>(3 + 1 / 10.0));
  REQUIRE(data.labels.sizes() == at::IntArrayRef({4, 2}));
  CHECK(data.labels.scalar_type() == at::kFloat);
  CHECK(data.labels[3][1].item<float>() == 3.0f);
  CHECK(data.labels[2][0].item<float>() == 0.0f);
  CHECK(data.num_classes == 2);
}

TEST_CASE("tensors: a subset keeps the rows of both arrays and survives the file's bytes", "[unit]") {
  Dataset data = load((kFixtures / "dataset_stored.npz").string());
  const Dataset picked = subset(data, {3, 1});
  data = Dataset{};  // the tensor that owned the file's bytes is gone
  CHECK(picked.images[0][2].item<float>() == static_cast<float>(3 + 2 / 10.0));
  CHECK(picked.labels[1].item<std::int64_t>() == 1);
}

TEST_CASE("tensors: the class count comes from the model, and labels or targets must fit it", "[unit]") {
  Dataset labels = load((kFixtures / "dataset_stored.npz").string());
  fit_to_model_output(labels, {2, 5});
  CHECK(labels.num_classes == 5);
  fit_to_model_output(labels, {2, 3});  // the largest label is 2
  CHECK(labels.num_classes == 3);
  CHECK_THROWS_AS(fit_to_model_output(labels, {2, 2}), DataError);
  CHECK_THROWS_WITH(fit_to_model_output(labels, {2, 2}),
                    Contains("dataset_stored.npz: y has shape [4]") && Contains("label 2") &&
                        Contains("the model outputs [2, 2]"));

  Dataset targets = load((kFixtures / "dataset_targets.npz").string());
  fit_to_model_output(targets, {2, 2});
  CHECK(targets.num_classes == 2);
  CHECK_THROWS_WITH(fit_to_model_output(targets, {2, 10}),
                    Contains("tensors:") && Contains("y has shape [4, 2] but the model outputs [2, 10]"));

  // Not a tensors: dataset, or an output that is not [B, C]: left for check_classifier_output.
  Dataset other = targets;
  other.name = "gmm";
  fit_to_model_output(other, {2, 10});
  CHECK(other.num_classes == 2);
  fit_to_model_output(targets, {2, 10, 1});
  CHECK(targets.num_classes == 2);
}

TEST_CASE("tensors: a file has no test split", "[unit]") {
  const DatasetSpec spec = parse_dataset_spec("tensors:" + (kFixtures / "dataset_stored.npz").string());
  CHECK_THROWS_AS(load_dataset(spec, Split::kTest), UsageError);
  CHECK_THROWS_WITH(load_dataset(spec, Split::kTest), Contains("no test split") && Contains("test_dataset"));
}

TEST_CASE("tensors: refuses files and arrays that break a rule, naming the file, array and value", "[unit]") {
  curvtrack::testing::TempDir temp;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Row {
    std::string what, x, y, says;
  };
  const std::vector<Row> rows = {
      {"integer x", npy<std::int64_t>("<i8", {4, 3}, std::vector<double>(12, 1)), kGoodY, "x.npy: x is int64 [4, 3]"},
      {"uint8 images", npy<std::uint8_t>("|u1", {4, 1, 2, 2}, std::vector<double>(16, 1)), kGoodY, "x is uint8 [4, 1, 2, 2]"},
      {"1-D x", npy<float>("<f4", {4}, {1, 2, 3, 4}), kGoodY, "x has shape [4]"},
      {"x without examples", npy<float>("<f4", {0, 3}, {}), npy<std::int64_t>("<i8", {0}, {}), "no examples"},
      {"bool y", kGoodX, npy<std::uint8_t>("|b1", {4}, {0, 1, 0, 1}), "y.npy: y is bool [4]"},
      {"float labels [N]", kGoodX, npy<float>("<f4", {4}, {0, 1, 2, 0}), "y is float32 [4]; y must be integer class labels"},
      {"integer y [N, 1]", kGoodX, npy<std::int64_t>("<i8", {4, 1}, {0, 1, 2, 0}), "y is int64 [4, 1]"},
      {"mismatched N", kGoodX, npy<std::int64_t>("<i8", {3}, {0, 1, 2}), "holds 4 examples ([4, 3]) but"},
      {"negative label", kGoodX, npy<std::int32_t>("<i4", {4}, {0, 1, -1, 0}), "label -1 at index 2"},
      {"huge uint64 label", kGoodX, npy<std::uint64_t>("<u8", {4}, {0, 1, 1e19, 0}), "label 10000000000000000000"},
      {"NaN in x", npy<float>("<f4", {4, 3}, {0, 0, 0, 0, nan, 0, 0, 0, 0, 0, 0, 0}), kGoodY, "x holds nan at example 1"},
      {"infinite target", kGoodX, npy<double>("<f8", {4, 2}, {0, 0, 0, 0, 0, 0, 1e300 * 1e300, 0}), "y holds inf at example 3"},
      {"x is not .npy", "PK\x03\x04 junk", kGoodY, "x.npy is not an .npy file"},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    const fs::path x = temp.write("x.npy", row.x), y = temp.write("y.npy", row.y);
    CHECK_THROWS_AS(load(x.string() + "," + y.string()), DataError);
    CHECK_THROWS_WITH(load(x.string() + "," + y.string()), Contains(row.says));
  }
  // Labels are widened from any integer type.
  const fs::path x = temp.write("x.npy", kGoodX), y = temp.write("y.npy", npy<std::uint8_t>("|u1", {4}, {3, 1, 2, 0}));
  CHECK(load(x.string() + "," + y.string()).labels[0].item<std::int64_t>() == 3);

  CHECK_THROWS_WITH(load((kFixtures / "no_x.npz").string()), Contains("no_x.npz holds no array x (it holds: inputs, y)"));
  CHECK_THROWS_WITH(load((kFixtures / "f4_2x3.npy").string()), Contains("f4_2x3.npy is a single .npy file"));
  CHECK_THROWS_WITH(load((temp.path() / "absent.npz").string()), Contains("absent.npz: no such file"));
  CHECK_THROWS_WITH(load(temp.path().string()), Contains("not a regular file"));
}
