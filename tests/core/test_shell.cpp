#include "test_prelude.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/shell.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;
using Catch::Matchers::Contains;

namespace {

// A folder holding a stand-in `gnuplot` (a shell script) put first on PATH, both undone on exit.
class FakeGnuplot {
 public:
  explicit FakeGnuplot(const std::string& body) : old_path_(std::getenv("PATH")) {
    const fs::path bin = dir_.path() / "bin";
    fs::create_directories(bin);
    fs::create_directories(work());
    write_file_atomically(bin / "gnuplot", "#!/bin/sh\n" + body);
    fs::permissions(bin / "gnuplot", fs::perms::owner_all);
    ::setenv("PATH", (bin.string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeGnuplot() { ::setenv("PATH", old_path_.c_str(), 1); }
  FakeGnuplot(const FakeGnuplot&) = delete;
  FakeGnuplot& operator=(const FakeGnuplot&) = delete;
  fs::path work() const { return dir_.path() / "work dir's"; }

 private:
  curvtrack::testing::TempDir dir_;  // removed after the destructor has restored PATH
  std::string old_path_;
};

}  // namespace

TEST_CASE("shell_quote leaves plain words alone and quotes the rest for sh", "[unit]") {
  CHECK(shell_quote("plain/path-1.ini") == "plain/path-1.ini");
  CHECK(shell_quote("a=b,c:d@e%f+g") == "a=b,c:d@e%f+g");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("$HOME; rm") == "'$HOME; rm'");
}

TEST_CASE("on_path finds executables in PATH folders only", "[unit]") {
  CHECK(on_path("sh"));
  CHECK_FALSE(on_path("curvtrack-no-such-program"));
  CHECK_FALSE(on_path(""));
}

TEST_CASE("run_gnuplot succeeds when the script makes every output, in a folder that needs quoting", "[unit]") {
  FakeGnuplot gnuplot("touch \"${1%.gp}.svg\" \"${1%.gp}.png\"\n");
  CHECK(on_path("gnuplot"));
  auto warning = run_gnuplot(gnuplot.work(), "plot.gp", {"plot.svg", "plot.png"});
  INFO(warning.value_or(""));
  CHECK_FALSE(warning.has_value());
  CHECK(fs::exists(gnuplot.work() / "plot.png"));
}

TEST_CASE("run_gnuplot warns with gnuplot's output when it fails or leaves an output missing", "[unit]") {
  SECTION("fails") {
    FakeGnuplot gnuplot("echo \"line 3: undefined variable in $1\"\nexit 1\n");
    auto warning = run_gnuplot(gnuplot.work(), "plot.gp", {"plot.svg"});
    REQUIRE(warning.has_value());
    CHECK(*warning == "gnuplot failed on " + (gnuplot.work() / "plot.gp").string() +
                          ": line 3: undefined variable in plot.gp\n");
  }
  SECTION("a stale output does not count") {
    FakeGnuplot gnuplot("touch \"${1%.gp}.svg\"\n");
    std::ofstream(gnuplot.work() / "plot.png") << "from an earlier run";
    auto warning = run_gnuplot(gnuplot.work(), "plot.gp", {"plot.svg", "plot.png"});
    REQUIRE(warning.has_value());
    CHECK_THAT(*warning, Contains("gnuplot failed on"));
    CHECK_FALSE(fs::exists(gnuplot.work() / "plot.png"));
  }
}
