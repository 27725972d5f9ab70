// runs::RunMeta on the input as meta.json: an accepted file is a JSON object, and save() writes
// it so that it loads back equal.
#include "curvtrack/runs/meta.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::filesystem::path path = fuzz::write_scratch("meta.json", fuzz::as_string(data, size));
  nlohmann::json loaded;
  if (!fuzz::expect_rejections([&] { loaded = runs::RunMeta(path).data(); })) return 0;
  FUZZ_CHECK(loaded.is_object());
  fuzz::expect_rejections([&] { runs::RunMeta(path).save(); });
  nlohmann::json again;
  FUZZ_CHECK(fuzz::expect_rejections([&] { again = runs::RunMeta(path).data(); }));
  FUZZ_CHECK(again == loaded);
  return 0;
}
