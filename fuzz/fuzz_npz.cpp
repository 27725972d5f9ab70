// ZipArchive on raw bytes, then parse_npy on every member it accepts: a member read back has the
// size its directory entry declares, and reading it twice gives the same bytes.
#include <memory>

#include "curvtrack/core/npy.hpp"
#include "curvtrack/core/zip_archive.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  std::unique_ptr<core::ZipArchive> archive;
  if (!fuzz::expect_rejections([&] { archive = std::make_unique<core::ZipArchive>(fuzz::as_string(data, size), "fuzz.npz"); })) {
    return 0;
  }
  for (const core::ZipMember& member : archive->members()) {
    FUZZ_CHECK(archive->find(member.name) == &member);
    std::string bytes;
    if (!fuzz::expect_rejections([&] { bytes = archive->read(member.name); })) continue;
    FUZZ_CHECK(bytes.size() == member.size);
    FUZZ_CHECK(archive->read(member.name) == bytes);
    fuzz::expect_rejections([&] { core::parse_npy(bytes, "fuzz.npz: " + member.name); });
  }
  return 0;
}
