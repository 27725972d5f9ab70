// Dataset specs and split names: text handling only, no tensor work.
#include <algorithm>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/dataset.hpp"

namespace curvtrack::data {
namespace {

const std::vector<std::string> kNamed = {"fashion-mnist", "mnist", "kmnist"};

std::string accepted_forms() {
  return "accepted: fashion-mnist, mnist, kmnist (folder /usr/share/datasets/NAME), "
         "NAME:/path/to/folder, or idx:/path/to/folder (fashion-mnist normalisation)";
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
  bool named = std::find(kNamed.begin(), kNamed.end(), name) != kNamed.end();
  if (!named && name != "idx") {
    std::vector<std::string> names = kNamed;
    names.push_back("idx");
    throw core::UsageError("unknown dataset '" + name + "' in data spec '" + spec +
                           "' (did you mean " + core::nearest(name, names) + "?); " +
                           accepted_forms());
  }
  if (colon == std::string::npos) {
    if (!named) throw core::UsageError("data spec '" + spec + "' needs a folder; " + accepted_forms());
    return {name, default_dataset_root(name)};
  }
  std::string root = text.substr(colon + 1);
  if (root.empty()) {
    throw core::UsageError("data spec '" + spec + "' has an empty folder; " + accepted_forms());
  }
  return {name, root};
}

}  // namespace curvtrack::data
