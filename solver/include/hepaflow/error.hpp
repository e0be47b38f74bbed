#pragma once
// Error types of hepaflow. Each carries the process exit code documented in DESIGN.md / README:
// 0 ok, 1 runtime error, 2 usage, 3 invalid case/network, 4 I/O, 5 no convergence,
// 6 backend unavailable.
#include <stdexcept>
#include <string>

namespace hepaflow {

enum class ExitCode : int {
  ok = 0,
  runtime_error = 1,
  usage = 2,
  invalid_input = 3,
  io_error = 4,
  no_convergence = 5,
  backend_unavailable = 6,
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }
  int exit_code() const noexcept { return static_cast<int>(code_); }

 private:
  ExitCode code_;
};

/// Invalid case file, network file or network content (exit code 3). The message names the file,
/// line and key (or the offending ids) where they are known.
struct InputError : Error {
  explicit InputError(const std::string& m) : Error(ExitCode::invalid_input, m) {}
};
/// A file or directory could not be read or written (exit code 4).
struct IoError : Error {
  explicit IoError(const std::string& m) : Error(ExitCode::io_error, m) {}
};
/// An iterative solve stopped before reaching its tolerance (exit code 5).
struct ConvergenceError : Error {
  explicit ConvergenceError(const std::string& m) : Error(ExitCode::no_convergence, m) {}
};
/// The requested backend is not compiled in or has no device (exit code 6).
struct BackendUnavailableError : Error {
  explicit BackendUnavailableError(const std::string& m) : Error(ExitCode::backend_unavailable, m) {}
};
/// Bad command line (exit code 2).
struct UsageError : Error {
  explicit UsageError(const std::string& m) : Error(ExitCode::usage, m) {}
};

}  // namespace hepaflow
