// Reading and writing NumPy .npy files: the header is a Python dict literal, parsed here by a
// small recursive-descent reader of exactly the three keys numpy writes.
#include "curvtrack/core/npy.hpp"

#include <array>
#include <cctype>
#include <limits>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "curvtrack reads and writes little-endian .npy payloads by copying memory: a little-endian host is needed"
#endif

namespace curvtrack::core {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
// The largest array accepted: 2^62 bytes keeps every size computation below overflows.
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 62;

struct TypeInfo {
  NpyType type;
  const char* code;  // kind and size, as in the descr after the byte-order character
  const char* name;
  std::size_t size;
};

constexpr std::array<TypeInfo, 11> kTypes = {{
    {NpyType::kFloat32, "f4", "float32", 4},
    {NpyType::kFloat64, "f8", "float64", 8},
    {NpyType::kInt8, "i1", "int8", 1},
    {NpyType::kInt16, "i2", "int16", 2},
    {NpyType::kInt32, "i4", "int32", 4},
    {NpyType::kInt64, "i8", "int64", 8},
    {NpyType::kUInt8, "u1", "uint8", 1},
    {NpyType::kUInt16, "u2", "uint16", 2},
    {NpyType::kUInt32, "u4", "uint32", 4},
    {NpyType::kUInt64, "u8", "uint64", 8},
    {NpyType::kBool, "b1", "bool", 1},
}};

const TypeInfo& info(NpyType type) {
  for (const TypeInfo& entry : kTypes) {
    if (entry.type == type) return entry;
  }
  throw std::logic_error("unknown NpyType");
}

std::string accepted_types() {
  std::string text;
  for (const TypeInfo& entry : kTypes) text += (text.empty() ? "" : ", ") + std::string(entry.name);
  return text;
}

// The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } and spaces.
class HeaderReader {
 public:
  HeaderReader(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw DataError(name_ + " has a malformed .npy header (" + why + "): " + excerpt());
  }

  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) ++at_;
  }
  bool peek(char c) {
    skip_space();
    return at_ < text_.size() && text_[at_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "' at byte " + std::to_string(at_));
    ++at_;
  }
  bool done() {
    skip_space();
    return at_ == text_.size();
  }

  std::string string_literal() {
    skip_space();
    if (at_ >= text_.size() || (text_[at_] != '\'' && text_[at_] != '"')) {
      fail("expected a quoted string at byte " + std::to_string(at_));
    }
    const char quote = text_[at_++];
    const std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      if (text_[at_] == '\\') fail("escape sequences are not supported");
      ++at_;
    }
    if (at_ >= text_.size()) fail("unterminated string");
    return std::string(text_.substr(start, at_++ - start));
  }

  std::string word() {
    skip_space();
    const std::size_t start = at_;
    while (at_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[at_]))) ++at_;
    return std::string(text_.substr(start, at_ - start));
  }

  std::int64_t dimension() {
    skip_space();
    if (at_ < text_.size() && text_[at_] == '-') fail("negative dimension");
    const std::size_t start = at_;
    std::uint64_t value = 0;
    while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) {
      value = value * 10 + static_cast<std::uint64_t>(text_[at_++] - '0');
      if (value > kMaxBytes) fail("dimension over 2^62");
    }
    if (at_ == start) fail("expected a dimension at byte " + std::to_string(at_));
    if (at_ < text_.size() && text_[at_] == 'L') ++at_;  // Python 2's long suffix
    return static_cast<std::int64_t>(value);
  }

  std::vector<std::int64_t> shape_tuple() {
    expect('(');
    std::vector<std::int64_t> shape;
    while (!peek(')')) {
      shape.push_back(dimension());
      if (peek(',')) {
        ++at_;
      } else if (!peek(')')) {
        fail("expected ',' or ')' in the shape at byte " + std::to_string(at_));
      }
    }
    ++at_;
    return shape;
  }

 private:
  std::string excerpt() const {
    std::string shown;
    for (char c : text_.substr(0, 120)) shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    while (!shown.empty() && shown.back() == ' ') shown.pop_back();
    return shown;
  }
  std::string_view text_;
  const std::string& name_;
  std::size_t at_ = 0;
};

NpyType parse_descr(const std::string& descr, const std::string& name) {
  if (descr.size() == 3) {
    const char order = descr[0];
    const std::string code = descr.substr(1);
    for (const TypeInfo& entry : kTypes) {
      if (code != entry.code) continue;
      if (order == '<' || (order == '|' && entry.size == 1)) return entry.type;
      if (order == '>' && entry.size > 1) {
        throw DataError(name + " holds big-endian " + entry.name + " ('" + descr +
                        "'); curvtrack reads little-endian arrays: save it with a.astype('<" + code + "')");
      }
    }
  }
  throw DataError(name + " has element type '" + descr + "'; curvtrack reads little-endian " + accepted_types());
}

std::uint32_t little_endian(std::string_view bytes, std::size_t at, std::size_t width) {
  std::uint32_t value = 0;
  for (std::size_t i = width; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::string tuple_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

std::size_t npy_type_size(NpyType type) { return info(type).size; }

std::string npy_type_name(NpyType type) { return info(type).name; }

std::string npy_descr(NpyType type) { return (info(type).size == 1 ? "|" : "<") + std::string(info(type).code); }

bool npy_type_is_integer(NpyType type) {
  return type != NpyType::kFloat32 && type != NpyType::kFloat64 && type != NpyType::kBool;
}

std::int64_t NpyArray::elements() const {
  std::int64_t count = 1;
  for (std::int64_t size : shape) count *= size;
  return count;
}

std::string_view NpyArray::payload() const { return std::string_view(bytes).substr(data_offset); }

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

NpyArray parse_npy(std::string bytes, const std::string& name) {
  if (bytes.size() < kMagic.size() + 2 || std::string_view(bytes).substr(0, kMagic.size()) != kMagic) {
    throw DataError(name + " is not an .npy file: it does not start with \\x93NUMPY" +
                    (bytes.size() < 10 ? " (" + std::to_string(bytes.size()) + " bytes)" : std::string()));
  }
  const unsigned major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    throw DataError(name + " has .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                    "; curvtrack reads versions 1.0, 2.0 and 3.0");
  }
  const std::size_t width = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + width) throw DataError(name + " is truncated inside its .npy header");
  const std::uint64_t header_length = little_endian(bytes, 8, width);
  const std::size_t header_start = 8 + width;
  if (bytes.size() - header_start < header_length) {
    throw DataError(name + " is truncated: its .npy header promises " + std::to_string(header_length) +
                    " bytes, found " + std::to_string(bytes.size() - header_start));
  }

  HeaderReader reader(std::string_view(bytes).substr(header_start, header_length), name);
  NpyArray array;
  bool have_descr = false, have_order = false, have_shape = false;
  reader.expect('{');
  while (!reader.peek('}')) {
    const std::string key = reader.string_literal();
    reader.expect(':');
    if (key == "descr" && !have_descr) {
      if (reader.peek('[')) {
        throw DataError(name + " holds a structured array (a list descr); curvtrack reads plain numeric arrays");
      }
      array.type = parse_descr(reader.string_literal(), name);
      have_descr = true;
    } else if (key == "fortran_order" && !have_order) {
      const std::string value = reader.word();
      if (value == "True") {
        throw DataError(name + " is stored in Fortran order (fortran_order: True); curvtrack reads C-order "
                        "arrays: save np.ascontiguousarray(a)");
      }
      if (value != "False") reader.fail("fortran_order is neither True nor False");
      have_order = true;
    } else if (key == "shape" && !have_shape) {
      array.shape = reader.shape_tuple();
      have_shape = true;
    } else {
      reader.fail("unexpected or repeated key '" + key + "'");
    }
    if (reader.peek(',')) {
      reader.expect(',');
    } else if (!reader.peek('}')) {
      reader.fail("expected ',' or '}' after the value of '" + key + "'");
    }
  }
  reader.expect('}');
  if (!reader.done()) reader.fail("text after the closing '}'");
  if (!have_descr || !have_order || !have_shape) {
    reader.fail(std::string("missing key '") + (!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") + "'");
  }

  // Every dimension <= 2^62 and the running byte count checked before each multiplication.
  std::uint64_t expected = npy_type_size(array.type);
  for (std::int64_t size : array.shape) {
    const auto dimension = static_cast<std::uint64_t>(size);
    if (dimension != 0 && expected > kMaxBytes / dimension) {
      throw DataError(name + " declares shape " + shape_text(array.shape) + ", over 2^62 bytes; the header is corrupt");
    }
    expected *= dimension;
  }
  array.data_offset = header_start + header_length;
  const std::uint64_t found = bytes.size() - array.data_offset;
  if (found != expected) {
    throw DataError(name + (found < expected ? " is truncated" : " has trailing bytes") + ": shape " +
                    shape_text(array.shape) + " of " + npy_type_name(array.type) + " needs " +
                    std::to_string(expected) + " bytes of data, found " + std::to_string(found));
  }
  array.bytes = std::move(bytes);
  return array;
}

std::string npy_header(const std::string& descr, const std::vector<std::int64_t>& shape) {
  const std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple_text(shape) + ", }";
  for (std::size_t width : {std::size_t{2}, std::size_t{4}}) {
    const std::size_t prefix = kMagic.size() + 2 + width;
    // Pad with spaces to a multiple of 64, the newline included.
    const std::size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
    const std::size_t length = total - prefix;
    if (length > std::numeric_limits<std::uint32_t>::max()) break;
    if (width == 2 && length > 0xFFFF) continue;
    std::string header(kMagic);
    header += static_cast<char>(width == 2 ? 1 : 2);
    header += '\0';
    for (std::size_t i = 0; i < width; ++i) header += static_cast<char>((length >> (8 * i)) & 0xFF);
    header += dict;
    header.append(length - dict.size() - 1, ' ');
    header += '\n';
    return header;
  }
  throw UsageError("an .npy header for shape " + shape_text(shape) + " would exceed 4 GiB");
}

void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const double* data) {
  std::uint64_t count = 1;
  for (std::int64_t size : shape) {
    if (size < 0) throw UsageError("cannot write " + path.string() + ": negative dimension in shape " + shape_text(shape));
    count *= static_cast<std::uint64_t>(size);
  }
  AtomicFile file(path);
  file.write(npy_header("<f8", shape));
  if (count > 0) file.write(std::string_view(reinterpret_cast<const char*>(data), count * sizeof(double)));
  file.commit();
}

}  // namespace curvtrack::core
