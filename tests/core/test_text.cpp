#include "test_prelude.hpp"

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/hash.hpp"
#include "curvtrack/core/text.hpp"

using namespace curvtrack::core;

TEST_CASE("parse_int accepts whole integers and names the value it rejects", "[unit]") {
  REQUIRE(parse_int(" 42 ", "k") == 42);
  REQUIRE(parse_int("-7", "k") == -7);
  REQUIRE_THROWS_AS(parse_int("4x", "--top-k"), UsageError);
  REQUIRE_THROWS_WITH(parse_int("", "--top-k"), Catch::Matchers::Contains("--top-k"));
  REQUIRE_THROWS_AS(parse_int("99999999999999999999", "k"), UsageError);
}

TEST_CASE("parse_double rejects trailing text and non-finite values", "[unit]") {
  REQUIRE(parse_double("1e-3", "lr") == 1e-3);
  REQUIRE_THROWS_AS(parse_double("0.1.2", "lr"), UsageError);
  REQUIRE_THROWS_AS(parse_double("nan", "lr"), UsageError);
  REQUIRE_THROWS_AS(parse_double("inf", "lr"), UsageError);
}

TEST_CASE("nearest suggests the closest key by edit distance", "[unit]") {
  std::vector<std::string> keys = {"lr_max", "lr", "momentum", "pct_start"};
  REQUIRE(nearest("lr_mx", keys) == "lr_max");
  REQUIRE(nearest("pct_strat", keys) == "pct_start");
  REQUIRE(nearest("x", {}) == "");
}

TEST_CASE("split keeps empty fields and one_line flattens messages", "[unit]") {
  REQUIRE(split("a::b", ':') == std::vector<std::string>{"a", "", "b"});
  REQUIRE(one_line("first\nsecond\n") == "first second");
}

TEST_CASE("exit codes follow the error kind", "[unit]") {
  REQUIRE(exit_code_for(UsageError("x")) == ExitCode::kUsage);
  REQUIRE(exit_code_for(DataError("x")) == ExitCode::kData);
  REQUIRE(exit_code_for(std::runtime_error("x")) == ExitCode::kFailure);
}

TEST_CASE("fnv1a64 matches the published test vectors", "[unit]") {
  // Test vectors from the FNV reference (Fowler, Noll, Vo): "" and "a".
  REQUIRE(fnv1a64_hex("") == "cbf29ce484222325");
  REQUIRE(fnv1a64_hex("a") == "af63dc4c8601ec8c");
}
