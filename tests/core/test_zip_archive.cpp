// Zip reading against .npz files numpy wrote (np.savez: stored, np.savez_compressed: deflated,
// both with ZIP64 fields in their local headers), archives built here for what numpy writes
// only for huge arrays (ZIP64 directory and end records), and damaged copies of both.
#include "test_prelude.hpp"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/npy.hpp"
#include "curvtrack/core/zip_archive.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;
using Catch::Matchers::Contains;
using curvtrack::testing::slurp;

namespace {

const fs::path kFixtures = fs::path(CURVTRACK_SOURCE_DIR) / "tests" / "fixtures" / "npy";

void put(std::string& bytes, std::size_t at, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}
std::string le(std::uint64_t value, std::size_t width) {
  std::string out(width, '\0');
  put(out, 0, value, width);
  return out;
}

std::string raw_deflate(const std::string& data) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

struct Entry {
  std::string name;
  std::string data;
  bool deflate = false;
};

// A zip archive whose central directory gives every size and offset in a ZIP64 field (32-bit
// fields 0xFFFFFFFF) and whose end record is the ZIP64 one, as zip writers do for huge members.
std::string zip64_archive(const std::vector<Entry>& entries, const std::string& comment) {
  std::string archive, directory;
  for (const Entry& entry : entries) {
    const std::string stored = entry.deflate ? raw_deflate(entry.data) : entry.data;
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(entry.data.data()), static_cast<uInt>(entry.data.size())));
    const std::uint64_t offset = archive.size();
    const std::uint16_t method = entry.deflate ? 8 : 0;
    archive += le(0x04034b50, 4) + le(45, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(crc, 4) +
               le(stored.size(), 4) + le(entry.data.size(), 4) + le(entry.name.size(), 2) + le(0, 2) + entry.name + stored;
    const std::string extra = le(1, 2) + le(24, 2) + le(entry.data.size(), 8) + le(stored.size(), 8) + le(offset, 8);
    directory += le(0x02014b50, 4) + le(45, 2) + le(45, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(crc, 4) +
                 le(0xFFFFFFFF, 4) + le(0xFFFFFFFF, 4) + le(entry.name.size(), 2) + le(extra.size(), 2) + le(0, 2) +
                 le(0, 2) + le(0, 2) + le(0, 4) + le(0xFFFFFFFF, 4) + entry.name + extra;
  }
  const std::uint64_t directory_offset = archive.size();
  archive += directory;
  const std::uint64_t zip64_end = archive.size();
  archive += le(0x06064b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) + le(entries.size(), 8) +
             le(entries.size(), 8) + le(directory.size(), 8) + le(directory_offset, 8);
  archive += le(0x07064b50, 4) + le(0, 4) + le(zip64_end, 8) + le(1, 4);
  archive += le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFFFFFF, 4) +
             le(0xFFFFFFFF, 4) + le(comment.size(), 2) + comment;
  return archive;
}

// Offset of the `k`-th central directory entry ("PK\1\2") of an archive.
std::size_t central_entry(const std::string& archive, int k) {
  std::size_t at = 0;
  for (int i = 0; i <= k; ++i) {
    at = archive.find(std::string("PK\x01\x02", 4), i == 0 ? 0 : at + 4);
    REQUIRE(at != std::string::npos);
  }
  return at;
}

// Reads both members; DataError propagates.
void read_all(const std::string& bytes) {
  ZipArchive archive(bytes, "cut.npz");
  for (const ZipMember& member : archive.members()) archive.read(member.name);
}

const std::string kStored = slurp(kFixtures / "dataset_stored.npz");
const std::string kDeflated = slurp(kFixtures / "dataset_deflated.npz");

}  // namespace

TEST_CASE("ZipArchive reads numpy's savez and savez_compressed members identically", "[unit]") {
  REQUIRE(looks_like_zip(kStored));
  const ZipArchive stored(kStored, "dataset_stored.npz");
  const ZipArchive deflated(kDeflated, "dataset_deflated.npz");
  REQUIRE(stored.members().size() == 2);
  CHECK(stored.members()[0].name == "x.npy");
  CHECK(stored.members()[1].name == "y.npy");
  CHECK(stored.members()[0].method == 0);
  CHECK(deflated.members()[0].method == 8);
  for (const char* member : {"x.npy", "y.npy"}) {
    INFO(member);
    CHECK(stored.read(member) == deflated.read(member));
  }
  // The members are numpy's own .npy files: x[i, j] = i + j / 10 (float32), y[i] = i % 3.
  const NpyArray x = parse_npy(deflated.read("x.npy"), "x.npy");
  REQUIRE(x.shape == std::vector<std::int64_t>{4, 3});
  std::vector<float> values(12);
  std::memcpy(values.data(), x.payload().data(), 48);
  CHECK(values[7] == static_cast<float>(2 + 1 / 10.0));
  const NpyArray y = parse_npy(stored.read("y.npy"), "y.npy");
  std::vector<std::int64_t> labels(4);
  std::memcpy(labels.data(), y.payload().data(), 32);
  CHECK(labels == std::vector<std::int64_t>{0, 1, 2, 0});
  CHECK(stored.find("z.npy") == nullptr);
  CHECK_THROWS_WITH(stored.read("z.npy"), Contains("dataset_stored.npz") && Contains("no member z.npy"));
}

TEST_CASE("ZipArchive reads ZIP64 directory entries and end records, with a comment", "[unit]") {
  const std::string big(70000, 'a');
  const std::string archive = zip64_archive({{"x.npy", "stored bytes"}, {"y.npy", big + "tail", true}}, "a comment");
  const ZipArchive zip(archive, "zip64.npz");
  REQUIRE(zip.members().size() == 2);
  CHECK(zip.members()[1].size == big.size() + 4);
  CHECK(zip.read("x.npy") == "stored bytes");
  CHECK(zip.read("y.npy") == big + "tail");
}

TEST_CASE("ZipArchive refuses damaged archives with a message naming the file and member", "[unit]") {
  const std::size_t x_entry = central_entry(kDeflated, 0);
  auto with = [](std::string bytes, std::size_t at, std::uint64_t value, std::size_t width) {
    put(bytes, at, value, width);
    return bytes;
  };
  struct Row {
    std::string what, bytes, says;
  };
  std::string flipped = kStored;
  flipped[kStored.find("NUMPY") + 140] ^= 0x01;  // one bit of x's payload (bytes 184..231)
  std::string duplicate = kStored;
  duplicate[central_entry(kStored, 1) + 46] = 'x';  // y.npy renamed x.npy in the directory
  const std::vector<Row> rows = {
      {"not a zip", "hello, this is not an archive at all", "not a zip archive"},
      {"empty", "", "too short"},
      {"bad CRC", flipped, "x.npy is corrupt: its bytes have CRC-32"},
      {"method 12 (bzip2)", with(kDeflated, x_entry + 10, 12, 2), "x.npy uses compression method 12"},
      {"encrypted", with(kDeflated, x_entry + 8, 1, 2), "x.npy is encrypted"},
      {"absurd declared size", with(kDeflated, x_entry + 24, 0xFFFFFFF0, 4), "beyond what deflate can produce"},
      {"declared size too large", with(kDeflated, x_entry + 24, 177, 4), "ends after 176 of the 177 bytes"},
      {"declared size too small", with(kDeflated, x_entry + 24, 175, 4), "decompresses to more than the 175 bytes"},
      {"local header offset wrong", with(kDeflated, x_entry + 42, 7, 4), "x.npy has no local header at byte 7"},
      {"local header offset past the end", with(kDeflated, x_entry + 42, 0x7FFFFFF0, 4), "truncated"},
      {"duplicate names", duplicate, "two members called x.npy"},
      {"absurd member count", with(kDeflated, kDeflated.size() - 12, 60000, 2), "declares 60000 members"},
      {"multi-disk", with(kDeflated, kDeflated.size() - 18, 1, 2), "multi-disk"},
      {"directory outside the file", with(kDeflated, kDeflated.size() - 6, 0x7FFFFFFF, 4), "central directory"},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    CHECK_THROWS_AS(read_all(row.bytes), DataError);
    CHECK_THROWS_WITH(read_all(row.bytes), Contains("cut.npz") && Contains(row.says));
  }
}

TEST_CASE("ZipArchive refuses every truncation of an .npz and survives every flipped byte", "[unit]") {
  for (const std::string* archive : {&kStored, &kDeflated}) {
    for (std::size_t size = 0; size < archive->size(); ++size) {
      INFO(size);
      CHECK_THROWS_AS(read_all(archive->substr(0, size)), DataError);
    }
    // A flipped byte is either harmless (a timestamp, padding) or a DataError; never a crash.
    std::size_t refused = 0;
    for (std::size_t at = 0; at < archive->size(); ++at) {
      std::string damaged = *archive;
      damaged[at] = static_cast<char>(~damaged[at]);
      try {
        read_all(damaged);
      } catch (const DataError&) {
        ++refused;
      }
    }
    CHECK(refused > archive->size() / 2);
  }
}
