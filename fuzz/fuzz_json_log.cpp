// runs::read_json_log on the input as curvature.jsonl, then the resume path (JsonLog cutting the
// file back to a step), after which every remaining record must be before that step.
#include "curvtrack/runs/json_log.hpp"
#include "fuzz_common.hpp"

namespace {

constexpr std::int64_t kResumeStep = 8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::string text = fuzz::as_string(data, size);
  const std::filesystem::path path = fuzz::write_scratch("curvature.jsonl", text);

  std::vector<nlohmann::json> records;
  if (fuzz::expect_rejections([&] { records = runs::read_json_log(path); })) {
    for (const nlohmann::json& record : records) {
      FUZZ_CHECK(record.is_object() && record.contains("step") && record.at("step").is_number_integer());
    }
  }

  if (!fuzz::expect_rejections([&] { runs::JsonLog log(path, kResumeStep); })) return 0;
  if (fuzz::expect_rejections([&] { records = runs::read_json_log(path); })) {
    for (const nlohmann::json& record : records) FUZZ_CHECK(record.at("step").get<std::int64_t>() < kResumeStep);
  }
  return 0;
}
