// parse_npy on raw bytes: an accepted array's payload is exactly what its shape and type need,
// and the header npy_header writes for that type and shape reads back to the same array.
#include <cstring>

#include "curvtrack/core/npy.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::string bytes = fuzz::as_string(data, size);
  core::NpyArray array;
  if (!fuzz::expect_rejections([&] { array = core::parse_npy(bytes, "fuzz.npy"); })) return 0;

  std::uint64_t elements = 1;
  for (std::int64_t dim : array.shape) {
    FUZZ_CHECK(dim >= 0);
    elements *= static_cast<std::uint64_t>(dim);
  }
  FUZZ_CHECK(static_cast<std::uint64_t>(array.elements()) == elements);
  FUZZ_CHECK(array.payload().size() == elements * core::npy_type_size(array.type));
  FUZZ_CHECK(array.data_offset + array.payload().size() == size);
  FUZZ_CHECK(std::memcmp(array.payload().data(), data + array.data_offset, array.payload().size()) == 0);

  // Rewritten with curvtrack's own header (too long a header is refused, nothing else).
  std::string header;
  if (!fuzz::expect_rejections([&] { header = core::npy_header(core::npy_descr(array.type), array.shape); })) return 0;
  FUZZ_CHECK(header.size() % 64 == 0);
  const core::NpyArray again = core::parse_npy(header + std::string(array.payload()), "again.npy");
  FUZZ_CHECK(again.type == array.type && again.shape == array.shape && again.payload() == array.payload());
  return 0;
}
