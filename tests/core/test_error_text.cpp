#include "test_prelude.hpp"

#include <string>

#include "curvtrack/core/errors.hpp"

using curvtrack::core::without_backtrace;

TEST_CASE("without_backtrace keeps the message of a LibTorch error and drops its backtrace", "[unit]") {
  CHECK(without_backtrace("element 0 of tensors does not require grad\nException raised from run_backward at "
                          "torch/csrc/autograd/autograd.cpp:97 (most recent call first):\nframe #0: c10::Error::Error") ==
        "element 0 of tensors does not require grad");
  CHECK(without_backtrace("plain message") == "plain message");
  const std::string script =
      "The following operation failed in the TorchScript interpreter.\nTraceback of TorchScript, serialized code "
      "(most recent call last):\n  File \"code/__torch__.py\", line 10, in forward\n    return (net).forward(x, )\n"
      "            ~~~~~~~~~~~~ <--- HERE\nRuntimeError: mat1 and mat2 shapes cannot be multiplied (2x16 and 784x16)\n";
  CHECK(without_backtrace(script) == "mat1 and mat2 shapes cannot be multiplied (2x16 and 784x16)");
}
