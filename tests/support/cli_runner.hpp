#pragma once
// Run the hepaflow program from tests and capture its exit code and output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "temp_dir.hpp"

namespace hepaflow::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Run `hepaflow ARGUMENTS` with environment assignments ("NAME=value ..."; "" for none) put before
/// the program; stdout and stderr together.
inline CommandResult run_hepaflow_env(const std::string& environment, const std::string& arguments) {
  const std::string command =
      (environment.empty() ? "" : "env " + environment + " ") + std::string(HEPAFLOW_BINARY) + " " + arguments + " 2>&1";
  CommandResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline CommandResult run_hepaflow(const std::string& arguments) { return run_hepaflow_env("", arguments); }

}  // namespace hepaflow::test
