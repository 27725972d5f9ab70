#pragma once
// Shared by the libFuzzer harnesses: a per-process scratch folder for the parsers that read
// files, and the line between an expected rejection and a finding.

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace curvtrack::fuzz {

/// The fuzz input as bytes.
inline std::string as_string(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// A folder private to this process, curvtrack-fuzz-PID in /dev/shm when it exists (writes stay
/// in memory). libFuzzer leaves without running destructors, so each harness removes the folders
/// of processes that no longer exist when it starts instead.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path folder = [] {
    std::error_code error;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", error) ? "/dev/shm" : std::filesystem::temp_directory_path();
    const std::string prefix = "curvtrack-fuzz-";
    for (const auto& entry : std::filesystem::directory_iterator(base, error)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size() ||
          name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) {
        continue;
      }
      const auto pid = static_cast<pid_t>(std::stol(name.substr(prefix.size())));
      if (::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(entry.path(), error);
    }
    std::filesystem::path path = base / (prefix + std::to_string(::getpid()));
    std::filesystem::remove_all(path, error);
    if (!std::filesystem::create_directory(path, error)) {
      std::fprintf(stderr, "cannot create %s: %s\n", path.c_str(), error.message().c_str());
      std::abort();
    }
    return path;
  }();
  return folder;
}

/// Writes `bytes` to scratch()/name and returns the path; aborts when it cannot (not a finding
/// of the code under test, but nothing can be tested without it).
inline std::filesystem::path write_scratch(const std::string& name, const std::string& bytes) {
  std::filesystem::path path = scratch() / name;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size() || std::fclose(file) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

/// A property of the code under test does not hold: report and abort (a finding).
[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "\n==FUZZ PROPERTY FAILED== %s:%d: %s\n", file, line, what);
  std::abort();
}

/// An exception escaped that the documented contracts do not allow: only std::invalid_argument
/// (core::UsageError) and std::runtime_error (core::DataError, I/O) are expected rejections.
/// std::out_of_range from a substr, std::length_error, std::bad_alloc or a library's own
/// exception type (nlohmann::json::exception) leaking through are findings.
[[noreturn]] inline void unexpected_exception(const std::exception& error) {
  std::fprintf(stderr, "\n==FUZZ UNEXPECTED EXCEPTION== %s: %s\n", typeid(error).name(), error.what());
  std::abort();
}

/// Runs `body`; returns true when it returned, false on an expected rejection. Any other
/// std::exception is a finding; anything else is not caught, so it terminates (also a finding).
template <typename Body>
bool expect_rejections(Body&& body) {
  try {
    body();
    return true;
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  } catch (const std::exception& error) {
    unexpected_exception(error);
  }
  return false;
}

}  // namespace curvtrack::fuzz

/// Aborts with the condition's text when it is false (also in release builds).
#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::curvtrack::fuzz::property_failed(#condition, __FILE__, __LINE__))

