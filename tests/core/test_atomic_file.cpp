#include "test_prelude.hpp"

#include <filesystem>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;

TEST_CASE("write_file_atomically replaces the file whole and leaves no temporary", "[unit]") {
  curvtrack::testing::TempDir temp;
  const fs::path& dir = temp.path();
  fs::path file = dir / "out.json";
  write_file_atomically(file, "first");
  write_file_atomically(file, "second");
  REQUIRE(read_file(file) == "second");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++entries;
  REQUIRE(entries == 1);
}

TEST_CASE("write_file_atomically names the path when the folder does not exist", "[unit]") {
  fs::path file = "/nonexistent-curvtrack-dir/out.json";
  REQUIRE_THROWS_WITH(write_file_atomically(file, "x"),
                      Catch::Matchers::Contains("/nonexistent-curvtrack-dir/out.json"));
  REQUIRE_THROWS_AS(read_file(file), DataError);
}
