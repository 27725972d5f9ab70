// gunzip as read_idx uses it (the same cap), then parse_idx on the result; an accepted stream
// must be refused under any smaller cap and give the same bytes at exactly its size.
#include "curvtrack/data/idx.hpp"
#include "fuzz_common.hpp"

namespace {

// read_idx's cap: 2^31 elements plus the largest header (idx.cpp, kMaxElements + 4 + 4 * 4).
constexpr std::uint64_t kReadIdxCap = (std::uint64_t{1} << 31) + 4 + 4 * 4;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::string compressed = fuzz::as_string(data, size);
  std::string out;
  if (!fuzz::expect_rejections([&] { out = data::gunzip(compressed, "fuzz.gz", kReadIdxCap); })) return 0;

  // A stream that is accepted has the gzip magic and at least a header and trailer.
  FUZZ_CHECK(size >= 18);
  std::string again;
  FUZZ_CHECK(fuzz::expect_rejections([&] { again = data::gunzip(compressed, "fuzz.gz", out.size()); }));
  FUZZ_CHECK(again == out);
  if (!out.empty()) {
    FUZZ_CHECK(!fuzz::expect_rejections([&] { data::gunzip(compressed, "fuzz.gz", out.size() - 1); }));
  }
  fuzz::expect_rejections([&] { data::parse_idx(out, "fuzz.gz"); });
  return 0;
}
