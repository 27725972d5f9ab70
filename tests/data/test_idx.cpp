#include "test_prelude.hpp"

#include <algorithm>
#include <cstdint>
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

TEST_CASE("read_idx_rows gives the first rows of the file, raw or gzip, and the declared row count", "[unit]") {
  TempDir dir;
  // 300 rows of 28 x 28: the output spans several of the inflater's 64 KiB buffers.
  const std::string payload = ramp(300 * 784, 251);
  const std::string bytes = idx_bytes({300, 28, 28}, payload);
  write_raw(dir.path() / "raw", bytes);
  write_gzip(dir.path() / "packed.gz", bytes);
  const IdxArray whole = read_idx(dir.path() / "packed.gz");
  for (const char* name : {"raw", "packed.gz"}) {
    for (std::int64_t rows : {1, 7, 100, 299, 300, 5000}) {
      INFO(name << ", rows " << rows);
      const IdxHead head = read_idx_rows(dir.path() / name, rows);
      const std::int64_t kept = std::min<std::int64_t>(rows, 300);
      CHECK(head.declared_rows == 300);
      CHECK(head.array.dims == std::vector<std::int64_t>{kept, 28, 28});
      const std::string expected = payload.substr(0, static_cast<std::size_t>(kept) * 784);
      CHECK(std::string(head.array.values.begin(), head.array.values.end()) == expected);
      CHECK(std::equal(head.array.values.begin(), head.array.values.end(), whole.values.begin()));
    }
  }
}

TEST_CASE("read_idx_rows reads a gzip file's first rows across the chunks it reads the file in", "[unit]") {
  TempDir dir;
  // 1,200 rows of noise (incompressible): the compressed file, about 0.94 MB, spans several of the
  // reader's 256 KiB chunks, so the rows asked for end in a later chunk than the header.
  std::string payload(1200 * 784, '\0');
  std::uint32_t state = 12345;
  for (char& byte : payload) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  const std::string bytes = idx_bytes({1200, 28, 28}, payload);
  write_gzip(dir.path() / "noise.gz", bytes);
  REQUIRE(slurp(dir.path() / "noise.gz").size() > 3 * (std::size_t{1} << 18));
  for (std::int64_t rows : {1, 334, 335, 700, 1199, 1200}) {
    INFO("rows " << rows);
    const IdxHead head = read_idx_rows(dir.path() / "noise.gz", rows);
    CHECK(head.array.dims == std::vector<std::int64_t>{rows, 28, 28});
    CHECK(std::string(head.array.values.begin(), head.array.values.end()) ==
          payload.substr(0, static_cast<std::size_t>(rows) * 784));
  }
  // Cut inside the third chunk, the trailer kept (so its size still agrees): the rows before the
  // cut read from the chunks, rows past it meet the cut and fail naming the file.
  const std::string packed = slurp(dir.path() / "noise.gz");
  write_raw(dir.path() / "cut.gz", packed.substr(0, 600000) + packed.substr(packed.size() - 8));
  const IdxHead before_cut = read_idx_rows(dir.path() / "cut.gz", 100);
  CHECK(std::string(before_cut.array.values.begin(), before_cut.array.values.end()) == payload.substr(0, 100 * 784));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "cut.gz", 1100), Contains("cut.gz"));
}

TEST_CASE("read_idx_rows decodes a file whose size disagrees with its header whole, with read_idx's message",
          "[unit]") {
  TempDir dir;
  const std::string bytes = idx_bytes({10, 28, 28}, ramp(7840));
  write_gzip(dir.path() / "scratch.gz", bytes);
  const std::string packed = slurp(dir.path() / "scratch.gz");
  write_raw(dir.path() / "garbage.gz", packed + "garbage");
  write_raw(dir.path() / "cut.gz", packed.substr(0, packed.size() / 2));
  write_raw(dir.path() / "trailing", bytes + "12345");
  write_raw(dir.path() / "short", bytes.substr(0, bytes.size() - 100));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "garbage.gz", 2), Contains("garbage.gz") && Contains("trailing garbage"));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "cut.gz", 2), Contains("cut.gz") && Contains("truncated"));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "trailing", 2), Contains("5 trailing bytes"));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "short", 2), Contains("truncated"));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "missing", 2), Contains("no such file"));
  // Two gzip members: the trailer names only the second, so the file is decoded whole, correctly.
  write_gzip(dir.path() / "head.gz", bytes.substr(0, 1000));
  write_gzip(dir.path() / "tail.gz", bytes.substr(1000));
  write_raw(dir.path() / "both.gz", slurp(dir.path() / "head.gz") + slurp(dir.path() / "tail.gz"));
  const IdxHead both = read_idx_rows(dir.path() / "both.gz", 3);
  CHECK(both.array.dims == std::vector<std::int64_t>{3, 28, 28});
  CHECK(std::string(both.array.values.begin(), both.array.values.end()) == ramp(7840).substr(0, 3 * 784));
}

TEST_CASE("read_idx_rows checks the header but not the bytes past the rows it reads", "[unit]") {
  TempDir dir;
  write_raw(dir.path() / "float", idx_bytes({10, 28, 28}, std::string(4 * 7840, '\0'), 0x0D));
  CHECK_THROWS_WITH(read_idx_rows(dir.path() / "float", 2), Contains("0x0D"));
  // The size agrees with the header and only the first 4 rows are decompressed: rows past them
  // are not looked at (here they are fine, but the stream's end and CRC are never reached).
  std::string bytes = idx_bytes({10, 28, 28}, ramp(7840));
  write_gzip(dir.path() / "a.gz", bytes);
  std::string packed = slurp(dir.path() / "a.gz");
  packed[packed.size() - 6] = static_cast<char>(packed[packed.size() - 6] ^ 0x55);  // damage the CRC-32
  write_raw(dir.path() / "bad-crc.gz", packed);
  CHECK_THROWS_WITH(read_idx(dir.path() / "bad-crc.gz"), Contains("bad-crc.gz"));
  CHECK(read_idx_rows(dir.path() / "bad-crc.gz", 4).array.values.size() == 4 * 784);
}
