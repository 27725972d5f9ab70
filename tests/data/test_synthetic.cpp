#include "test_prelude.hpp"

#include <ATen/Functions.h>
#include <ATen/TensorOperators.h>

#include <string>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/synthetic.hpp"

using namespace curvtrack::data;

TEST_CASE("the gaussian mixture has the requested shape and balanced labels", "[unit]") {
  Dataset data = make_gaussian_mixture(30, 3, 4, 11);
  REQUIRE(data.images.sizes() == at::IntArrayRef({30, 1, 4, 4}));
  REQUIRE(data.images.scalar_type() == at::kFloat);
  REQUIRE(data.labels.scalar_type() == at::kLong);
  REQUIRE(data.num_classes == 3);
  for (std::int64_t c = 0; c < 3; ++c) REQUIRE(data.labels.eq(c).sum().item<std::int64_t>() == 10);
}

TEST_CASE("the gaussian mixture is a pure function of its seed", "[unit]") {
  Dataset a = make_gaussian_mixture(20, 2, 3, 5);
  Dataset b = make_gaussian_mixture(20, 2, 3, 5);
  Dataset c = make_gaussian_mixture(20, 2, 3, 6);
  REQUIRE(a.images.equal(b.images));
  REQUIRE(a.labels.equal(b.labels));
  REQUIRE_FALSE(a.images.equal(c.images));
}

TEST_CASE("gaussian mixture classes are separated: each example is nearest its own class mean",
          "[unit]") {
  // Means are unit-variance patterns over 64 pixels, noise is unit variance: class means are
  // about sqrt(2 * 64) = 11 apart against noise of 1 per direction, so nearest-mean is exact.
  Dataset data = make_gaussian_mixture(400, 4, 8, 2);
  at::Tensor flat = data.images.reshape({400, 64}).to(at::kDouble);
  std::vector<at::Tensor> means;
  for (std::int64_t c = 0; c < 4; ++c) means.push_back(flat.index_select(0, data.labels.eq(c).nonzero().squeeze(1)).mean(0));
  at::Tensor centres = at::stack(means);                            // [4, 64]
  at::Tensor distances = at::cdist(flat, centres);                 // [400, 4]
  at::Tensor nearest = distances.argmin(1);
  REQUIRE(nearest.equal(data.labels));
  // Pixels within a class vary by the unit noise around the mean.
  double noise = (flat - centres.index_select(0, data.labels)).std().item<double>();
  REQUIRE_THAT(noise, Catch::Matchers::WithinAbs(1.0, 0.05));
}

TEST_CASE("gaussian mixture arguments below 1 are usage errors", "[unit]") {
  REQUIRE_THROWS_AS(make_gaussian_mixture(0, 2, 3, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_AS(make_gaussian_mixture(5, 0, 3, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_AS(make_gaussian_mixture(5, 2, 0, 1), curvtrack::core::UsageError);
}

TEST_CASE("teacher-student sets are a pure function of their seed", "[unit]") {
  Dataset a = make_teacher_student(200, 5, 3, 17);
  Dataset b = make_teacher_student(200, 5, 3, 17);
  Dataset c = make_teacher_student(200, 5, 3, 18);
  REQUIRE(a.images.sizes() == at::IntArrayRef({200, 1, 3, 3}));
  REQUIRE(a.images.scalar_type() == at::kFloat);
  REQUIRE(a.labels.scalar_type() == at::kLong);
  REQUIRE(a.num_classes == 5);
  REQUIRE(a.name == "teacher-student");
  REQUIRE(a.images.equal(b.images));
  REQUIRE(a.labels.equal(b.labels));
  REQUIRE_FALSE(a.images.equal(c.images));
}

TEST_CASE("teacher-student labels are in range and every class occurs", "[unit]") {
  Dataset data = make_teacher_student(1000, 10, 8, 3);
  REQUIRE(data.labels.min().item<std::int64_t>() >= 0);
  REQUIRE(data.labels.max().item<std::int64_t>() < 10);
  for (std::int64_t c = 0; c < 10; ++c) {
    std::int64_t count = data.labels.eq(c).sum().item<std::int64_t>();
    INFO("class " << c << " has " << count << " examples");
    REQUIRE(count > 0);
  }
  // Inputs are standard normal.
  at::Tensor pixels = data.images.to(at::kDouble);
  REQUIRE_THAT(pixels.mean().item<double>(), Catch::Matchers::WithinAbs(0.0, 0.02));
  REQUIRE_THAT(pixels.std().item<double>(), Catch::Matchers::WithinAbs(1.0, 0.02));
}

TEST_CASE("a held-out teacher-student sample is labelled by the same teacher", "[unit]") {
  // 1-nearest-neighbour on 4-D inputs: a smooth teacher makes neighbours share labels, so a
  // sample from the same teacher is predicted far above chance; one from another teacher is not.
  Dataset train = make_teacher_student(3000, 4, 2, 11);
  Dataset held_out = make_teacher_student(600, 4, 2, 11, 11 + 1000003);
  Dataset other = make_teacher_student(600, 4, 2, 12, 11 + 1000003);
  REQUIRE(held_out.images.equal(other.images));  // same inputs, different teachers
  REQUIRE_FALSE(held_out.images.equal(train.images.narrow(0, 0, 600)));
  auto nn_accuracy = [&](const Dataset& test) {
    at::Tensor d = at::cdist(test.images.reshape({600, 4}).to(at::kDouble),
                             train.images.reshape({3000, 4}).to(at::kDouble));
    at::Tensor predicted = train.labels.index_select(0, d.argmin(1));
    return predicted.eq(test.labels).to(at::kDouble).mean().item<double>();
  };
  const double same = nn_accuracy(held_out), different = nn_accuracy(other);
  INFO("1-NN accuracy: same teacher " << same << ", other teacher " << different);
  REQUIRE(same > 0.8);
  REQUIRE(different < 0.6);
}

TEST_CASE("a held-out gaussian-mixture sample shares the class means", "[unit]") {
  Dataset train = make_gaussian_mixture(400, 4, 8, 2);
  Dataset held_out = make_gaussian_mixture(100, 4, 8, 2, 2 + 1000003);
  REQUIRE_FALSE(held_out.images.equal(train.images.narrow(0, 0, 100)));
  at::Tensor flat = train.images.reshape({400, 64}).to(at::kDouble);
  std::vector<at::Tensor> means;
  for (std::int64_t c = 0; c < 4; ++c) means.push_back(flat.index_select(0, train.labels.eq(c).nonzero().squeeze(1)).mean(0));
  at::Tensor nearest = at::cdist(held_out.images.reshape({100, 64}).to(at::kDouble), at::stack(means)).argmin(1);
  REQUIRE(nearest.equal(held_out.labels));
}

TEST_CASE("teacher-student arguments below 1 or absurdly large are usage errors", "[unit]") {
  REQUIRE_THROWS_AS(make_teacher_student(0, 2, 3, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_AS(make_teacher_student(5, 0, 3, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_AS(make_teacher_student(5, 2, 0, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_WITH(make_gaussian_mixture(1 << 20, 2, 4096, 1), Catch::Matchers::Contains("2^31"));
}

TEST_CASE("synthetic specs parse N, CLASSES, SIDE and SEED", "[unit]") {
  DatasetSpec gmm = parse_dataset_spec("gmm:100:3:4:7");
  REQUIRE(gmm.name == "gmm");
  REQUIRE(gmm.synthetic.n == 100);
  REQUIRE(gmm.synthetic.classes == 3);
  REQUIRE(gmm.synthetic.side == 4);
  REQUIRE(gmm.synthetic.seed == 7);
  DatasetSpec teacher = parse_dataset_spec("teacher:50:10:2:0");
  REQUIRE(teacher.name == "teacher");
  REQUIRE(teacher.synthetic.n == 50);
  REQUIRE(teacher.synthetic.seed == 0);
  for (const char* bad : {"gmm", "gmm:", "gmm:1:2:3", "gmm:1:2:3:4:5", "gmm:0:2:3:4", "gmm:1:0:3:4",
                          "gmm:1:2:0:4", "gmm:1:2:3:-1", "teacher:a:2:3:4", "teacher:1:2:3:x"}) {
    INFO(bad);
    REQUIRE_THROWS_AS(parse_dataset_spec(bad), curvtrack::core::UsageError);
    REQUIRE_THROWS_WITH(parse_dataset_spec(bad),
                        Catch::Matchers::Contains("'" + std::string(bad) + "'") &&
                            Catch::Matchers::Contains("N:CLASSES:SIDE:SEED"));
  }
}

TEST_CASE("synthetic specs load a training split from SEED and a test split of N/5 from SEED+1000003",
          "[unit]") {
  Dataset train = load_dataset(parse_dataset_spec("gmm:50:5:3:9"), Split::kTrain);
  Dataset reference = make_gaussian_mixture(50, 5, 3, 9);
  REQUIRE(train.images.equal(reference.images));
  REQUIRE(train.labels.equal(reference.labels));
  Dataset test = load_dataset(parse_dataset_spec("gmm:50:5:3:9"), Split::kTest);
  REQUIRE(test.images.size(0) == 10);
  REQUIRE(test.images.equal(make_gaussian_mixture(10, 5, 3, 9, 9 + kSyntheticTestSeedOffset).images));
  REQUIRE(kSyntheticTestSeedOffset == 1000003);

  Dataset teacher = load_dataset(parse_dataset_spec("teacher:40:3:2:5"), Split::kTrain);
  REQUIRE(teacher.labels.equal(make_teacher_student(40, 3, 2, 5).labels));
  Dataset teacher_test = load_dataset(parse_dataset_spec("teacher:40:3:2:5"), Split::kTest);
  REQUIRE(teacher_test.images.size(0) == 8);
  REQUIRE(teacher_test.labels.equal(make_teacher_student(8, 3, 2, 5, 5 + 1000003).labels));
  // Tiny sets still get one test example.
  REQUIRE(load_dataset(parse_dataset_spec("teacher:3:2:2:1"), Split::kTest).images.size(0) == 1);
}
