#include "test_prelude.hpp"

#include <unistd.h>

#include <filesystem>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;

TEST_CASE("write_file_atomically replaces the file whole and leaves no temporary", "[unit]") {
  fs::path dir = fs::temp_directory_path() / ("curvtrack_atomic_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "out.json";
  write_file_atomically(file, "first");
  write_file_atomically(file, "second");
  REQUIRE(read_file(file) == "second");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++entries;
  REQUIRE(entries == 1);
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomically names the path when the folder does not exist", "[unit]") {
  fs::path file = "/nonexistent-curvtrack-dir/out.json";
  REQUIRE_THROWS_WITH(write_file_atomically(file, "x"),
                      Catch::Matchers::Contains("/nonexistent-curvtrack-dir/out.json"));
  REQUIRE_THROWS_AS(read_file(file), DataError);
}
