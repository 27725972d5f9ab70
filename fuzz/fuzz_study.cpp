// sweep::load_study on the input as a study file (next to an existing base.ini), then expand()
// and the training command; parse_seeds, parse_slurm_time and shell_quote on the raw input.
#include <set>

#include "curvtrack/core/text.hpp"
#include "curvtrack/sweep/study.hpp"
#include "fuzz_common.hpp"

namespace {

namespace sweep = curvtrack::sweep;
namespace fuzz = curvtrack::fuzz;

// Inverse of POSIX shell quoting for the forms shell_quote writes: plain words and '...'
// segments joined by \' ; returns "\x01" for anything else so that a mismatch shows.
std::string shell_unquote(const std::string& quoted) {
  std::string word;
  for (std::size_t i = 0; i < quoted.size();) {
    if (quoted[i] == '\'') {
      std::size_t end = quoted.find('\'', i + 1);
      if (end == std::string::npos) return "\x01";
      word += quoted.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (quoted[i] == '\\' && i + 1 < quoted.size()) {
      word += quoted[i + 1];
      i += 2;
    } else if (std::string(" \t\n|&;<>()$`\"*?[#~").find(quoted[i]) != std::string::npos) {
      return "\x01";  // would be split or expanded by the shell, unquoted
    } else {
      word += quoted[i++];
    }
  }
  return word;
}

// Known findings, reported to the lead (regressions/study/): parse_seeds overflows ++seed when a
// seed is INT64_MAX, and parse_slurm_time overflows multiplying large days/hours/minutes.
// While exploring (CURVTRACK_FUZZ_SKIP_KNOWN=1, as scripts/fuzz.sh sets it), inputs holding a
// number of 14 or more significant digits are not given to those parsers, so the fuzzer looks
// for other failures; the regression inputs run without it and fail until the bugs are fixed.
bool skip_known_finding(const std::string& text) {
  static const bool skip = std::getenv("CURVTRACK_FUZZ_SKIP_KNOWN") != nullptr;
  if (!skip) return false;
  std::size_t digits = 0;  // significant digits of the current run of digits
  for (char c : text) {
    if (c < '0' || c > '9') {
      digits = 0;
    } else if (digits > 0 || c != '0') {
      if (++digits >= 14) return true;
    }
  }
  return false;
}

void check_study(const sweep::Study& study) {
  FUZZ_CHECK(!study.arms.empty());
  FUZZ_CHECK(!study.seeds.empty());
  FUZZ_CHECK(study.base.is_absolute() && study.out.is_absolute() && study.file.is_absolute());
  FUZZ_CHECK(std::set<std::int64_t>(study.seeds.begin(), study.seeds.end()).size() == study.seeds.size());
  std::set<std::string> names;
  for (const sweep::Arm& arm : study.arms) {
    FUZZ_CHECK(names.insert(arm.name).second);
    FUZZ_CHECK(!arm.name.empty() && arm.name != "." && arm.name != ".." && arm.name.find('/') == std::string::npos);
  }
  FUZZ_CHECK(study.local.jobs >= 1);
  FUZZ_CHECK(study.slurm.cpus_per_task >= 1 && study.slurm.throttle >= 0 && study.slurm.signal_margin >= 0);
  // Large studies are legal; expanding them is only slow, not a finding.
  if (study.arms.size() * study.seeds.size() > 20000) return;
  std::vector<sweep::StudyRun> runs = sweep::expand(study);
  FUZZ_CHECK(runs.size() == study.arms.size() * study.seeds.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const sweep::StudyRun& run = runs[i];
    // OUT/ARM/seed-S, and the arm name cannot lead out of OUT.
    FUZZ_CHECK(run.run_dir.lexically_relative(study.out) ==
               std::filesystem::path(run.arm) / ("seed-" + std::to_string(run.seed)));
    FUZZ_CHECK(run.overrides.size() >= 2 && run.overrides.back() == "run.name=" + run.arm);
    if (i < 4) {
      std::vector<std::string> words = sweep::train_arguments(study, run);
      FUZZ_CHECK(!sweep::shell_command(words).empty());
      for (const std::string& word : words) FUZZ_CHECK(shell_unquote(sweep::shell_quote(word)) == word);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  static const std::filesystem::path base = fuzz::write_scratch("base.ini", "[optim]\nname = sgd\n");
  (void)base;
  const std::string text = fuzz::as_string(data, size);

  if (skip_known_finding(text)) return 0;
  sweep::Study study;
  if (fuzz::expect_rejections([&] { study = sweep::load_study(fuzz::write_scratch("study.ini", text)); })) {
    check_study(study);
  }

  // The value parsers alone, on the first line (what a `key = value` line would give them).
  const std::string line = core::split(text, '\n').front();
  std::vector<std::int64_t> seeds;
  if (fuzz::expect_rejections([&] { seeds = sweep::parse_seeds(line, "seeds"); })) {
    FUZZ_CHECK(!seeds.empty());
    for (std::int64_t seed : seeds) FUZZ_CHECK(seed >= 0);
    FUZZ_CHECK(std::set<std::int64_t>(seeds.begin(), seeds.end()).size() == seeds.size());
  }
  std::int64_t seconds = 0;
  if (fuzz::expect_rejections([&] { seconds = sweep::parse_slurm_time(line, "time"); })) FUZZ_CHECK(seconds >= 0);
  FUZZ_CHECK(shell_unquote(sweep::shell_quote(line)) == line);
  return 0;
}
