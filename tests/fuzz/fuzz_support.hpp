#pragma once
// Shared by the fuzz targets of tests/fuzz (docs/reliability.md "Fuzzing and sanitizers").
//
// Every target defines
//     std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size);
// which feeds one input to one reader and returns its outcome: "ok" when the input was accepted, or
// "exit N: message" when the reader rejected it with a hepaflow::Error (exit code N). That is the
// expected, documented behaviour for any input, so it is not a finding. Everything else is: a crash,
// undefined behaviour, a leak, a timeout, or an exception of any other type (std::bad_alloc from a
// count field that was not bounded, std::out_of_range, a library's own exception escaping ...) - it
// propagates out of hf_fuzz_one, std::terminate names its type, and libFuzzer records the input.
//
// HF_FUZZ_TARGET() adds libFuzzer's entry point; the same source linked with replay_main.cpp instead
// of -fsanitize=fuzzer gives the replay program every build has (tests/fuzz/tests.cmake).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "hepaflow/error.hpp"

std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size);

#define HF_FUZZ_TARGET()                                                               \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    hf_fuzz_one(data, size);                                                           \
    return 0;                                                                          \
  }

namespace hf_fuzz {

/// Runs `read` and turns the reader's documented errors into an outcome string.
template <class Read>
std::string outcome_of(Read&& read) {
  try {
    read();
    return "ok";
  } catch (const hepaflow::Error& e) {
    return "exit " + std::to_string(e.exit_code()) + ": " + e.what();
  }
}

/// A scratch folder for the files a path-taking reader needs, one per process (libFuzzer -jobs/-fork
/// run several): $HF_FUZZ_TMPDIR, else /dev/shm (no disk traffic), else $TMPDIR or /tmp. Removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    fs::path base;
    if (const char* d = std::getenv("HF_FUZZ_TMPDIR")) base = d;
    else if (fs::is_directory("/dev/shm")) base = "/dev/shm";
    else if (const char* t = std::getenv("TMPDIR")) base = t;
    else base = "/tmp";
    fs::path p = base / ("hepaflow-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(p);
    static const fs::path to_remove = p;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(to_remove, ec);
    });
    return p;
  }();
  return dir;
}

/// Write `bytes` to scratch_dir()/name (replacing it) and return its path.
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::filesystem::path p = scratch_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", p.c_str());
    std::abort();
  }
  return p.string();
}

inline void remove_scratch(const std::string& name) {
  std::error_code ec;
  std::filesystem::remove(scratch_dir() / name, ec);
}

/// The input split at NUL bytes (parts may be empty; a trailing NUL gives an empty last part).
inline std::vector<std::string_view> split_at_nul(std::string_view input) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t nul = input.find('\0', start);
    parts.push_back(input.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
    if (nul == std::string_view::npos) break;
    start = nul + 1;
  }
  return parts;
}

}  // namespace hf_fuzz
