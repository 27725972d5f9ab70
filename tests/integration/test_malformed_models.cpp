// Malformed-input table (malformed_table.hpp), models: model files, native specs, weights.
// Exit 3 naming the model (2 for a bad spec), nothing written.

#include "test_prelude.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include "malformed_inputs.hpp"

using namespace curvtrack::testing;
namespace fs = std::filesystem;

namespace {

// train (or lrfind) of `model` on a Fashion-MNIST-style folder with 10 train and 10 test examples.
std::vector<std::string> train_model(CaseDir& c, const std::string& model, std::vector<std::string> extra = {},
                                     const std::string& command = "train") {
  fs::path folder = fashion_folder(c.dir);
  fs::copy_file(folder / kImages, folder / "train-images-idx3-ubyte");
  fs::copy_file(folder / kLabels, folder / "train-labels-idx1-ubyte");
  write(c.dir / "run.ini", kRunnable);
  std::vector<std::string> args = {command, "--config", (c.dir / "run.ini").string(), "--quiet", "--threads", "1",
                                   "--set", "data.dataset=fashion-mnist:" + folder.string(), "--set", "data.batch_size=5",
                                   "--set", "model.spec=" + model};
  if (command == "train") args.insert(args.end(), {"--run-dir", (c.dir / "run").string()});
  if (command == "lrfind") args.insert(args.end(), {"--out", (c.dir / "lrfind").string()});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<Case> model_cases() {
  return {
      {"model file missing", [](CaseDir& c) { return model_spectrum(c, (c.dir / "missing.pt").string()); },
       3, {"missing.pt"}},
      {"model file not TorchScript (text)", [](CaseDir& c) {
         write(c.dir / "text.pt", "this is not a model\n");
         return model_spectrum(c, (c.dir / "text.pt").string());
       }, 3, {"text.pt", "not a ZIP archive"}},
      {"model file truncated", [](CaseDir& c) {
         std::string bytes = slurp(fixture_model("mlp_784_16_10_tanh.pt"));
         write(c.dir / "half.pt", bytes.substr(0, bytes.size() / 2));
         return model_spectrum(c, (c.dir / "half.pt").string());
       }, 3, {"half.pt"}},
      {"model path is a folder", [](CaseDir& c) {
         fs::create_directory(c.dir / "folder.pt");
         return model_spectrum(c, (c.dir / "folder.pt").string());
       }, 3, {"folder.pt"}},
      {"model with NaN weights", [](CaseDir& c) { return model_spectrum(c, fixture_model("nan_weights.pt")); },
       3, {"nan_weights.pt", "non-finite"}},
      {"model with an Inf weight", [](CaseDir& c) { return model_spectrum(c, shared().inf_model.string()); },
       3, {"inf_weights.pt", "non-finite", "1 NaN or Inf", "net.1.weight"}},
      {"model with the wrong output shape", [](CaseDir& c) { return model_spectrum(c, fixture_model("wrong_output_shape.pt")); },
       3, {"wrong_output_shape.pt", "[2, 10, 1]", "[2, 10]"}},
      {"model for other inputs than the data", [](CaseDir& c) {
         return spectrum(c.dir, "gmm:64:10:4:1", {}, fixture_model("mlp_784_16_10_tanh.pt"));
       }, 3, {"mlp_784_16_10_tanh.pt", "[2, 1, 4, 4]", "mat1 and mat2 shapes cannot be multiplied (2x16 and 784x16)"}},
      {"model without parameters", [](CaseDir& c) { return model_spectrum(c, shared().no_parameters.string()); },
       2, {"0 parameters"}},
      {"native model spec malformed", [](CaseDir& c) { return model_spectrum(c, "mlp:784-x-10"); },
       2, {"mlp:784-x-10", "'x'"}},
      {"weights file missing", [](CaseDir& c) {
         auto args = model_spectrum(c, "mlp:784-16-10:tanh");
         args.insert(args.end(), {"--weights", (c.dir / "missing-weights.pt").string()});
         return args;
       }, 3, {"missing-weights.pt"}},
      {"weights file not a weights file", [](CaseDir& c) {
         write(c.dir / "weights.pt", std::string(100, '\x07'));
         auto args = model_spectrum(c, "mlp:784-16-10:tanh");
         args.insert(args.end(), {"--weights", (c.dir / "weights.pt").string()});
         return args;
       }, 3, {"weights.pt"}},
      {"top-k not below the parameter count", [](CaseDir& c) {
         auto args = model_spectrum(c, "mlp:784-1-10");  // 784 + 1 + 10 + 10 = 805 parameters
         *(std::find(args.begin(), args.end(), "--top-k") + 1) = "805";
         return args;
       }, 2, {"--top-k 805", "805 parameters"}},
      // Models that cannot be differentiated: checked once, before any work, exit 3 naming the
      // model and what is wrong (no raw autograd message, no LibTorch backtrace).
      {"TorchScript model whose forward detaches its output (spectrum)", [](CaseDir& c) {
         return model_spectrum(c, fixture_model("detached_output.pt"));
       }, 3, {"detached_output.pt", "cannot be differentiated", "autograd graph"}},
      {"TorchScript model whose forward detaches its output (train)", [](CaseDir& c) {
         return train_model(c, fixture_model("detached_output.pt"));
       }, 3, {"detached_output.pt", "cannot be differentiated"}},
      {"TorchScript model whose forward detaches its output (lrfind)", [](CaseDir& c) {
         return train_model(c, fixture_model("detached_output.pt"), {}, "lrfind");
       }, 3, {"detached_output.pt", "cannot be differentiated"}},
      {"TorchScript model computing its output under no_grad", [](CaseDir& c) {
         return model_spectrum(c, fixture_model("no_grad_forward.pt"));
       }, 3, {"no_grad_forward.pt", "cannot be differentiated", "no_grad"}},
      {"TorchScript model without a second-order graph (spectrum)", [](CaseDir& c) {
         return model_spectrum(c, fixture_model("cdist_prototypes.pt"));
       }, 3, {"cdist_prototypes.pt", "no second-order graph", "_cdist_backward", "Hessian-vector products"}},
      {"TorchScript model without a second-order graph (train with curvature probes)", [](CaseDir& c) {
         return train_model(c, fixture_model("cdist_prototypes.pt"),
                            {"--set", "curvature.at=end", "--set", "curvature.probe=train:first:4",
                             "--set", "curvature.test_probe=none"});
       }, 3, {"cdist_prototypes.pt", "no second-order graph"}},
      // Native specs whose parameters alone exceed half of the memory: refused before allocating.
      {"native MLP spec of 10^8 units", [](CaseDir& c) { return model_spectrum(c, "mlp:784-100000000-10:tanh"); },
       2, {"mlp:784-100000000-10:tanh", "79500000010 parameters", "bytes", "half of this machine's memory"}},
      {"native CNN spec of 10^6 channels", [](CaseDir& c) { return model_spectrum(c, "cnn:1000000-1000000:relu"); },
       2, {"cnn:1000000-1000000:relu", "bytes", "half of this machine's memory"}},
      {"native ResNet spec of width 10^6", [](CaseDir& c) { return model_spectrum(c, "resnet:8:w1000000:in=1:side=28"); },
       2, {"resnet:8:w1000000:in=1:side=28", "bytes", "half of this machine's memory"}},
      {"native spec too large for memory (train)", [](CaseDir& c) { return train_model(c, "mlp:784-100000000-10:tanh"); },
       2, {"mlp:784-100000000-10:tanh", "half of this machine's memory"}},
  };
}

const bool registered = register_table("models", model_cases);

}  // namespace

TEST_CASE("malformed models exit 3 (or 2 for bad specs) naming the model, with nothing written", "[integration]") {
  run_table("models", model_cases());
}
