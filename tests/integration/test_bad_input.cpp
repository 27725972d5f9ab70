#include "test_prelude.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "run_tool.hpp"

using curvtrack::testing::fixture_model;
using curvtrack::testing::run_tool;
using curvtrack::testing::TempDir;
using curvtrack::testing::ToolRun;
using Catch::Matchers::Contains;

namespace {

const char* kFashionRoot = "/usr/share/datasets/fashion-mnist";

// Writes an IDX file: 2 zero bytes, type, rank, big-endian dims, then `payload` bytes.
void write_idx(const std::filesystem::path& path, unsigned char type, const std::vector<std::uint32_t>& dims,
               std::size_t payload, unsigned char first_byte = 0) {
  std::ofstream out(path, std::ios::binary);
  out.put(static_cast<char>(first_byte)).put(0).put(static_cast<char>(type)).put(static_cast<char>(dims.size()));
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.put(static_cast<char>((d >> shift) & 0xFF));
  }
  std::string zeros(payload, '\0');
  out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
}

// A dataset folder with valid test-split labels and the given images file contents.
void write_split(const std::filesystem::path& dir, std::size_t images_payload, unsigned char first_byte = 0) {
  write_idx(dir / "t10k-images-idx3-ubyte", 0x08, {10, 28, 28}, images_payload, first_byte);
  write_idx(dir / "t10k-labels-idx1-ubyte", 0x08, {10}, 10);
}

ToolRun spectrum(std::vector<std::string> extra) {
  std::vector<std::string> arguments = {"spectrum", "--top-k", "1", "--trace", "none", "--esd", "none", "--quiet"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return run_tool(arguments);
}

// One line on stderr, naming `what`.
void require_one_line_naming(const ToolRun& run, const std::string& what) {
  INFO("stderr: " << run.err);
  REQUIRE_THAT(run.err, Contains(what));
  REQUIRE(run.err.find('\n') == run.err.size() - 1);
  REQUIRE(run.out.empty());
}

}  // namespace

TEST_CASE("a missing model file is a data error naming the file", "[integration]") {
  auto run = spectrum({"--model", "/nonexistent/net.pt", "--data", std::string("fashion-mnist:") + kFashionRoot,
                       "--probe", "test:first:4"});
  REQUIRE(run.exit_code == 3);
  require_one_line_naming(run, "/nonexistent/net.pt");
}

TEST_CASE("a model whose output is not [N, C] is rejected naming the shapes", "[integration]") {
  TempDir dir;
  write_split(dir.path(), 10 * 28 * 28);
  auto run = spectrum({"--model", fixture_model("wrong_output_shape.pt"), "--data",
                       "fashion-mnist:" + dir.path().string(), "--probe", "test:all"});
  REQUIRE(run.exit_code == 3);
  require_one_line_naming(run, "[2, 10, 1]");
}

TEST_CASE("a model with NaN weights is rejected", "[integration]") {
  TempDir dir;
  write_split(dir.path(), 10 * 28 * 28);
  auto run = spectrum({"--model", fixture_model("nan_weights.pt"), "--data",
                       "fashion-mnist:" + dir.path().string(), "--probe", "test:all"});
  REQUIRE(run.exit_code == 3);
  require_one_line_naming(run, "non-finite");
}

TEST_CASE("a missing dataset says how to install it or which flag to pass", "[integration]") {
  auto run = spectrum({"--model", fixture_model("mlp_784_16_10_tanh.pt"), "--data", "fashion-mnist:/nonexistent/fm"});
  REQUIRE(run.exit_code == 3);
  require_one_line_naming(run, "/nonexistent/fm");
  REQUIRE_THAT(run.err, Contains("--data"));
}

TEST_CASE("an IDX file with the wrong magic is a data error naming the file", "[integration]") {
  TempDir dir;
  write_split(dir.path(), 10 * 28 * 28, /*first_byte=*/0x1A);
  auto run = spectrum({"--model", fixture_model("mlp_784_16_10_tanh.pt"), "--data",
                       "fashion-mnist:" + dir.path().string(), "--probe", "test:all"});
  REQUIRE(run.exit_code == 3);
  require_one_line_naming(run, "t10k-images-idx3-ubyte");
}

TEST_CASE("a truncated IDX file is a data error naming the file", "[integration]") {
  TempDir dir;
  write_split(dir.path(), 10 * 28 * 28 - 100);
  auto run = spectrum({"--model", fixture_model("mlp_784_16_10_tanh.pt"), "--data",
                       "fashion-mnist:" + dir.path().string(), "--probe", "test:all"});
  REQUIRE(run.exit_code == 3);
  require_one_line_naming(run, "t10k-images-idx3-ubyte");
  REQUIRE_THAT(run.err, Contains("truncated"));
}

TEST_CASE("a probe set larger than its split is a usage error naming both sizes", "[integration]") {
  TempDir dir;
  write_split(dir.path(), 10 * 28 * 28);
  auto run = spectrum({"--model", fixture_model("mlp_784_16_10_tanh.pt"), "--data",
                       "fashion-mnist:" + dir.path().string(), "--probe", "test:first:11"});
  REQUIRE(run.exit_code == 2);
  require_one_line_naming(run, "11");
  REQUIRE_THAT(run.err, Contains("10"));
}

TEST_CASE("k at least the number of parameters is a usage error naming k and n", "[integration]") {
  TempDir dir;
  write_split(dir.path(), 10 * 28 * 28);
  // mlp:784-1-10 has 784 + 1 + 10 + 10 = 805 parameters.
  auto run = run_tool({"spectrum", "--model", "mlp:784-1-10", "--data", "fashion-mnist:" + dir.path().string(),
                       "--probe", "test:all", "--top-k", "805", "--trace", "none", "--esd", "none"});
  REQUIRE(run.exit_code == 2);
  require_one_line_naming(run, "--top-k 805");
  REQUIRE_THAT(run.err, Contains("805 parameters"));
}

TEST_CASE("an unknown option is a usage error suggesting the nearest one", "[integration]") {
  auto run = run_tool({"spectrum", "--top_k", "3"});
  REQUIRE(run.exit_code == 2);
  require_one_line_naming(run, "--top-k");
}

TEST_CASE("a bad option value is a usage error naming the option", "[integration]") {
  auto run = run_tool({"spectrum", "--model", "mlp:784-10", "--dtype", "float16"});
  REQUIRE(run.exit_code == 2);
  require_one_line_naming(run, "float16");
  auto esd = run_tool({"spectrum", "--model", "mlp:784-10", "--esd", "80by10"});
  REQUIRE(esd.exit_code == 2);
  require_one_line_naming(esd, "--esd");
}
