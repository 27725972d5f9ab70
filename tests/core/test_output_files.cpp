#include "test_prelude.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;
using curvtrack::testing::TempDir;

// Only regular files are replaced or appended to: the path's kind (after following links) is
// checked with stat alone, so a FIFO never blocks and a device is never written.
TEST_CASE("outputs that are not regular files are refused, naming the path and its kind", "[unit]") {
  TempDir dir;
  fs::path fifo = dir.path() / "out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  REQUIRE_THROWS_AS(write_file_atomically(fifo, "x"), DataError);
  REQUIRE_THROWS_WITH(write_file_atomically(fifo, "x"), Catch::Matchers::Contains(fifo.string()) &&
                                                            Catch::Matchers::Contains("FIFO (named pipe)"));
  CHECK(fs::is_fifo(fifo));
  fs::create_directory(dir.path() / "folder");
  REQUIRE_THROWS_WITH(check_output_file(dir.path() / "folder"), Catch::Matchers::Contains("it is a directory"));
  fs::create_symlink("/dev/null", dir.path() / "null");
  REQUIRE_THROWS_WITH(write_file_atomically(dir.path() / "null", "x"),
                      Catch::Matchers::Contains("symbolic link to a character device (/dev/null)"));
  CHECK(fs::is_symlink(dir.path() / "null"));
  fs::create_symlink(dir.path() / "missing", dir.path() / "dangling");
  REQUIRE_THROWS_WITH(check_output_file(dir.path() / "dangling"), Catch::Matchers::Contains("cannot be reached"));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 4);  // no temporary file left
}

TEST_CASE("a link to a regular file is written through: the target is replaced, the link kept", "[unit]") {
  TempDir dir;
  fs::path target = dir.write("target.json", "old");
  fs::create_symlink(target, dir.path() / "link.json");
  check_output_file(dir.path() / "link.json");
  check_output_file(dir.path() / "absent.json");
  write_file_atomically(dir.path() / "link.json", "new");
  CHECK(fs::is_symlink(dir.path() / "link.json"));
  CHECK(read_file(target) == "new");
}

TEST_CASE("AtomicFile streams pieces and shows the file only on commit", "[unit]") {
  TempDir dir;
  fs::path path = dir.path() / "table.csv";
  {
    AtomicFile file(path);
    file.write("a,");
    file.write("b\n");
    CHECK_FALSE(fs::exists(path));
  }
  CHECK_FALSE(fs::exists(path));  // destroyed without commit: nothing, not even a temporary
  CHECK(fs::is_empty(dir.path()));
  AtomicFile file(path);
  file.write("a,");
  file.write("b\n");
  file.commit();
  CHECK(read_file(path) == "a,b\n");
}

TEST_CASE("read_file of a FIFO without a writer reads nothing instead of blocking", "[unit]") {
  TempDir dir;
  fs::path fifo = dir.path() / "in.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  CHECK(read_file(fifo).empty());
}
