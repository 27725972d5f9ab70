// Malformed-input table (malformed_table.hpp), data files: IDX and CIFAR files, dataset and
// probe specs. Exit 3 naming the file (2 for a bad spec), nothing written.

#include "test_prelude.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include "malformed_inputs.hpp"

using namespace curvtrack::testing;
namespace fs = std::filesystem;

namespace {

std::vector<Case> data_cases() {
  return {
      {"IDX images file truncated", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 10 * 784 - 100)), c.dir); },
       3, {kImages, "truncated"}},
      {"IDX images file with the wrong magic", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7840, 0x08, 0x1A)), c.dir); },
       3, {kImages, "0x1A"}},
      {"IDX images file empty", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, ""), c.dir); },
       3, {kImages, "truncated"}},
      {"IDX images file with trailing bytes", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7845)), c.dir); },
       3, {kImages, "5 trailing bytes"}},
      {"IDX images of element type float (0x0D)", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 4 * 7840, 0x0D)), c.dir); },
       3, {kImages, "0x0D"}},
      {"IDX images that are 2-D", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 784}, 7840)), c.dir); },
       3, {kImages, "2-D"}},
      {"IDX header with an absurd dimension", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({0xFFFFFFFF, 28, 28}, 10)), c.dir); },
       3, {kImages, "2^31"}},
      {"wrong label count (9 labels for 10 images)", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7840), idx_bytes({9}, 9)), c.dir); },
       3, {kImages, kLabels, "9 labels"}},
      {"label outside the 10 classes", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7840), idx_bytes({10}, 10, 0x08, 0, 12)), c.dir); },
       3, {kLabels, "label 12"}},
      {"gzip-compressed IDX truncated", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         std::string packed = gzip(idx_bytes({10, 28, 28}, 7840, 0x08, 0, 7));
         write(folder / (std::string(kImages) + ".gz"), packed.substr(0, packed.size() / 2));
         return spectrum_on(folder, c.dir);
       }, 3, {std::string(kImages) + ".gz", "truncated"}},
      {"gzip-compressed IDX with trailing garbage", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         write(folder / (std::string(kImages) + ".gz"), gzip(idx_bytes({10, 28, 28}, 7840)) + "garbage");
         return spectrum_on(folder, c.dir);
       }, 3, {std::string(kImages) + ".gz", "trailing garbage"}},
      {"images file is a folder", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         fs::create_directory(folder / kImages);
         return spectrum_on(folder, c.dir);
       }, 3, {std::string("fashion/") + kImages}},
      {"images file unreadable (I/O error)", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         fs::create_symlink("/proc/self/mem", folder / kImages);  // reads fail with EIO, even for root
         return spectrum_on(folder, c.dir);
       }, 3, {kImages, "Input/output error"}},
      {"dataset folder missing", [](CaseDir& c) { return spectrum(c.dir, "fashion-mnist:" + (c.dir / "nowhere").string()); },
       3, {"nowhere", "--data"}},
      {"CIFAR-10 batch truncated", [](CaseDir& c) {
         fs::create_directories(c.dir / "cifar");
         write(c.dir / "cifar" / "test_batch.bin", std::string(3073 * 3 - 100, '\0'));
         return spectrum(c.dir, "cifar10:" + (c.dir / "cifar").string(), {}, "mlp:3072-4-10:tanh");
       }, 3, {"test_batch.bin", "3073"}},
      {"unknown dataset name", [](CaseDir& c) { return spectrum(c.dir, "fashon-mnist:" + c.dir.string()); },
       2, {"fashon-mnist", "did you mean fashion-mnist"}},
      {"synthetic dataset with 0 classes", [](CaseDir& c) { return spectrum(c.dir, "gmm:64:0:4:1"); },
       2, {"gmm:64:0:4:1", "CLASSES 0"}},
      {"probe set larger than its split", [](CaseDir& c) {
         return spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string(), {}, "mlp:784-4-10:tanh", "test:first:11");
       }, 2, {"11", "10"}},
      {"probe spec malformed", [](CaseDir& c) {
         return spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string(), {}, "mlp:784-4-10:tanh", "test:firs:4");
       }, 2, {"test:firs:4", "firs"}},
  };
}

const bool registered = register_table("data files", data_cases);

}  // namespace

TEST_CASE("malformed data files exit 3 (or 2 for bad specs) naming the file, with nothing written", "[integration]") {
  run_table("data files", data_cases());
}
