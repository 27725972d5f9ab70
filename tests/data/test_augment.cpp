#include "test_prelude.hpp"

#include <ATen/Functions.h>

#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/augment.hpp"

using namespace curvtrack::data;
using Catch::Matchers::Contains;
using curvtrack::core::UsageError;

namespace {

constexpr std::int64_t kC = 2, kH = 5, kW = 6;

// Pixel values that identify their position and are never zero, so padding is recognisable.
double pixel_value(std::int64_t b, std::int64_t c, std::int64_t y, std::int64_t x) {
  return 1000.0 * (b + 1) + 100.0 * c + 10.0 * y + x + 1.0;
}

at::Tensor known_images(std::int64_t batch) {
  at::Tensor images = at::empty({batch, kC, kH, kW}, at::TensorOptions().dtype(at::kFloat));
  float* out = images.data_ptr<float>();
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t c = 0; c < kC; ++c)
      for (std::int64_t y = 0; y < kH; ++y)
        for (std::int64_t x = 0; x < kW; ++x) *out++ = static_cast<float>(pixel_value(b, c, y, x));
  return images;
}

// The oracle: zero-pad by p, take the window at (p + shift_y, p + shift_x), then mirror columns.
double expected_pixel(std::int64_t b, std::int64_t c, std::int64_t y, std::int64_t x,
                      const AugmentationDraw& draw) {
  const std::int64_t cropped_x = draw.flip ? kW - 1 - x : x;
  const std::int64_t source_y = y + draw.shift_y, source_x = cropped_x + draw.shift_x;
  if (source_y < 0 || source_y >= kH || source_x < 0 || source_x >= kW) return 0.0;
  return pixel_value(b, c, source_y, source_x);
}

}  // namespace

TEST_CASE("augmentation draws are a pure function of (seed, step, index)", "[unit]") {
  const Augmentation aug{true, 4, true};
  for (std::int64_t index : {0, 17, 49999}) {
    AugmentationDraw a = augmentation_draw(aug, 3, 100, index);
    AugmentationDraw b = augmentation_draw(aug, 3, 100, index);
    REQUIRE((a.shift_y == b.shift_y && a.shift_x == b.shift_x && a.flip == b.flip));
  }
  // Changing any one of the three changes the draws somewhere.
  auto differs = [&](auto vary) {
    int changed = 0;
    for (std::int64_t i = 0; i < 64; ++i) {
      AugmentationDraw a = augmentation_draw(aug, 3, 100, i);
      AugmentationDraw b = vary(i);
      changed += a.shift_y != b.shift_y || a.shift_x != b.shift_x || a.flip != b.flip;
    }
    return changed;
  };
  REQUIRE(differs([&](std::int64_t i) { return augmentation_draw(aug, 4, 100, i); }) > 40);
  REQUIRE(differs([&](std::int64_t i) { return augmentation_draw(aug, 3, 101, i); }) > 40);
  REQUIRE(differs([&](std::int64_t i) { return augmentation_draw(aug, 3, 100, i + 1); }) > 40);
}

TEST_CASE("augmentation draws cover every shift in [-padding, padding] and flip about half the time",
          "[unit]") {
  const Augmentation aug{true, 2, true};
  std::set<std::pair<std::int64_t, std::int64_t>> shifts;
  int flips = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    AugmentationDraw draw = augmentation_draw(aug, 1, i / 100, i % 100);
    REQUIRE((draw.shift_y >= -2 && draw.shift_y <= 2 && draw.shift_x >= -2 && draw.shift_x <= 2));
    shifts.insert({draw.shift_y, draw.shift_x});
    flips += draw.flip;
  }
  REQUIRE(shifts.size() == 25);
  REQUIRE(std::abs(flips - draws / 2) < 200);  // sd ~32
  // Disabled augmentations draw nothing; enabling one leaves the other's draws unchanged.
  AugmentationDraw none = augmentation_draw({false, 4, false}, 1, 2, 3);
  REQUIRE((none.shift_y == 0 && none.shift_x == 0 && !none.flip));
  for (std::int64_t i = 0; i < 50; ++i) {
    AugmentationDraw both = augmentation_draw({true, 4, true}, 1, 2, i);
    AugmentationDraw crop = augmentation_draw({true, 4, false}, 1, 2, i);
    AugmentationDraw flip = augmentation_draw({false, 4, true}, 1, 2, i);
    REQUIRE((both.shift_y == crop.shift_y && both.shift_x == crop.shift_x && both.flip == flip.flip));
  }
}

TEST_CASE("random crop with zero padding shifts pixels as an independent oracle computes",
          "[unit]") {
  const std::int64_t batch = 4;
  const at::Tensor images = known_images(batch);
  std::set<std::pair<std::int64_t, std::int64_t>> shifts_seen;
  for (bool flip : {false, true}) {
    const Augmentation aug{true, 2, flip};
    for (std::int64_t step = 0; step < 30; ++step) {
      const std::vector<std::int64_t> indices = {7, 3, 12, 0};
      at::Tensor out = augment_batch(images, indices, aug, 21, step);
      REQUIRE(out.sizes() == images.sizes());
      REQUIRE(out.scalar_type() == at::kFloat);
      const float* got = out.data_ptr<float>();
      for (std::int64_t b = 0; b < batch; ++b) {
        const AugmentationDraw draw = augmentation_draw(aug, 21, step, indices[b]);
        shifts_seen.insert({draw.shift_y, draw.shift_x});
        for (std::int64_t c = 0; c < kC; ++c)
          for (std::int64_t y = 0; y < kH; ++y)
            for (std::int64_t x = 0; x < kW; ++x) {
              const double expected = expected_pixel(b, c, y, x, draw);
              const float value = got[((b * kC + c) * kH + y) * kW + x];
              if (value != static_cast<float>(expected)) {
                INFO("step " << step << " b " << b << " c " << c << " y " << y << " x " << x
                             << " shift " << draw.shift_y << "," << draw.shift_x << " flip "
                             << draw.flip);
                REQUIRE(value == static_cast<float>(expected));
              }
            }
      }
    }
  }
  REQUIRE(shifts_seen.size() > 15);  // the oracle was exercised on most of the 25 shifts
}

TEST_CASE("a crop shifted by (1, -2) moves the image up one row and right two columns", "[unit]") {
  // Find a (step, index) whose draw is shift (1, -2) without flip, then check literal values.
  const Augmentation aug{true, 2, false};
  std::int64_t step = 0;
  while (true) {
    AugmentationDraw draw = augmentation_draw(aug, 8, step, 0);
    if (draw.shift_y == 1 && draw.shift_x == -2) break;
    ++step;
    REQUIRE(step < 10000);
  }
  at::Tensor image = at::arange(1, 10, at::TensorOptions().dtype(at::kFloat)).reshape({1, 1, 3, 3});
  // 1 2 3 / 4 5 6 / 7 8 9 -> output row y shows input row y + 1, column x shows x - 2.
  at::Tensor out = augment_batch(image, {0}, aug, 8, step);
  at::Tensor expected = at::tensor({0.f, 0.f, 4.f, 0.f, 0.f, 7.f, 0.f, 0.f, 0.f}).reshape({1, 1, 3, 3});
  INFO("got " << out);
  REQUIRE(out.equal(expected));
}

TEST_CASE("a horizontal flip reverses the columns and nothing else", "[unit]") {
  const at::Tensor images = known_images(6);
  const Augmentation aug{false, 4, true};
  const std::vector<std::int64_t> indices = {0, 1, 2, 3, 4, 5};
  int flipped = 0;
  for (std::int64_t step = 0; step < 5; ++step) {
    at::Tensor out = augment_batch(images, indices, aug, 2, step);
    for (std::int64_t b = 0; b < 6; ++b) {
      const bool flip = augmentation_draw(aug, 2, step, indices[b]).flip;
      flipped += flip;
      at::Tensor expected = images[b].clone();
      if (flip) {
        for (std::int64_t x = 0; x < kW; ++x) expected.select(2, x).copy_(images[b].select(2, kW - 1 - x));
      }
      REQUIRE(out[b].equal(expected));
    }
  }
  REQUIRE(flipped > 0);
  REQUIRE(flipped < 30);
}

TEST_CASE("augmentation follows the dataset index, not the position in the batch", "[unit]") {
  const at::Tensor images = known_images(3);
  const Augmentation aug{true, 3, true};
  at::Tensor out = augment_batch(images, {10, 20, 30}, aug, 5, 77);
  // The same examples in another order: each row must come out as before.
  at::Tensor permuted = images.index_select(0, at::tensor({2, 0, 1}, at::TensorOptions().dtype(at::kLong)));
  at::Tensor out_permuted = augment_batch(permuted, {30, 10, 20}, aug, 5, 77);
  REQUIRE(out_permuted[0].equal(out[2]));
  REQUIRE(out_permuted[1].equal(out[0]));
  REQUIRE(out_permuted[2].equal(out[1]));
  // And a rerun is bit-identical.
  REQUIRE(augment_batch(images, {10, 20, 30}, aug, 5, 77).equal(out));
}

TEST_CASE("without augmentation the batch is returned unchanged", "[unit]") {
  const at::Tensor images = known_images(2);
  at::Tensor out = augment_batch(images, {0, 1}, Augmentation{}, 1, 1);
  REQUIRE(out.equal(images));
  REQUIRE(out.data_ptr() == images.data_ptr());
  // Random crop with no padding has only the zero shift.
  REQUIRE(augment_batch(images, {0, 1}, {true, 0, false}, 1, 1).equal(images));
}

TEST_CASE("augmentation works on float64 images", "[unit]") {
  const at::Tensor images = known_images(2).to(at::kDouble);
  const Augmentation aug{true, 1, true};
  at::Tensor out = augment_batch(images, {4, 5}, aug, 9, 3);
  REQUIRE(out.scalar_type() == at::kDouble);
  REQUIRE(out.to(at::kFloat).equal(augment_batch(images.to(at::kFloat), {4, 5}, aug, 9, 3)));
}

TEST_CASE("augment_batch rejects mismatched indices, non-image tensors and negative padding",
          "[unit]") {
  const at::Tensor images = known_images(2);
  REQUIRE_THROWS_AS(augment_batch(images, {0}, {true, 4, false}, 1, 1), UsageError);
  REQUIRE_THROWS_WITH(augment_batch(images, {0}, {true, 4, false}, 1, 1),
                      Contains("2 images but 1 indices"));
  REQUIRE_THROWS_AS(augment_batch(images.reshape({2, -1}), {0, 1}, {true, 4, false}, 1, 1), UsageError);
  REQUIRE_THROWS_WITH(augment_batch(images, {0, 1}, {true, -1, false}, 1, 1), Contains("padding -1"));
}

TEST_CASE("gather_batch selects rows in the given order and rejects out-of-range indices",
          "[unit]") {
  const at::Tensor images = known_images(4);
  at::Tensor batch = gather_batch(images, {3, 0, 3});
  REQUIRE(batch.sizes() == at::IntArrayRef({3, kC, kH, kW}));
  REQUIRE(batch[0].equal(images[3]));
  REQUIRE(batch[1].equal(images[0]));
  REQUIRE(batch[2].equal(images[3]));
  at::Tensor labels = at::arange(10, 14, at::TensorOptions().dtype(at::kLong));
  REQUIRE(gather_batch(labels, {2, 1}).equal(at::tensor({12, 11}, at::TensorOptions().dtype(at::kLong))));
  REQUIRE_THROWS_AS(gather_batch(images, {4}), UsageError);
  REQUIRE_THROWS_WITH(gather_batch(images, {-1}), Contains("index -1") && Contains("4 examples"));
}
