// tensors: datasets: x and y read from an .npz or a pair of .npy files into tensors, checked
// for shape, type and finiteness, and fitted to the model's output width.
#include "curvtrack/data/tensors.hpp"

#include <ATen/Functions.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/npy.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/core/zip_archive.hpp"

namespace curvtrack::data {
namespace {

using core::DataError;
using core::NpyArray;
using core::NpyType;
using core::shape_text;

const std::string kHowToWrite = "write it with np.savez(FILE, x=inputs.astype(np.float32), y=labels)";

// One array as read, and how messages name it: "foo.npz: x" or "x.npy: x".
struct Named {
  NpyArray array;
  std::string where;
};

std::string read_bytes(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw DataError("cannot read tensors file " + path.string() + ": " +
                    (std::filesystem::exists(path, error) ? "not a regular file" : "no such file"));
  }
  return core::read_file(path);
}

std::string describe(const Named& named) {
  return core::npy_type_name(named.array.type) + " " + shape_text(named.array.shape);
}

template <class T>
T element(std::string_view payload, std::size_t index) {
  T value;
  std::memcpy(&value, payload.data() + index * sizeof(T), sizeof(T));
  return value;
}

// The payload of a float32 array as a tensor that owns the file's bytes (no copy).
at::Tensor adopt_float32(NpyArray&& array) {
  auto owner = std::make_unique<NpyArray>(std::move(array));
  void* data = const_cast<char*>(owner->bytes.data()) + owner->data_offset;
  const std::vector<std::int64_t> shape = owner->shape;
  NpyArray* raw = owner.get();
  at::Tensor tensor =
      at::from_blob(data, shape, [raw](void*) { delete raw; }, at::TensorOptions().dtype(at::kFloat));
  owner.release();
  return tensor;
}

// float32 as is, float64 rounded to float32; anything else refused with `rule`.
at::Tensor float_tensor(Named&& named, const std::string& rule) {
  if (named.array.type == NpyType::kFloat32) return adopt_float32(std::move(named.array));
  if (named.array.type != NpyType::kFloat64) {
    throw DataError(named.where + " is " + describe(named) + "; " + rule);
  }
  at::Tensor tensor = at::empty(named.array.shape, at::TensorOptions().dtype(at::kFloat));
  float* out = tensor.data_ptr<float>();
  const std::string_view payload = named.array.payload();
  for (std::int64_t i = 0; i < tensor.numel(); ++i) {
    out[i] = static_cast<float>(element<double>(payload, static_cast<std::size_t>(i)));
  }
  return tensor;
}

void check_finite(const at::Tensor& tensor, const std::string& where) {
  const float* values = tensor.data_ptr<float>();
  const std::int64_t per_example = tensor.numel() / tensor.size(0);
  for (std::int64_t i = 0; i < tensor.numel(); ++i) {
    if (!std::isfinite(values[i])) {
      throw DataError(where + " holds " + std::to_string(values[i]) + " at example " + std::to_string(i / per_example) +
                      " (flat index " + std::to_string(i) + "); every value must be finite");
    }
  }
}

template <class T>
void widen_labels(const Named& y, std::int64_t* out) {
  const std::string_view payload = y.array.payload();
  for (std::size_t i = 0; i < static_cast<std::size_t>(y.array.elements()); ++i) {
    const T value = element<T>(payload, i);
    bool negative = false;
    if constexpr (std::is_signed_v<T>) negative = value < 0;
    if (negative || static_cast<std::uint64_t>(value) > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw DataError(y.where + " has label " + std::to_string(value) + " at index " + std::to_string(i) +
                      "; labels are class indices 0, 1, ..., C-1");
    }
    out[i] = static_cast<std::int64_t>(value);
  }
}

at::Tensor label_tensor(const Named& y) {
  at::Tensor labels = at::empty({y.array.shape[0]}, at::TensorOptions().dtype(at::kLong));
  std::int64_t* out = labels.data_ptr<std::int64_t>();
  switch (y.array.type) {
    case NpyType::kInt8: widen_labels<std::int8_t>(y, out); break;
    case NpyType::kInt16: widen_labels<std::int16_t>(y, out); break;
    case NpyType::kInt32: widen_labels<std::int32_t>(y, out); break;
    case NpyType::kInt64: widen_labels<std::int64_t>(y, out); break;
    case NpyType::kUInt8: widen_labels<std::uint8_t>(y, out); break;
    case NpyType::kUInt16: widen_labels<std::uint16_t>(y, out); break;
    case NpyType::kUInt32: widen_labels<std::uint32_t>(y, out); break;
    case NpyType::kUInt64: widen_labels<std::uint64_t>(y, out); break;
    default: throw std::logic_error("label_tensor on a non-integer array");
  }
  return labels;
}

// Reads x and y, in that order, from an .npz (members x.npy and y.npy) or the pair of files.
std::pair<Named, Named> read_arrays(const TensorFiles& files) {
  if (files.npz.empty()) {
    Named x{core::parse_npy(read_bytes(files.x), files.x.string()), files.x.string() + ": x"};
    Named y{core::parse_npy(read_bytes(files.y), files.y.string()), files.y.string() + ": y"};
    return {std::move(x), std::move(y)};
  }
  const std::string path = files.npz.string();
  std::string bytes = read_bytes(files.npz);
  if (bytes.compare(0, 6, "\x93NUMPY") == 0) {
    throw DataError(path + " is a single .npy file, not an .npz: pass tensors:X.npy,Y.npy (inputs and labels) or an "
                    ".npz holding x and y; " + kHowToWrite);
  }
  const core::ZipArchive archive(std::move(bytes), path);
  for (const char* array : {"x", "y"}) {
    if (archive.find(std::string(array) + ".npy") != nullptr) continue;
    std::string held;
    for (const core::ZipMember& member : archive.members()) {
      const std::string& name = member.name;
      const bool npy = name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0;
      held += (held.empty() ? "" : ", ") + (npy ? name.substr(0, name.size() - 4) : name);
    }
    throw DataError(path + " holds no array " + array + " (it holds: " + (held.empty() ? "nothing" : held) + "); " +
                    kHowToWrite);
  }
  Named x{core::parse_npy(archive.read("x.npy"), path + ": x.npy"), path + ": x"};
  Named y{core::parse_npy(archive.read("y.npy"), path + ": y.npy"), path + ": y"};
  return {std::move(x), std::move(y)};
}

}  // namespace

TensorFiles parse_tensor_files(const std::string& spec, const std::string& files) {
  const std::vector<std::string> parts = core::split(files, ',');
  const std::string forms = "; accepted: tensors:FILE.npz (arrays x and y) or tensors:X.npy,Y.npy";
  if (parts.size() > 2) {
    throw core::UsageError("data spec '" + spec + "' names " + std::to_string(parts.size()) + " files" + forms);
  }
  for (const std::string& part : parts) {
    if (core::trim(part).empty()) throw core::UsageError("data spec '" + spec + "' has an empty file name" + forms);
  }
  TensorFiles parsed;
  if (parts.size() == 1) {
    parsed.npz = core::trim(parts[0]);
  } else {
    parsed.x = core::trim(parts[0]);
    parsed.y = core::trim(parts[1]);
  }
  return parsed;
}

std::string TensorFiles::text() const { return npz.empty() ? x.string() + "," + y.string() : npz.string(); }

Dataset load_tensor_dataset(const TensorFiles& files) {
  auto [x, y] = read_arrays(files);
  const std::string x_rule = "x must be float32 [N, ...] (float64 is rounded to float32), normalised as you want it: "
                             "save x.astype(np.float32)";
  if (x.array.type != NpyType::kFloat32 && x.array.type != NpyType::kFloat64) {
    throw DataError(x.where + " is " + describe(x) + "; " + x_rule);
  }
  if (x.array.shape.size() < 2) {
    throw DataError(x.where + " has shape " + shape_text(x.array.shape) +
                    "; x must have a dimension for the examples and at least one more ([N, D] or [N, C, H, W]): "
                    "save x.reshape(len(x), -1)");
  }
  for (std::int64_t size : x.array.shape) {
    if (size == 0) throw DataError(x.where + " has shape " + shape_text(x.array.shape) + ", with no examples or features");
  }
  const bool labels = core::npy_type_is_integer(y.array.type);
  const bool targets = y.array.type == NpyType::kFloat32 || y.array.type == NpyType::kFloat64;
  const std::string y_rule = "y must be integer class labels [N] (np.int64) or float32 targets [N, C]";
  if ((!labels && !targets) || (labels && y.array.shape.size() != 1) || (targets && y.array.shape.size() != 2)) {
    throw DataError(y.where + " is " + describe(y) + "; " + y_rule);
  }
  if (targets && y.array.shape[1] == 0) throw DataError(y.where + " has shape " + shape_text(y.array.shape) + ", no targets");
  const std::int64_t n = x.array.shape[0];
  if (y.array.shape[0] != n) {
    throw DataError(x.where + " holds " + std::to_string(n) + " examples (" + shape_text(x.array.shape) + ") but " +
                    y.where + " holds " + std::to_string(y.array.shape[0]) + " (" + shape_text(y.array.shape) + ")");
  }

  Dataset data;
  data.name = "tensors";
  data.source = files.text();
  const std::string x_where = x.where, y_where = y.where;
  data.images = float_tensor(std::move(x), x_rule);
  check_finite(data.images, x_where);
  if (labels) {
    data.labels = label_tensor(y);
    data.num_classes = 0;
  } else {
    data.labels = float_tensor(std::move(y), y_rule);
    check_finite(data.labels, y_where);
    data.num_classes = data.labels.size(1);
  }
  return data;
}

void fit_to_model_output(Dataset& data, const std::vector<std::int64_t>& output_shape) {
  if (data.name != "tensors" || output_shape.size() != 2) return;
  const std::int64_t classes = output_shape[1];
  const std::string where = "tensors:" + data.source + ": y has shape " + shape_text(data.labels.sizes().vec());
  const std::string model = "the model outputs " + shape_text(output_shape);
  if (data.labels.dim() == 2) {
    if (data.labels.size(1) != classes) throw DataError(where + " but " + model + ": targets need one column per output");
  } else if (data.labels.numel() > 0) {
    const std::int64_t largest = data.labels.max().item<std::int64_t>();
    if (largest >= classes) {
      throw DataError(where + " and a label " + std::to_string(largest) + " but " + model +
                      ": labels must lie in 0.." + std::to_string(classes - 1));
    }
  }
  data.num_classes = classes;
}

}  // namespace curvtrack::data
