// Dataset specs and split names: text handling only, no tensor work.
#include <algorithm>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/tensors.hpp"

namespace curvtrack::data {
namespace {

// Names that may stand alone (default folder) or take a folder.
const std::vector<std::string> kNamed = {"fashion-mnist", "mnist", "kmnist", "cifar10", "cifar100"};
// Names that need a folder (or, for tensors, files), and the synthetic recipes.
const std::vector<std::string> kFolderOnly = {"idx", "tensors"};
const std::vector<std::string> kSynthetic = {"gmm", "teacher"};

std::string accepted_forms() {
  return "accepted: fashion-mnist, mnist, kmnist, cifar10, cifar100 (folder "
         "/usr/share/datasets/NAME), NAME:/path/to/folder, idx:/path/to/folder (fashion-mnist "
         "normalisation), gmm:N:CLASSES:SIDE:SEED or teacher:N:CLASSES:SIDE:SEED (N, CLASSES, "
         "SIDE >= 1, SEED >= 0), tensors:FILE.npz or tensors:X.npy,Y.npy (your own arrays x and y)";
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::int64_t recipe_field(const std::string& spec, const std::string& field, const char* what,
                          std::int64_t minimum) {
  std::int64_t value = 0;
  try {
    value = core::parse_int(core::trim(field), what);
  } catch (const core::UsageError&) {
    throw core::UsageError("data spec '" + spec + "' has " + what + " '" + field +
                           "', not an integer; " + accepted_forms());
  }
  if (value < minimum) {
    throw core::UsageError("data spec '" + spec + "' has " + what + " " + std::to_string(value) +
                           ", below " + std::to_string(minimum) + "; " + accepted_forms());
  }
  return value;
}

DatasetSpec parse_synthetic(const std::string& spec, const std::string& name,
                            const std::string& fields_text) {
  std::vector<std::string> fields = core::split(fields_text, ':');
  if (fields.size() != 4) {
    throw core::UsageError("data spec '" + spec + "' needs exactly four fields after '" + name +
                           ":' (N:CLASSES:SIDE:SEED), found " + std::to_string(fields.size()) +
                           "; " + accepted_forms());
  }
  DatasetSpec parsed{name, {}};
  parsed.synthetic.n = recipe_field(spec, fields[0], "N", 1);
  parsed.synthetic.classes = recipe_field(spec, fields[1], "CLASSES", 1);
  parsed.synthetic.side = recipe_field(spec, fields[2], "SIDE", 1);
  parsed.synthetic.seed = static_cast<std::uint64_t>(recipe_field(spec, fields[3], "SEED", 0));
  return parsed;
}

}  // namespace

std::string split_name(Split split) { return split == Split::kTrain ? "train" : "test"; }

std::filesystem::path default_dataset_root(const std::string& name) {
  return std::filesystem::path("/usr/share/datasets") / name;
}

DatasetSpec parse_dataset_spec(const std::string& spec) {
  std::string text = core::trim(spec);
  auto colon = text.find(':');
  std::string name = text.substr(0, colon);
  bool named = contains(kNamed, name);
  bool synthetic = contains(kSynthetic, name);
  if (!named && !synthetic && !contains(kFolderOnly, name)) {
    std::vector<std::string> names = kNamed;
    names.insert(names.end(), kFolderOnly.begin(), kFolderOnly.end());
    names.insert(names.end(), kSynthetic.begin(), kSynthetic.end());
    throw core::UsageError("unknown dataset '" + name + "' in data spec '" + spec +
                           "' (did you mean " + core::nearest(name, names) + "?); " +
                           accepted_forms());
  }
  if (colon == std::string::npos) {
    if (synthetic) {
      throw core::UsageError("data spec '" + spec + "' needs N:CLASSES:SIDE:SEED; " +
                             accepted_forms());
    }
    if (!named) {
      throw core::UsageError("data spec '" + spec + "' needs " + (name == "tensors" ? "a file" : "a folder") + "; " +
                             accepted_forms());
    }
    return {name, default_dataset_root(name)};
  }
  std::string rest = text.substr(colon + 1);
  if (synthetic) return parse_synthetic(spec, name, rest);
  if (name == "tensors") {
    DatasetSpec parsed{name, {}};
    parsed.tensors = parse_tensor_files(spec, rest);
    return parsed;
  }
  if (rest.empty()) {
    throw core::UsageError("data spec '" + spec + "' has an empty folder; " + accepted_forms());
  }
  return {name, rest};
}

}  // namespace curvtrack::data
