#include "test_prelude.hpp"

// The tests, Holm and the summary against scipy 1.10 / numpy values written by
// fixtures/make_stats_fixtures.py (see that script for the exact calls and modes).

#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "curvtrack/report/statistics.hpp"

using namespace curvtrack::report;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

// Exact and normal-approximation p-values both come from closed forms or exact sums; scipy and
// Boost/libm agree to far better than this.
constexpr double kRel = 1e-10;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const nlohmann::json& reference() {
  static const nlohmann::json data = [] {
    const std::string path = std::string(CURVTRACK_TEST_DATA_DIR) + "/stats_reference.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
  }();
  return data;
}

double number(const nlohmann::json& v) { return v.is_null() ? kNaN : v.get<double>(); }

std::vector<double> numbers(const nlohmann::json& v) {
  std::vector<double> out;
  for (const auto& x : v) out.push_back(number(x));
  return out;
}

void check_close(double actual, double expected, double rel = kRel) {
  if (std::isnan(expected)) {
    CHECK(std::isnan(actual));
  } else {
    CHECK_THAT(actual, WithinRel(expected, rel));
  }
}

}  // namespace

TEST_CASE("paired t-test matches scipy ttest_1samp", "[unit]") {
  const auto& cases = reference().at("t_test");
  REQUIRE(cases.size() >= 10);
  for (const auto& c : cases) {
    INFO(c.at("name").get<std::string>());
    const TestResult r = paired_t_test(numbers(c.at("d")));
    CHECK(r.n == static_cast<std::int64_t>(c.at("d").size()));
    check_close(r.statistic, number(c.at("statistic")));
    check_close(r.p_value, number(c.at("p")));
  }
}

TEST_CASE("paired t-test is undefined below two pairs and for all-zero differences", "[unit]") {
  CHECK(std::isnan(paired_t_test({}).p_value));
  const TestResult one = paired_t_test({0.3});
  CHECK(std::isnan(one.p_value));
  CHECK(one.method.find("n < 2") != std::string::npos);
  CHECK(std::isnan(paired_t_test({0.0, 0.0, 0.0}).p_value));
  // Constant non-zero differences: infinite t, p = 0 (as scipy).
  const TestResult constant = paired_t_test({0.25, 0.25, 0.25});
  CHECK(std::isinf(constant.statistic));
  CHECK(constant.p_value == 0.0);
  CHECK_THROWS_AS(paired_t_test({0.1, kNaN}), std::invalid_argument);
}

TEST_CASE("Wilcoxon signed-rank matches scipy wilcoxon in exact and approx mode", "[unit]") {
  const auto& cases = reference().at("wilcoxon");
  REQUIRE(cases.size() >= 10);
  int exact = 0, approx = 0;
  for (const auto& c : cases) {
    const std::string mode = c.at("mode");
    INFO(c.at("name").get<std::string>() << " mode " << mode);
    const std::vector<double> d = numbers(c.at("d"));
    const TestResult r = wilcoxon_signed_rank(d);
    INFO(r.method);
    CHECK(r.n == c.at("n").get<std::int64_t>());
    check_close(r.statistic, number(c.at("statistic")));
    check_close(r.p_value, number(c.at("p")));
    CHECK((r.method.find("exact") != std::string::npos) == (mode == "exact"));
    (mode == "exact" ? exact : approx) += 1;
    if (c.contains("approx_p")) {
      const TestResult a = wilcoxon_signed_rank(d, PMethod::kApprox);
      check_close(a.statistic, number(c.at("approx_statistic")));
      check_close(a.p_value, number(c.at("approx_p")));
    }
  }
  CHECK(exact >= 5);
  CHECK(approx >= 3);
}

TEST_CASE("Wilcoxon on 5 pairs cannot reach the 5% level", "[unit]") {
  // Every difference positive: the most extreme outcome, two-sided p = 2 / 2^5.
  const TestResult r = wilcoxon_signed_rank({0.4, 0.1, 0.3, 0.2, 0.5});
  CHECK(r.statistic == 0.0);
  CHECK_THAT(r.p_value, WithinRel(0.0625, 1e-15));
  CHECK(r.p_value > 0.05);
}

TEST_CASE("Wilcoxon drops zeros, refuses exact with ties, and is undefined without data",
          "[unit]") {
  const TestResult zeros = wilcoxon_signed_rank({0.1, 0.0, -0.3, 0.2, 0.0, 0.4});
  CHECK(zeros.n == 4);
  CHECK(zeros.method.find("2 zero differences dropped") != std::string::npos);
  CHECK_THROWS_AS(wilcoxon_signed_rank({0.1, 0.0, 0.2}, PMethod::kExact), std::invalid_argument);
  CHECK_THROWS_AS(wilcoxon_signed_rank({0.1, -0.1, 0.2}, PMethod::kExact), std::invalid_argument);
  CHECK(std::isnan(wilcoxon_signed_rank({0.0, 0.0}).p_value));
  CHECK(std::isnan(wilcoxon_signed_rank({}).p_value));
}

TEST_CASE("Kendall tau-b matches scipy kendalltau (auto, asymptotic, exact)", "[unit]") {
  const auto& cases = reference().at("kendall");
  REQUIRE(cases.size() >= 10);
  for (const auto& c : cases) {
    INFO(c.at("name").get<std::string>());
    const std::vector<double> x = numbers(c.at("x"));
    const std::vector<double> y = numbers(c.at("y"));
    const TestResult r = kendall_tau(x, y);
    INFO(r.method);
    check_close(r.statistic, number(c.at("tau")), 1e-12);
    check_close(r.p_value, number(c.at("p_auto")));
    CHECK((r.method.find("exact") != std::string::npos) == c.at("auto_is_exact").get<bool>());
    check_close(kendall_tau(x, y, PMethod::kApprox).p_value, number(c.at("p_asymptotic")));
    if (c.contains("p_exact")) {
      check_close(kendall_tau(x, y, PMethod::kExact).p_value, number(c.at("p_exact")));
    } else {
      CHECK_THROWS_AS(kendall_tau(x, y, PMethod::kExact), std::invalid_argument);
    }
  }
}

TEST_CASE("Kendall tau is undefined for constant data and short input", "[unit]") {
  CHECK(std::isnan(kendall_tau({1.0, 2.0, 3.0}, {5.0, 5.0, 5.0}).statistic));
  CHECK(std::isnan(kendall_tau({1.0}, {2.0}).p_value));
  CHECK_THROWS_AS(kendall_tau({1.0, 2.0}, {1.0}), std::invalid_argument);
}

TEST_CASE("Holm adjustment matches the step-down formula", "[unit]") {
  const auto& cases = reference().at("holm");
  REQUIRE(cases.size() >= 6);
  for (const auto& c : cases) {
    const std::vector<double> p = numbers(c.at("p"));
    const std::vector<double> expected = numbers(c.at("adjusted"));
    const std::vector<double> adjusted = holm_adjust(p);
    REQUIRE(adjusted.size() == expected.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      INFO("case " << c.at("p").dump() << " index " << i);
      if (std::isnan(expected[i])) {
        CHECK(std::isnan(adjusted[i]));
      } else {
        CHECK_THAT(adjusted[i], WithinRel(expected[i], 1e-15));
        CHECK(adjusted[i] >= p[i]);
        CHECK(adjusted[i] <= 1.0);
      }
    }
  }
  CHECK_THROWS_AS(holm_adjust({0.5, 1.5}), std::invalid_argument);
}

TEST_CASE("summary matches numpy mean, sd (ddof 1), median, min, max", "[unit]") {
  for (const auto& c : reference().at("summary")) {
    INFO(c.at("name").get<std::string>());
    const Summary s = summarize(numbers(c.at("values")));
    CHECK(s.n == static_cast<std::int64_t>(c.at("values").size()));
    CHECK_THAT(s.mean, WithinRel(c.at("mean").get<double>(), 1e-12) ||
                           WithinAbs(c.at("mean").get<double>(), 1e-15));
    CHECK_THAT(s.sd, WithinRel(c.at("sd").get<double>(), 1e-12));
    CHECK(s.median == c.at("median").get<double>());
    CHECK(s.min == c.at("min").get<double>());
    CHECK(s.max == c.at("max").get<double>());
  }
  const Summary empty = summarize({});
  CHECK(empty.n == 0);
  CHECK(std::isnan(empty.mean));
  CHECK(std::isnan(summarize({2.0}).sd));
}
