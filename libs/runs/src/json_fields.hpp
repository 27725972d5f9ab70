#pragma once
// Typed reading of JSON records (meta.json, curvature.jsonl): each field checked for its type,
// a wrong one reported as core::DataError naming the file and the field.

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::runs {

// Reads the fields of one JSON object, naming the file and the field when a type is wrong.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string where) : object_(object), where_(std::move(where)) {}

  template <typename T>
  void read(const char* key, std::optional<T>& field) const {
    if (!object_.contains(key) || object_[key].is_null()) return;
    field = checked<T>(key);
  }

  template <typename T>
  T checked(const char* key) const {
    return convert<T>(object_[key], key);
  }

  // A required field (DataError when absent).
  template <typename T>
  T required(const char* key) const {
    if (!object_.contains(key)) throw core::DataError(where_ + ": no \"" + key + "\"");
    return checked<T>(key);
  }

  // A list of numbers; null entries (how JSON writes NaN) read back as NaN.
  std::vector<double> numbers(const char* key) const {
    std::vector<double> out;
    if (!object_.contains(key) || object_[key].is_null()) return out;
    const nlohmann::json& list = object_[key];
    if (!list.is_array()) throw core::DataError(where_ + ": \"" + key + "\" is not a list");
    for (const auto& value : list) out.push_back(convert<double>(value, key));
    return out;
  }

  // A list of lists of numbers (density nodes, 2-D slices).
  std::vector<std::vector<double>> number_rows(const char* key) const {
    std::vector<std::vector<double>> out;
    if (!object_.contains(key) || object_[key].is_null()) return out;
    const nlohmann::json& rows = object_[key];
    if (!rows.is_array()) throw core::DataError(where_ + ": \"" + key + "\" is not a list");
    for (const auto& row : rows) {
      if (!row.is_array()) throw core::DataError(where_ + ": \"" + key + "\" is not a list of lists");
      std::vector<double> values;
      for (const auto& value : row) values.push_back(convert<double>(value, key));
      out.push_back(std::move(values));
    }
    return out;
  }

  const nlohmann::json& json() const { return object_; }
  const std::string& where() const { return where_; }

  // A nested object ("run", "model", ...): a reader for it, or none when absent.
  std::optional<FieldReader> object(const char* key) const {
    if (!object_.contains(key) || object_[key].is_null()) return std::nullopt;
    if (!object_[key].is_object()) {
      throw core::DataError(where_ + ": \"" + key + "\" is " + object_[key].dump().substr(0, 40) + ", not an object");
    }
    return FieldReader(object_[key], where_ + ": \"" + key + "\"");
  }

  template <typename T>
  T value_or(const char* key, T fallback) const {
    std::optional<T> field;
    read(key, field);
    return field.value_or(fallback);
  }

 private:
  template <typename T>
  T convert(const nlohmann::json& value, const char* key) const {
    bool ok = false;
    const char* type = "";
    if constexpr (std::is_same_v<T, std::string>) {
      ok = value.is_string(), type = "a string";
    } else if constexpr (std::is_same_v<T, bool>) {
      ok = value.is_boolean(), type = "true or false";
    } else if constexpr (std::is_integral_v<T>) {
      ok = value.is_number_integer(), type = "an integer";
    } else {
      if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();  // JSON's NaN
      ok = value.is_number(), type = "a number";
    }
    if (!ok) throw core::DataError(where_ + ": \"" + key + "\" is " + value.dump().substr(0, 40) + ", not " + type);
    return value.get<T>();
  }

  const nlohmann::json& object_;
  std::string where_;
};


/// Writes `field` under `key` when it is set.
template <typename T>
void put(nlohmann::json& out, const char* key, const std::optional<T>& field) {
  if (field) out[key] = *field;
}

}  // namespace curvtrack::runs
