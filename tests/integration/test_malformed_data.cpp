// Malformed-input table (malformed_table.hpp), data files: IDX and CIFAR files, users' tensor
// files (.npz and .npy), dataset and probe specs. Exit 3 naming the file (2 for a bad spec or a
// setting that cannot work), nothing written.

#include "test_prelude.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "curvtrack/core/npy.hpp"
#include "malformed_inputs.hpp"

using namespace curvtrack::testing;
namespace fs = std::filesystem;

namespace {

// numpy-written files (tests/fixtures/npy/make_npy.py): x [4, 3] float32, y [4] int64 in 0..2.
const fs::path kNpy = fs::path(CURVTRACK_SOURCE_DIR) / "tests" / "fixtures" / "npy";
const char* const kTensorModel = "mlp:3-4-3:tanh";

// An .npy of `descr` and `shape` holding `payload` zero bytes.
std::string npy_zeros(const std::string& descr, const std::vector<std::int64_t>& shape, std::size_t payload) {
  return curvtrack::core::npy_header(descr, shape) + std::string(payload, '\0');
}

// A copy of a fixture in the row's folder, changed by `edit`.
fs::path edited_fixture(CaseDir& c, const std::string& name, const std::function<void(std::string&)>& edit) {
  std::string bytes = slurp(kNpy / name);
  REQUIRE(!bytes.empty());
  edit(bytes);
  write(c.dir / name, bytes);
  return c.dir / name;
}

std::vector<std::string> tensors_spectrum(CaseDir& c, const std::string& files, const std::string& model = kTensorModel,
                                          const std::string& probe = "train:all") {
  return spectrum(c.dir, "tensors:" + files, {}, model, probe);
}

// spectrum on the pair X.npy,Y.npy written from these bytes.
std::vector<std::string> tensors_pair(CaseDir& c, const std::string& x, const std::string& y) {
  write(c.dir / "x.npy", x);
  write(c.dir / "y.npy", y);
  return tensors_spectrum(c, (c.dir / "x.npy").string() + "," + (c.dir / "y.npy").string());
}

// train on the fixture .npz, with the fixture pair as its held-out file unless `extra` says otherwise.
std::vector<std::string> tensors_train(CaseDir& c, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--set", "data.dataset=tensors:" + (kNpy / "dataset_stored.npz").string(), "--set",
                                   std::string("model.spec=") + kTensorModel, "--set", "data.batch_size=2"};
  args.insert(args.end(), extra.begin(), extra.end());
  return train_with(c, kRunnable, args);
}

const std::string kPairTest = "data.test_dataset=tensors:" + (kNpy / "dataset_x.npy").string() + "," +
                              (kNpy / "dataset_y.npy").string();

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
      {"tensors .npz without an array x", [](CaseDir& c) { return tensors_spectrum(c, (kNpy / "no_x.npz").string()); },
       3, {"no_x.npz", "no array x", "inputs, y"}},
      {"tensors x of dtype int64", [](CaseDir& c) { return tensors_pair(c, npy_zeros("<i8", {4, 3}, 96), slurp(kNpy / "dataset_y.npy")); },
       3, {"x.npy", "int64 [4, 3]"}},
      {"tensors y of dtype bool", [](CaseDir& c) { return tensors_pair(c, slurp(kNpy / "dataset_x.npy"), npy_zeros("|b1", {4}, 4)); },
       3, {"y.npy", "bool [4]"}},
      {"tensors x and y with different N", [](CaseDir& c) { return tensors_pair(c, slurp(kNpy / "dataset_x.npy"), npy_zeros("<i8", {3}, 24)); },
       3, {"x.npy", "y.npy", "4 examples", "holds 3"}},
      {"tensors x with a NaN", [](CaseDir& c) {
         std::string x = npy_zeros("<f4", {4, 3}, 48);
         x.replace(x.size() - 8, 4, "\x00\x00\xc0\x7f", 4);  // float32 NaN at example 3
         return tensors_pair(c, x, slurp(kNpy / "dataset_y.npy"));
       }, 3, {"x.npy", "nan", "example 3"}},
      {"tensors x in Fortran order", [](CaseDir& c) { return tensors_pair(c, slurp(kNpy / "fortran_2x3.npy"), slurp(kNpy / "dataset_y.npy")); },
       3, {"x.npy", "Fortran order"}},
      {"tensors .npz truncated", [](CaseDir& c) {
         return tensors_spectrum(c, edited_fixture(c, "dataset_deflated.npz", [](std::string& b) { b.resize(b.size() / 2); }).string());
       }, 3, {"dataset_deflated.npz", "truncated"}},
      {"tensors .npz member with a damaged deflate stream", [](CaseDir& c) {
         // The central directory intact, 60 bytes of x.npy's deflate stream zeroed.
         return tensors_spectrum(c, edited_fixture(c, "dataset_deflated.npz", [](std::string& b) {
           std::fill(b.begin() + 60, b.begin() + 120, '\0');
         }).string());
       }, 3, {"dataset_deflated.npz", "x.npy"}},
      {"tensors .npz with a wrong CRC", [](CaseDir& c) {
         return tensors_spectrum(c, edited_fixture(c, "dataset_stored.npz", [](std::string& b) { b[b.find("NUMPY") + 140] ^= 1; }).string());
       }, 3, {"dataset_stored.npz", "x.npy", "CRC-32"}},
      {"tensors .npz that is an .npy", [](CaseDir& c) { return tensors_spectrum(c, (kNpy / "dataset_x.npy").string()); },
       3, {"dataset_x.npy", "single .npy file"}},
      {"tensors labels beyond the model's outputs", [](CaseDir& c) {
         return tensors_spectrum(c, (kNpy / "dataset_stored.npz").string(), "mlp:3-4-2:tanh");
       }, 3, {"dataset_stored.npz", "y has shape [4]", "the model outputs [2, 2]"}},
      {"tensors targets wider than the model's outputs", [](CaseDir& c) {
         return tensors_spectrum(c, (kNpy / "dataset_targets.npz").string());
       }, 3, {"dataset_targets.npz", "y has shape [4, 2]", "the model outputs [2, 3]"}},
      {"tensors file probed for a test split", [](CaseDir& c) {
         return tensors_spectrum(c, (kNpy / "dataset_stored.npz").string(), kTensorModel, "test:all");
       }, 2, {"tensors:", "no test split", "train:"}},
      {"tensors training without data.test_dataset", [](CaseDir& c) { return tensors_train(c, {}); },
       2, {"data.test_dataset", "dataset_stored.npz"}},
      {"tensors held-out file of another example shape", [](CaseDir& c) {
         write(c.dir / "wide.npy", npy_zeros("<f4", {4, 5}, 80));
         return tensors_train(c, {"--set", "data.test_dataset=tensors:" + (c.dir / "wide.npy").string() + "," +
                                               (kNpy / "dataset_y.npy").string()});
       }, 3, {"data.test_dataset", "wide.npy", "[5]", "[3]"}},
      {"tensors augmentation of inputs that are not images", [](CaseDir& c) {
         return tensors_train(c, {"--set", kPairTest, "--set", "data.augment=crop"});
       }, 2, {"data.augment", "[4, 3]"}},
      {"data.test_dataset for a dataset with its own test split", [](CaseDir& c) {
         return train_with(c, kRunnable, {"--set", kPairTest});
       }, 2, {"data.test_dataset", "gmm:256:4:4:1"}},
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
