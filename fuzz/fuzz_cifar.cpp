// parse_cifar as CIFAR-10 and as CIFAR-100: an accepted file is whole records with labels in
// range, and the pixels come out unchanged.
#include <cstring>

#include "curvtrack/data/cifar.hpp"
#include "fuzz_common.hpp"

namespace {

void check(const std::string& bytes, bool hundred) {
  using namespace curvtrack;
  data::CifarArray array;
  if (!fuzz::expect_rejections([&] { array = data::parse_cifar(bytes, "fuzz.bin", hundred); })) return;
  const auto record = static_cast<std::size_t>(data::cifar_record_bytes(hundred));
  const auto image = static_cast<std::size_t>(data::kCifarImageBytes);
  FUZZ_CHECK(array.count >= 1);
  const auto count = static_cast<std::size_t>(array.count);
  FUZZ_CHECK(count * record == bytes.size());
  FUZZ_CHECK(array.labels.size() == count);
  FUZZ_CHECK(array.pixels.size() == count * image);
  const std::size_t label_bytes = hundred ? 2 : 1;
  for (std::size_t i = 0; i < count; ++i) {
    const char* in = bytes.data() + i * record;
    FUZZ_CHECK(array.labels[i] < data::cifar_classes(hundred));
    FUZZ_CHECK(array.labels[i] == static_cast<unsigned char>(in[label_bytes - 1]));
    if (hundred) FUZZ_CHECK(static_cast<unsigned char>(in[0]) < 20);
    FUZZ_CHECK(std::memcmp(array.pixels.data() + i * image, in + label_bytes, image) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = curvtrack::fuzz::as_string(data, size);
  check(bytes, false);
  check(bytes, true);
  return 0;
}
