// .npy reading against files Debian's numpy wrote (tests/fixtures/npy/make_npy.py), headers
// written by hand for the corner cases numpy never writes, and the writer read back by numpy.
#include "test_prelude.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/npy.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;
using Catch::Matchers::Contains;
using curvtrack::testing::slurp;

namespace {

const fs::path kFixtures = fs::path(CURVTRACK_SOURCE_DIR) / "tests" / "fixtures" / "npy";

NpyArray fixture(const std::string& name) {
  const std::string bytes = slurp(kFixtures / name);
  REQUIRE(!bytes.empty());
  return parse_npy(bytes, name);
}

template <class T>
std::vector<T> values(const NpyArray& array) {
  REQUIRE(array.payload().size() == static_cast<std::size_t>(array.elements()) * sizeof(T));
  std::vector<T> out(static_cast<std::size_t>(array.elements()));
  if (!out.empty()) std::memcpy(out.data(), array.payload().data(), array.payload().size());
  return out;
}

// A version 1.0 file with `dict` as its header (padded as numpy does) and `payload`.
std::string npy_with(const std::string& dict, const std::string& payload, unsigned char major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  const std::size_t length = header.size();
  for (std::size_t i = 0; i < prefix - 8; ++i) bytes += static_cast<char>((length >> (8 * i)) & 0xFF);
  return bytes + header + payload;
}

std::string raw_doubles(const std::vector<double>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
}

bool numpy_available() { return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("parse_npy reads every element type numpy writes, with shape and values", "[unit]") {
  const NpyArray f4 = fixture("f4_2x3.npy");
  CHECK(f4.type == NpyType::kFloat32);
  CHECK(f4.shape == std::vector<std::int64_t>{2, 3});
  CHECK(values<float>(f4) == std::vector<float>{0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f});

  const NpyArray f8 = fixture("f8_3.npy");
  CHECK(f8.type == NpyType::kFloat64);
  CHECK(values<double>(f8) == std::vector<double>{0.0, 0.5, 1.0});

  const NpyArray i8 = fixture("i8_4.npy");
  CHECK(i8.type == NpyType::kInt64);
  CHECK(values<std::int64_t>(i8) == std::vector<std::int64_t>{-2, -1, 0, 1});
  const NpyArray i4 = fixture("i4_4.npy");
  CHECK(i4.type == NpyType::kInt32);
  CHECK(values<std::int32_t>(i4) == std::vector<std::int32_t>{-2, -1, 0, 1});
  const NpyArray u1 = fixture("u1_4.npy");
  CHECK(u1.type == NpyType::kUInt8);
  CHECK(values<std::uint8_t>(u1) == std::vector<std::uint8_t>{0, 1, 2, 3});
  const NpyArray b1 = fixture("b1_4.npy");
  CHECK(b1.type == NpyType::kBool);
  CHECK(values<std::uint8_t>(b1) == std::vector<std::uint8_t>{0, 1, 0, 1});
  CHECK(npy_type_is_integer(NpyType::kUInt8));
  CHECK_FALSE(npy_type_is_integer(NpyType::kBool));
  CHECK(npy_type_name(NpyType::kFloat32) == "float32");
  CHECK(npy_descr(NpyType::kInt64) == "<i8");
  CHECK(npy_descr(NpyType::kBool) == "|b1");
}

TEST_CASE("parse_npy reads 0-d, empty and 4-D arrays", "[unit]") {
  const NpyArray scalar = fixture("f8_scalar.npy");
  CHECK(scalar.shape.empty());
  CHECK(scalar.elements() == 1);
  CHECK(values<double>(scalar) == std::vector<double>{2.5});
  const NpyArray empty = fixture("f4_0x3.npy");
  CHECK(empty.shape == std::vector<std::int64_t>{0, 3});
  CHECK(empty.payload().empty());
  const NpyArray image = fixture("f4_2x1x2x2.npy");
  CHECK(image.shape == std::vector<std::int64_t>{2, 1, 2, 2});
  CHECK(values<float>(image)[7] == 3.5f);
}

TEST_CASE("parse_npy reads format versions 2.0 and 3.0 like 1.0", "[unit]") {
  const NpyArray v1 = fixture("f4_2x3.npy");
  for (const char* name : {"f4_2x3_v2.npy", "f4_2x3_v3.npy"}) {
    INFO(name);
    const std::string bytes = slurp(kFixtures / name);
    CHECK(static_cast<int>(bytes[6]) == (std::string(name).find("v2") != std::string::npos ? 2 : 3));
    const NpyArray array = parse_npy(bytes, name);
    CHECK(array.shape == v1.shape);
    CHECK(array.payload() == v1.payload());
  }
}

TEST_CASE("parse_npy refuses Fortran order, big-endian and structured arrays by name", "[unit]") {
  CHECK_THROWS_WITH(fixture("fortran_2x3.npy"), Contains("fortran_2x3.npy") && Contains("Fortran order"));
  CHECK_THROWS_WITH(fixture("big_endian_f4.npy"), Contains("big_endian_f4.npy") && Contains("big-endian"));
  CHECK_THROWS_WITH(fixture("structured.npy"), Contains("structured.npy") && Contains("structured"));
}

TEST_CASE("parse_npy accepts the header spellings numpy may produce", "[unit]") {
  const std::string two = raw_doubles({1.0, 2.0});
  // Trailing commas or none, keys in any order, double quotes, Python 2's long suffix.
  for (const std::string dict :
       {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
        "{'shape': (2,), 'fortran_order': False, 'descr': '<f8'}", "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2L,)}",
        "{'descr':'<f8','fortran_order':False,'shape':(1,2)}"}) {
    INFO(dict);
    const NpyArray array = parse_npy(npy_with(dict, two), "hand.npy");
    CHECK(array.elements() == 2);
    CHECK(values<double>(array) == std::vector<double>{1.0, 2.0});
  }
  CHECK(parse_npy(npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", raw_doubles({3.0})), "s.npy").shape.empty());
  CHECK(parse_npy(npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", two, 2), "v2.npy").elements() == 2);
  CHECK(parse_npy(npy_with("{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }", "ab"), "u.npy").type == NpyType::kUInt8);
}

TEST_CASE("parse_npy refuses malformed files with a message naming the file and the fault", "[unit]") {
  const std::string two = raw_doubles({1.0, 2.0});
  const std::string good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  struct Row {
    std::string bytes;
    std::string says;
  };
  const std::vector<Row> rows = {
      {"", "does not start with"},
      {"\x93NUMPX\x01\x00", "does not start with"},
      {npy_with(good, two).replace(6, 1, "\x04"), "version 4.0"},
      {npy_with(good, two).replace(7, 1, "\x01"), "version 1.1"},
      {npy_with(good, two).substr(0, 9), "truncated inside its .npy header"},
      {npy_with(good, two).substr(0, 40), "header promises"},
      {npy_with(good, two).substr(0, npy_with(good, two).size() - 1), "is truncated: shape [2] of float64 needs 16 bytes of data, found 15"},
      {npy_with(good, two + "x"), "trailing bytes"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", two), "negative dimension"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", two), "over 2^62"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", two), "over 2^62"},
      {npy_with("{'descr': '<f8', 'fortran_order': False}", two), "missing key 'shape'"},
      {npy_with("{'descr': '<f8', 'shape': (2,)}", two), "missing key 'fortran_order'"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", two), "unexpected or repeated key 'extra'"},
      {npy_with("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", two), "repeated key 'descr'"},
      {npy_with("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,)}", two), "neither True nor False"},
      {npy_with("{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}", two), "element type '<c16'"},
      {npy_with("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", two), "element type '|O'"},
      {npy_with("{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}", two), "element type '<f8, '"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x", two), "unterminated string"},
      {npy_with("{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}", two), "expected ',' or '}'"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2 2)}", two), "expected ',' or ')'"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x", two), "text after the closing"},
      {npy_with("['descr', '<f8']", two), "expected '{'"},
      {npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,", two), "malformed .npy header"},
  };
  for (const Row& row : rows) {
    INFO(row.says);
    CHECK_THROWS_AS(parse_npy(row.bytes, "bad.npy"), DataError);
    CHECK_THROWS_WITH(parse_npy(row.bytes, "bad.npy"), Contains("bad.npy") && Contains(row.says));
  }
}

TEST_CASE("parse_npy refuses every truncation of a numpy file, never reading past it", "[unit]") {
  const std::string bytes = slurp(kFixtures / "f4_2x3_v3.npy");
  REQUIRE(bytes.size() == 152);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    INFO(size);
    CHECK_THROWS_AS(parse_npy(bytes.substr(0, size), "cut.npy"), DataError);
  }
}

TEST_CASE("npy_header matches the header numpy writes, byte for byte", "[unit]") {
  CHECK(npy_header("<f4", {2, 3}) == slurp(kFixtures / "f4_2x3.npy").substr(0, 128));
  CHECK(npy_header("<f8", {}) == slurp(kFixtures / "f8_scalar.npy").substr(0, 128));
  CHECK(npy_header("<f8", {3}) == slurp(kFixtures / "f8_3.npy").substr(0, 128));
  // A header over 65535 bytes needs version 2.0 (4-byte length).
  const std::string huge = npy_header("<f8", std::vector<std::int64_t>(25000, 1));
  CHECK(huge[6] == 2);
  CHECK(huge.size() % 64 == 0);
  CHECK(parse_npy(huge + raw_doubles({4.0}), "huge.npy").shape.size() == 25000);
}

TEST_CASE("write_npy writes float64 arrays that numpy reads back exactly", "[unit]") {
  curvtrack::testing::TempDir temp;
  std::vector<double> data(12);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<double>(i) * 0.25 - 1.0 + 1e-17 * static_cast<double>(i);
  data[5] = -0.0;
  const fs::path matrix = temp.path() / "vectors.npy";
  write_npy(matrix, {3, 4}, data.data());
  write_npy(temp.path() / "empty.npy", {0, 5}, nullptr);
  const double pi = 3.141592653589793;
  write_npy(temp.path() / "scalar.npy", {}, &pi);

  // Our reader first (round trip), numpy second (the independent reader).
  const NpyArray back = parse_npy(slurp(matrix), "vectors.npy");
  CHECK(back.type == NpyType::kFloat64);
  CHECK(back.shape == std::vector<std::int64_t>{3, 4});
  CHECK(values<double>(back) == data);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(temp.path())) ++entries;
  CHECK(entries == 3);  // no temporary file left

  if (!numpy_available()) {
    WARN("python3 with numpy is not installed: the numpy read-back of write_npy is skipped");
    return;
  }
  const std::string script =
      "import numpy as np, sys\n"
      "d = sys.argv[1]\n"
      "a = np.load(d + '/vectors.npy')\n"
      "want = np.arange(12) * 0.25 - 1.0 + 1e-17 * np.arange(12)\n"
      "want[5] = -0.0\n"
      "assert a.dtype == np.float64 and a.shape == (3, 4) and a.flags.c_contiguous, (a.dtype, a.shape)\n"
      "assert (a.ravel() == want).all() and np.signbit(a.ravel()[5])\n"
      "e = np.load(d + '/empty.npy')\n"
      "assert e.shape == (0, 5) and e.dtype == np.float64\n"
      "s = np.load(d + '/scalar.npy')\n"
      "assert s.shape == () and s == 3.141592653589793\n";
  const fs::path script_file = temp.write("check.py", script);
  const std::string command = "/usr/bin/python3 " + script_file.string() + " " + temp.path().string();
  CHECK(std::system(command.c_str()) == 0);
}

TEST_CASE("write_npy leaves nothing behind when the folder is missing", "[unit]") {
  const double value = 1.0;
  CHECK_THROWS_WITH(write_npy("/nonexistent-curvtrack-dir/v.npy", {1}, &value),
                    Contains("/nonexistent-curvtrack-dir/v.npy"));
  CHECK_THROWS_AS(write_npy("/tmp/curvtrack-negative.npy", {-1}, &value), UsageError);
}
