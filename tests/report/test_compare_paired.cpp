#include "test_prelude.hpp"

// compare_paired assembles the per-measure statistics; verdict turns one into a sentence.

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "curvtrack/report/statistics.hpp"
#include "planted.hpp"

using namespace curvtrack::report;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

namespace {

using testing::planted;

std::vector<double> log_differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d;
  for (std::size_t k = 0; k < a.size(); ++k) d.push_back(std::log(a[k]) - std::log(b[k]));
  return d;
}

}  // namespace

TEST_CASE("compare_paired runs the tests on log differences and Holm across measures",
          "[unit]") {
  std::vector<double> a1, b1, a2, b2, a3, b3;
  planted(0.6, 0.2, 10, 1, &a1, &b1);
  planted(0.9, 0.3, 10, 2, &a2, &b2);
  planted(1.0, 0.3, 10, 3, &a3, &b3);
  const std::vector<std::string> measures{"lambda_max", "trace", "other"};
  const auto out = compare_paired(measures, {a1, a2, a3}, {b1, b2, b3}, 99);
  REQUIRE(out.size() == 3);
  const std::vector<std::vector<double>> as{a1, a2, a3}, bs{b1, b2, b3};
  std::vector<double> t_p;
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(measures[i]);
    const auto d = log_differences(as[i], bs[i]);
    CHECK(out[i].measure == measures[i]);
    CHECK(out[i].n == 10);
    CHECK(out[i].a.mean == summarize(as[i]).mean);
    CHECK(out[i].b.median == summarize(bs[i]).median);
    CHECK(out[i].t.p_value == paired_t_test(d).p_value);
    CHECK(out[i].wilcoxon.p_value == wilcoxon_signed_rank(d).p_value);
    CHECK_THAT(out[i].ratio, WithinRel(ratio_of_geometric_means(as[i], bs[i]), 1e-14));
    CHECK_THAT(out[i].ratio, WithinRel(std::exp(out[i].mean_log_difference), 1e-15));
    CHECK(out[i].ratio_ci.low < out[i].ratio);
    CHECK(out[i].ratio < out[i].ratio_ci.high);
    t_p.push_back(out[i].t.p_value);
  }
  const auto holm = holm_adjust(t_p);
  for (std::size_t i = 0; i < 3; ++i) CHECK(out[i].p_holm == holm[i]);
  // Deterministic for a seed; measures get different bootstrap streams.
  const auto again = compare_paired(measures, {a1, a2, a3}, {b1, b2, b3}, 99);
  CHECK(again[1].ratio_ci.low == out[1].ratio_ci.low);
  CHECK(again[1].ratio_ci.high == out[1].ratio_ci.high);
}

TEST_CASE("compare_paired rejects mismatched or non-positive input", "[unit]") {
  const std::vector<double> v{1.0, 2.0, 3.0};
  CHECK_THROWS_AS(compare_paired({"m"}, {v, v}, {v}, 1), std::invalid_argument);
  CHECK_THROWS_AS(compare_paired({"m"}, {v}, {{1.0, 2.0}}, 1), std::invalid_argument);
  CHECK_THROWS_WITH(compare_paired({"trace"}, {v}, {{1.0, 0.0, 3.0}}, 1), Contains("trace"));
}

TEST_CASE("verdict: a planted flattening with 10 seeds is a claim", "[unit]") {
  std::vector<double> a, b;
  planted(0.6, 0.15, 10, 4, &a, &b);
  const auto c = compare_paired({"λmax at the end"}, {a}, {b}, 7).front();
  REQUIRE(c.p_holm < 0.05);
  const std::string s = verdict(c, "onecycle", "constant");
  INFO(s);
  CHECK_THAT(s, Contains("λmax at the end: onecycle is flatter than constant (ratio of "
                         "geometric means 0.57, 95% CI 0.52-0.62, "));  // planted 0.6
  CHECK_THAT(s, Contains("paired t p "));
  CHECK_THAT(s, Contains("Holm p "));
  CHECK_THAT(s, Contains("Wilcoxon p = 0.002"));  // all 10 differences negative: 2 / 2^10
  CHECK_THAT(s, Contains("n = 10)"));
  // The same data read the other way round is a sharpening.
  const auto reversed = compare_paired({"trace"}, {b}, {a}, 7).front();
  CHECK_THAT(verdict(reversed, "constant", "onecycle"),
             Contains("trace: constant is sharper than onecycle"));
}

TEST_CASE("verdict: no planted difference is no significant difference", "[unit]") {
  std::vector<double> a, b;
  planted(1.0, 0.3, 10, 5, &a, &b);
  const auto c = compare_paired({"trace at the end"}, {a}, {b}, 7).front();
  REQUIRE(c.p_holm >= 0.05);
  const std::string s = verdict(c, "onecycle", "constant");
  INFO(s);
  CHECK_THAT(s, Contains("trace at the end: no significant difference between onecycle and "
                         "constant (ratio of geometric means"));
  CHECK_THAT(s, !Contains("flatter"));
  CHECK_THAT(s, Contains("n = 10)"));
}

TEST_CASE("verdict: five seeds are not enough for a claim, numbers still given", "[unit]") {
  std::vector<double> a, b;
  planted(0.5, 0.05, 5, 6, &a, &b);
  const auto c = compare_paired({"λmax at the end"}, {a}, {b}, 7).front();
  const std::string s = verdict(c, "onecycle", "constant");
  INFO(s);
  CHECK(c.t.p_value < 0.05);  // the t-test alone would claim it
  CHECK_THAT(s, Contains("not enough seeds for a claim (n = 5 < 8)"));
  CHECK_THAT(s, !Contains("flatter"));
  CHECK_THAT(s, Contains("ratio of geometric means 0.5"));
  CHECK_THAT(s, Contains("Wilcoxon p = 0.062"));
}
