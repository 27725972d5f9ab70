#include "curvtrack/sweep/study.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <system_error>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/ini.hpp"
#include "curvtrack/core/shell.hpp"
#include "curvtrack/core/text.hpp"

namespace fs = std::filesystem;

namespace curvtrack::sweep {
namespace {

using core::UsageError;

const std::vector<std::string> kStudyKeys = {"name", "base", "seeds", "out", "arms", "report"};
const std::vector<std::string> kLocalKeys = {"jobs"};
const std::vector<std::string> kSlurmKeys = {"partition", "account",       "time",  "cpus_per_task",
                                             "throttle",  "signal_margin", "extra", "ranks_per_run"};

// One `key = value` line of the study file.
using Entry = core::IniEntry;

// A section: its entries in file order.
struct Section {
  std::string name;
  std::size_t line = 0;
  std::vector<Entry> entries;
};

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '+' || c == '.';
}

// Arm names become folder names: letters, digits, '_', '-', '+', '.', not "." or "..".
bool valid_arm_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.front() != '-' &&
         std::all_of(name.begin(), name.end(), is_name_char);
}

bool valid_identifier(const std::string& word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

// The sections in file order with their entries; unknown, repeated and badly named sections
// are rejected at their header's line.
std::vector<Section> parse_sections(const fs::path& path, const std::string& file) {
  std::vector<std::string> known_keys;  // for the message on a key before any section
  for (const std::string& key : kStudyKeys) known_keys.push_back("study." + key);
  for (const std::string& key : kLocalKeys) known_keys.push_back("local." + key);
  for (const std::string& key : kSlurmKeys) known_keys.push_back("slurm." + key);
  const core::IniDocument ini = core::parse_ini(core::read_ini_file(path, "study file"), file, known_keys);
  std::vector<Section> sections;
  for (const core::IniSection& header : ini.sections) {
    const std::string& name = header.name;
    const std::string where = file + ":" + std::to_string(header.line) + ": ";
    // [analysis] is the report's (the pre-registered plan, curvtrack report --analysis); sweep ignores it.
    if (name == "analysis") continue;
    bool known = name == "study" || name == "local" || name == "slurm" || name.rfind("arm.", 0) == 0;
    if (!known) {
      throw UsageError(where + "unknown section [" + name + "]; did you mean [" +
                       core::nearest(name, {"study", "local", "slurm", "arm." + name}) +
                       "]? (sections: [study], [local], [slurm], [arm.NAME], [analysis])");
    }
    if (name.rfind("arm.", 0) == 0 && !valid_arm_name(name.substr(4))) {
      throw UsageError(where + "arm name '" + name.substr(4) +
                       "' must be a folder name: letters, digits, '_', '-', '+', '.'");
    }
    for (const Section& earlier : sections) {
      if (earlier.name == name) throw UsageError(where + "section [" + name + "] is given twice");
    }
    sections.push_back({name, header.line, {}});
  }
  for (const Entry& entry : ini.entries) {
    for (Section& section : sections) {
      if (section.name == entry.section) section.entries.push_back(entry);
    }
  }
  return sections;
}

// Values of a fixed-schema section, rejecting unknown keys with the nearest valid one.
std::map<std::string, Entry> checked_entries(const Section& section, const std::vector<std::string>& valid,
                                             const std::string& file) {
  std::map<std::string, Entry> values;
  for (const Entry& entry : section.entries) {
    const std::string& key = entry.key;
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      throw UsageError(file + ":" + std::to_string(entry.line) + ": unknown key '" + key + "' in [" + section.name +
                       "]; did you mean '" + core::nearest(key, valid) + "'? (valid: " + core::join(valid) + ")");
    }
    values[key] = entry;
  }
  return values;
}

std::string located(const std::string& file, const Entry& entry, const std::string& key) {
  return file + ":" + std::to_string(entry.line) + ": " + key;
}

int positive_int(const std::string& file, const Entry& entry, const std::string& key, int minimum) {
  std::int64_t value = core::parse_int(entry.value, located(file, entry, key));
  if (value < minimum || value > 1000000) {
    throw UsageError(located(file, entry, key) + " = " + entry.value + " must be an integer >= " + std::to_string(minimum));
  }
  return static_cast<int>(value);
}

bool parse_bool(const std::string& file, const Entry& entry, const std::string& key) {
  std::string value = entry.value;
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off" || value.empty()) return false;
  throw UsageError(located(file, entry, key) + " = '" + entry.value + "' is not a boolean (true/false)");
}

// A value that goes onto an #SBATCH line as one word.
std::string single_word(const std::string& file, const Entry& entry, const std::string& key) {
  if (entry.value.find_first_of(" \t'\"\\$`;") != std::string::npos) {
    throw UsageError(located(file, entry, key) + " = '" + entry.value + "' must be one word without quotes or '$'");
  }
  return entry.value;
}

fs::path resolve(const fs::path& folder, const std::string& value) {
  fs::path path(value);
  return (path.is_absolute() ? path : folder / path).lexically_normal();
}

// Arm overrides: `section.key = value` with identifier-like section and key.
Arm parse_arm(const Section& section, const std::string& file) {
  Arm arm{section.name.substr(4), {}};
  for (const Entry& entry : section.entries) {
    const std::string& key = entry.key;
    const std::string where = file + ":" + std::to_string(entry.line) + ": [" + section.name + "] ";
    auto dot = key.find('.');
    if (dot == std::string::npos || !valid_identifier(key.substr(0, dot)) || !valid_identifier(key.substr(dot + 1))) {
      throw UsageError(where + "'" + key + "' is not a run config key of the form section.key (e.g. schedule.lr)");
    }
    if (key == "run.seed" || key == "run.name") {
      throw UsageError(where + key + " is set by the sweep (run.seed from [study] seeds, run.name = the arm name)");
    }
    arm.overrides.push_back(key + "=" + entry.value);
  }
  return arm;
}

}  // namespace

std::vector<std::int64_t> parse_seeds(const std::string& text, const std::string& what) {
  std::vector<std::int64_t> seeds;
  std::set<std::int64_t> seen;
  auto bad = [&](const std::string& why) {
    return UsageError(what + " = '" + text + "': " + why + " (expected e.g. 0-7 or 0,1,2,5)");
  };
  if (core::trim(text).empty()) throw bad("no seeds");
  for (const std::string& raw : core::split(text, ',')) {
    std::string item = core::trim(raw);
    if (item.empty()) throw bad("empty item");
    auto dash = item.find('-', 1);
    std::int64_t first = 0, last = 0;
    try {
      if (item.front() == '-') throw bad("seeds must be >= 0");
      if (dash == std::string::npos) {
        first = last = core::parse_int(item, what);
      } else {
        first = core::parse_int(item.substr(0, dash), what);
        last = core::parse_int(item.substr(dash + 1), what);
      }
    } catch (const UsageError&) {
      throw bad("'" + item + "' is not a seed or a range A-B");
    }
    if (first < 0 || last < 0) throw bad("seeds must be >= 0");
    if (last < first) throw bad("range " + item + " is empty");
    if (last - first >= 100000) throw bad("range " + item + " is too long");
    for (std::int64_t offset = 0; offset <= last - first; ++offset) {  // no overflow at INT64_MAX
      const std::int64_t seed = first + offset;
      if (!seen.insert(seed).second) throw bad("seed " + std::to_string(seed) + " is given twice");
      seeds.push_back(seed);
    }
  }
  return seeds;
}

std::int64_t parse_slurm_time(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return UsageError(what + " = '" + text + "' is not a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)");
  };
  std::string value = core::trim(text);
  if (value.empty() || value.find_first_not_of("0123456789:-") != std::string::npos) throw bad();
  std::int64_t days = 0;
  std::string rest = value;
  auto dash = value.find('-');
  if (dash != std::string::npos) {
    if (dash == 0 || dash + 1 == value.size()) throw bad();
    days = core::parse_int(value.substr(0, dash), what);
    rest = value.substr(dash + 1);
  }
  std::vector<std::int64_t> parts;
  for (const std::string& part : core::split(rest, ':')) {
    if (part.empty() || part.find('-') != std::string::npos) throw bad();
    parts.push_back(core::parse_int(part, what));
  }
  if (parts.size() > 3) throw bad();
  // Bounds that keep the arithmetic below far from overflow (1000 years, 10^9 of a unit).
  if (days > 365000) throw bad();
  for (std::int64_t part : parts) {
    if (part > 1000000000) throw bad();
  }
  if (dash != std::string::npos) {  // D-HH[:MM[:SS]]
    std::int64_t seconds = days * 86400 + parts[0] * 3600;
    if (parts.size() > 1) seconds += parts[1] * 60;
    if (parts.size() > 2) seconds += parts[2];
    return seconds;
  }
  if (parts.size() == 1) return parts[0] * 60;                               // MM
  if (parts.size() == 2) return parts[0] * 60 + parts[1];                    // MM:SS
  return parts[0] * 3600 + parts[1] * 60 + parts[2];                         // HH:MM:SS
}

Study load_study(const fs::path& path) {
  Study study;
  study.file = fs::absolute(path).lexically_normal();
  const std::string file = path.string();
  const fs::path folder = study.file.parent_path();
  std::vector<Section> sections = parse_sections(path, file);

  const Section* study_section = nullptr;
  std::vector<const Section*> arm_sections;
  for (const Section& section : sections) {
    if (section.name == "study") {
      study_section = &section;
    } else if (section.name == "local") {
      auto values = checked_entries(section, kLocalKeys, file);
      if (auto jobs = values.find("jobs"); jobs != values.end() && !jobs->second.value.empty()) {
        study.local.jobs = positive_int(file, jobs->second, "[local] jobs", 1);
      }
    } else if (section.name == "slurm") {
      auto values = checked_entries(section, kSlurmKeys, file);
      SlurmSettings& slurm = study.slurm;
      for (const auto& [key, entry] : values) {
        const std::string name = "[slurm] " + key;
        if (entry.value.empty()) continue;  // `key =`: the default
        if (key == "partition") slurm.partition = single_word(file, entry, name);
        if (key == "account") slurm.account = single_word(file, entry, name);
        if (key == "time") {
          slurm.time = single_word(file, entry, name);
          parse_slurm_time(slurm.time, located(file, entry, name));
        }
        if (key == "cpus_per_task") slurm.cpus_per_task = positive_int(file, entry, name, 1);
        if (key == "ranks_per_run") slurm.ranks_per_run = positive_int(file, entry, name, 1);
        if (key == "throttle") slurm.throttle = positive_int(file, entry, name, 0);
        if (key == "signal_margin") slurm.signal_margin = positive_int(file, entry, name, 0);
        if (key == "extra") {
          for (const std::string& raw : core::split(entry.value, ';')) {
            std::string option = core::trim(raw);
            if (option.empty()) continue;
            if (option.front() != '-') {
              throw UsageError(located(file, entry, name) + ": '" + option + "' is not an sbatch option (--name=value)");
            }
            slurm.extra.push_back(option);
          }
        }
      }
    } else {
      arm_sections.push_back(&section);
    }
  }
  if (study_section == nullptr) throw UsageError(file + ": no [study] section (it needs base, seeds and out)");
  auto values = checked_entries(*study_section, kStudyKeys, file);
  auto required = [&](const std::string& key) -> const Entry& {
    auto found = values.find(key);
    if (found == values.end() || found->second.value.empty()) {
      throw UsageError(file + ": [study] " + key + " is not set");
    }
    return found->second;
  };

  study.name = study.file.stem().string();
  if (auto name = values.find("name"); name != values.end() && !name->second.value.empty()) {
    if (!valid_arm_name(name->second.value)) {
      throw UsageError(located(file, name->second, "[study] name") + " = '" + name->second.value +
                       "' must be letters, digits, '_', '-', '+', '.'");
    }
    study.name = name->second.value;
  }

  const Entry& base = required("base");
  study.base = resolve(folder, base.value);
  std::error_code error;
  if (!fs::is_regular_file(study.base, error)) {
    throw UsageError(located(file, base, "[study] base") + ": run config " + study.base.string() + " does not exist");
  }
  const Entry& seeds = required("seeds");
  study.seeds = parse_seeds(seeds.value, located(file, seeds, "[study] seeds"));
  study.out = resolve(folder, required("out").value);
  if (auto report = values.find("report"); report != values.end()) {
    study.report = parse_bool(file, report->second, "[study] report");
  }

  std::vector<Arm> declared;
  for (const Section* section : arm_sections) declared.push_back(parse_arm(*section, file));
  std::vector<std::string> declared_names;
  for (const Arm& arm : declared) declared_names.push_back(arm.name);

  auto arms = values.find("arms");
  if (arms == values.end() || arms->second.value.empty()) {
    study.arms = declared;
  } else {
    std::set<std::string> chosen;
    for (const std::string& raw : core::split(arms->second.value, ',')) {
      std::string name = core::trim(raw);
      const std::string where = located(file, arms->second, "[study] arms");
      if (name.empty()) throw UsageError(where + " = '" + arms->second.value + "' has an empty item");
      auto found = std::find(declared_names.begin(), declared_names.end(), name);
      if (found == declared_names.end()) {
        throw UsageError(where + ": no section [arm." + name + "]" +
                         (declared_names.empty() ? std::string()
                                                 : "; did you mean " + core::nearest(name, declared_names) + "?"));
      }
      if (!chosen.insert(name).second) throw UsageError(where + ": arm " + name + " is listed twice");
      study.arms.push_back(declared[static_cast<std::size_t>(found - declared_names.begin())]);
    }
  }
  if (study.arms.empty()) throw UsageError(file + ": the study has no arms; add [arm.NAME] sections");
  return study;
}

std::vector<StudyRun> expand(const Study& study) {
  std::vector<StudyRun> runs;
  for (const Arm& arm : study.arms) {
    for (std::int64_t seed : study.seeds) {
      StudyRun run{arm.name, seed, study.out / arm.name / ("seed-" + std::to_string(seed)), arm.overrides};
      run.overrides.push_back("run.seed=" + std::to_string(seed));
      run.overrides.push_back("run.name=" + arm.name);
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

std::vector<std::string> train_arguments(const Study& study, const StudyRun& run) {
  std::vector<std::string> words = {"train", "--config", study.base.string()};
  for (const std::string& assignment : run.overrides) {
    words.push_back("--set");
    words.push_back(assignment);
  }
  words.insert(words.end(), {"--run-dir", run.run_dir.string(), "--resume", "auto"});
  return words;
}

std::string shell_command(const std::vector<std::string>& words) {
  std::vector<std::string> quoted;
  for (const std::string& word : words) quoted.push_back(core::shell_quote(word));
  return core::join(quoted, " ");
}

}  // namespace curvtrack::sweep
