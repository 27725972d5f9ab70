#include "test_prelude.hpp"

#include <string>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/idx.hpp"
#include "idx_test_files.hpp"
#include "test_support.hpp"

using namespace curvtrack::data;
using namespace curvtrack::data::testing;
using Catch::Matchers::Contains;
using curvtrack::core::DataError;
using curvtrack::testing::slurp;
using curvtrack::testing::TempDir;

TEST_CASE("raw and gzip IDX files decode to the same dims and values", "[unit]") {
  TempDir dir;
  std::string bytes = idx_bytes({3, 4, 5}, ramp(60));
  write_raw(dir.path() / "a-idx3-ubyte", bytes);
  write_gzip(dir.path() / "a-idx3-ubyte.gz", bytes);
  IdxArray raw = read_idx(dir.path() / "a-idx3-ubyte");
  IdxArray gz = read_idx(dir.path() / "a-idx3-ubyte.gz");
  REQUIRE(raw.dims == std::vector<std::int64_t>{3, 4, 5});
  REQUIRE(raw.values.size() == 60);
  REQUIRE(raw.values[59] == 59);
  REQUIRE(gz.dims == raw.dims);
  REQUIRE(gz.values == raw.values);
}

TEST_CASE("read_idx tells gzip from raw by the magic bytes, not the file name", "[unit]") {
  TempDir dir;
  std::string bytes = idx_bytes({2}, std::string("\x07\x03", 2));
  write_gzip(dir.path() / "compressed-without-suffix", bytes);
  write_raw(dir.path() / "raw-with-suffix.gz", bytes);
  REQUIRE(read_idx(dir.path() / "compressed-without-suffix").values == std::vector<std::uint8_t>{7, 3});
  REQUIRE(read_idx(dir.path() / "raw-with-suffix.gz").values == std::vector<std::uint8_t>{7, 3});
}

TEST_CASE("gzip files made of several concatenated members decode whole", "[unit]") {
  TempDir dir;
  std::string bytes = idx_bytes({4}, std::string("\x01\x02\x03\x04", 4));
  write_gzip(dir.path() / "head.gz", bytes.substr(0, 6));
  write_gzip(dir.path() / "tail.gz", bytes.substr(6));
  write_raw(dir.path() / "both.gz", slurp(dir.path() / "head.gz") + slurp(dir.path() / "tail.gz"));
  REQUIRE(read_idx(dir.path() / "both.gz").values == std::vector<std::uint8_t>{1, 2, 3, 4});
}

namespace {

struct BadFile {
  const char* what;
  std::string bytes;
  const char* expected;  // a fragment the message must contain besides the file name
};

// Valid gzip bytes of a small IDX file, to be damaged.
std::string gzip_of(const TempDir& dir, const std::string& bytes) {
  write_gzip(dir.path() / "scratch.gz", bytes);
  return slurp(dir.path() / "scratch.gz");
}

}  // namespace

TEST_CASE("every malformed IDX file throws a DataError that names the file", "[unit]") {
  TempDir dir;
  std::string good = idx_bytes({3, 4}, ramp(12));
  std::string gz = gzip_of(dir, idx_bytes({64, 64}, ramp(4096)));
  std::string flipped = gz;
  flipped[gz.size() / 2] = static_cast<char>(flipped[gz.size() / 2] ^ 0x55);
  std::vector<BadFile> cases = {
      {"wrong magic", std::string("\x01\x00", 2) + good.substr(2), "not an IDX file"},
      {"element type 0x0D (float)", idx_bytes({3}, ramp(12), 0x0D),
       "unsupported IDX element type 0x0D in "},
      {"zero dimension count", idx_bytes({}, ""), "declares 0 dimensions"},
      {"five dimensions", idx_bytes({1, 1, 1, 1, 1}, "x"), "declares 5 dimensions"},
      {"a dimension of size zero", idx_bytes({3, 0}, ""), "empty dimension"},
      {"more than 2^31 elements", idx_bytes({65536, 65536}, ""), "more than 2^31 elements"},
      {"dimension product overflowing 64 bits", idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, ""),
       "more than 2^31 elements"},
      {"shorter than the magic", std::string("\0\0", 2), "is truncated"},
      {"truncated header", good.substr(0, 9), "is truncated: its header needs 12 bytes"},
      {"truncated payload", good.substr(0, good.size() - 1),
       "is truncated: header promises 12 bytes of data, found 11"},
      {"trailing bytes", good + "zz", "2 trailing bytes"},
      {"corrupt gzip body", flipped, "not a valid gzip file"},
      {"truncated gzip", gz.substr(0, gz.size() - 10), "not a valid gzip file"},
      {"gzip magic then garbage", "\x1f\x8b garbage that is not deflate", "not a valid gzip file"},
      {"garbage after the gzip stream", gz + "junk", "trailing garbage"},
  };
  for (const BadFile& bad : cases) {
    INFO(bad.what);
    std::filesystem::path file = dir.path() / "bad-idx-ubyte";
    write_raw(file, bad.bytes);
    REQUIRE_THROWS_AS(read_idx(file), DataError);
    REQUIRE_THROWS_WITH(read_idx(file), Contains(file.string()) && Contains(bad.expected));
  }
}

TEST_CASE("the element-type message says which type curvtrack reads", "[unit]") {
  REQUIRE_THROWS_WITH(parse_idx(idx_bytes({1}, "\x01", 0x0D), "x.idx"),
                      "unsupported IDX element type 0x0D in x.idx; curvtrack reads unsigned-byte "
                      "(0x08) IDX");
}

TEST_CASE("a missing IDX file throws a DataError naming it", "[unit]") {
  TempDir dir;
  REQUIRE_THROWS_AS(read_idx(dir.path() / "absent-idx1-ubyte"), DataError);
  REQUIRE_THROWS_WITH(read_idx(dir.path() / "absent-idx1-ubyte"), Contains((dir.path() / "absent-idx1-ubyte").string()));
  // A folder is not a file either.
  REQUIRE_THROWS_WITH(read_idx(dir.path()), Contains(dir.path().string()));
}

TEST_CASE("gunzip stops at its size cap instead of inflating a bomb", "[unit]") {
  TempDir dir;
  std::string gz = gzip_of(dir, std::string(1 << 20, '\0'));
  REQUIRE(gunzip(gz, "zeros.gz", 1 << 20).size() == (1u << 20));
  REQUIRE_THROWS_WITH(gunzip(gz, "zeros.gz", 1000), Contains("zeros.gz") && Contains("more than 1000 bytes"));
}
