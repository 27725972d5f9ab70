#include "curvtrack/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

constexpr const char* kAccepted = "outputs only create or replace regular files";

// What writing `path` replaces: `path` itself when it is absent or a regular file, the target
// of a symbolic link to a regular file; anything else is refused (stat only: nothing is opened,
// so a FIFO cannot block and a device is never written).
std::filesystem::path output_destination(const std::filesystem::path& path) {
  struct stat entry {};
  if (::lstat(path.c_str(), &entry) != 0) return path;  // absent, or its folder is: the open names that
  if (S_ISREG(entry.st_mode)) return path;
  if (!S_ISLNK(entry.st_mode)) {
    throw DataError("cannot write " + path.string() + ": it is " + kind_of(entry.st_mode) + ", not a regular file; " +
                    kAccepted);
  }
  std::error_code ignored;
  const std::string target = std::filesystem::read_symlink(path, ignored).string();
  struct stat resolved {};
  if (::stat(path.c_str(), &resolved) != 0) {
    throw DataError("cannot write " + path.string() + ": it is a symbolic link to " + target +
                    ", which cannot be reached (" + std::strerror(errno) + "); " + kAccepted);
  }
  if (!S_ISREG(resolved.st_mode)) {
    throw DataError("cannot write " + path.string() + ": it is a symbolic link to " + kind_of(resolved.st_mode) + " (" +
                    target + "), not to a regular file; " + kAccepted);
  }
  std::error_code error;
  std::filesystem::path canonical = std::filesystem::canonical(path, error);
  return error ? path : canonical;
}

}  // namespace

void kill_during_next_atomic_write(std::size_t bytes) { g_kill_after_bytes = static_cast<long long>(bytes); }

void kill_now() {
  ::raise(SIGKILL);
  ::_exit(137);  // not reached: SIGKILL cannot be caught
}

void check_output_file(const std::filesystem::path& path) { (void)output_destination(path); }

AtomicFile::AtomicFile(const std::filesystem::path& path) : path_(path), destination_(output_destination(path)) {
  temporary_ = destination_;
  temporary_ += ".tmp." + std::to_string(::getpid());
  // O_EXCL: a leftover of this pid is never followed (a link) nor opened (a FIFO would block).
  for (int attempt = 0; attempt < 2 && fd_ < 0; ++attempt) {
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno == EEXIST && attempt == 0) ::unlink(temporary_.c_str());
  }
  if (fd_ < 0) ::curvtrack::core::fail(path_, "cannot create temporary file " + temporary_.string());
  kill_after_ = g_kill_after_bytes.exchange(-1);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temporary_.c_str());
  }
}

void AtomicFile::fail(const std::string& what) {
  int saved = errno;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temporary_.c_str());
  errno = saved;
  ::curvtrack::core::fail(path_, what);
}

void AtomicFile::write(std::string_view bytes) {
  if (fd_ < 0) throw std::logic_error("AtomicFile::write after commit");
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  bool crash = false;
  if (kill_after_ >= 0 && static_cast<std::size_t>(kill_after_) <= left) {
    left = static_cast<std::size_t>(kill_after_);
    crash = true;
  }
  if (kill_after_ >= 0) kill_after_ -= static_cast<long long>(left);
  while (left > 0) {
    ssize_t written = ::write(fd_, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (crash) kill_now();  // the crash: a partial temporary file, never renamed
}

void AtomicFile::commit() {
  if (fd_ < 0) throw std::logic_error("AtomicFile::commit twice");
  if (kill_after_ >= 0) kill_now();  // armed for more bytes than were written: crash before the rename
  if (::fsync(fd_) != 0) fail("flush failed");
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    int saved = errno;
    ::unlink(temporary_.c_str());
    errno = saved;
    ::curvtrack::core::fail(path_, "flush failed");
  }
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary_.c_str());
    errno = saved;
    ::curvtrack::core::fail(path_, "rename failed");
  }
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

std::string read_file(const std::filesystem::path& path) {
  // POSIX reads: a stream would return "" for a folder or stop silently on an I/O error.
  // O_NONBLOCK only for the open: a FIFO without a writer then reads as empty instead of
  // blocking forever (a FIFO with one, e.g. a shell's <(...), reads as usual).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw DataError("cannot read " + path.string() + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    int saved = errno;
    ::close(fd);
    throw DataError("cannot read " + path.string() + ": " + std::strerror(saved));
  }
  // A device may never end (/dev/zero): inputs other than regular files and pipes are bounded.
  const bool bounded = !S_ISREG(info.st_mode) && !S_ISFIFO(info.st_mode);
  constexpr std::size_t kDeviceLimit = std::size_t{1} << 26;
  std::string content;
  // A regular file's size is known: one allocation instead of a doubling string that copies
  // (and page-faults on) the whole file about twice over.
  if (S_ISREG(info.st_mode) && info.st_size > 0) content.reserve(static_cast<std::size_t>(info.st_size));
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
    if (bounded && content.size() > kDeviceLimit) {
      ::close(fd);
      throw DataError("cannot read " + path.string() + ": it is " + kind_of(info.st_mode) +
                      " that does not end (more than 64 MiB read); inputs are regular files or pipes");
    }
  }
  ::close(fd);
  return content;
}

}  // namespace curvtrack::core
