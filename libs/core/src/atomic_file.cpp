#include "curvtrack/core/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/fault_injection.hpp"

namespace curvtrack::core {
namespace {

// A file that cannot be written (read-only or missing folder, full disk, file size limit) is
// a data error (exit 3) naming the path, like a file that cannot be read.
[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw DataError("cannot write " + path.string() + ": " + what + " (" + std::strerror(errno) + ")");
}

// Bytes after which the next atomic write crashes (fault injection); -1: not armed.
std::atomic<long long> g_kill_after_bytes{-1};

}  // namespace

void kill_during_next_atomic_write(std::size_t bytes) { g_kill_after_bytes = static_cast<long long>(bytes); }

void kill_now() {
  ::raise(SIGKILL);
  ::_exit(137);  // not reached: SIGKILL cannot be caught
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create temporary file " + temporary.string());
  const char* data = content.data();
  std::size_t left = content.size();
  long long kill_after = g_kill_after_bytes.exchange(-1);
  if (kill_after >= 0 && static_cast<std::size_t>(kill_after) < left) left = static_cast<std::size_t>(kill_after);
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      errno = saved;
      fail(path, "write failed");
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (kill_after >= 0) kill_now();  // the crash: a partial temporary file, never renamed
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    fail(path, "flush failed");
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    fail(path, "rename failed");
  }
}

std::string read_file(const std::filesystem::path& path) {
  // POSIX reads: a stream would return "" for a folder or stop silently on an I/O error.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::string content;
  char buffer[1 << 16];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      throw DataError("cannot read " + path.string() + ": " + std::strerror(saved));
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return content;
}

}  // namespace curvtrack::core
