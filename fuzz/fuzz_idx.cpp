// parse_idx on raw bytes: an accepted array must be exactly what the header promises.
#include <cstring>

#include "curvtrack/data/idx.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::string bytes = fuzz::as_string(data, size);
  data::IdxArray array;
  if (!fuzz::expect_rejections([&] { array = data::parse_idx(bytes, "fuzz.idx"); })) return 0;

  FUZZ_CHECK(array.dims.size() >= 1 && array.dims.size() <= 4);
  FUZZ_CHECK(bytes[3] == static_cast<char>(array.dims.size()));
  std::uint64_t elements = 1;
  for (std::int64_t dim : array.dims) {
    FUZZ_CHECK(dim >= 1);
    elements *= static_cast<std::uint64_t>(dim);
  }
  const std::size_t header = 4 + 4 * array.dims.size();
  FUZZ_CHECK(array.values.size() == elements);
  FUZZ_CHECK(header + array.values.size() == size);
  FUZZ_CHECK(std::memcmp(array.values.data(), data + header, array.values.size()) == 0);
  return 0;
}
