// Replays fuzz inputs through a fuzz target's hf_fuzz_one() without libFuzzer, so every build (g++
// Release included) runs the regression inputs and the seed corpus as an ordinary test.
//   hf_fuzz_replay_<target> DIR_OR_FILE...
// Every regular file is one input, except NAME.expected, which holds the expected outcome of input
// NAME: the outcome ("ok" or "exit N: message") must contain each of its non-empty lines. A crash,
// sanitizer report or unexpected exception fails the test as it would fail the fuzzer.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file() && entry.path().extension() != ".expected" && entry.path().filename() != "README.md")
          inputs.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "replay: no such file or folder: %s\n", argv[i]);
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  int failures = 0;
  for (const fs::path& p : inputs) {
    const std::string bytes = read_file(p);
    const std::string outcome = hf_fuzz_one(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    std::string first_line = outcome.substr(0, outcome.find('\n'));
    if (first_line.size() > 160) first_line = first_line.substr(0, 160) + "...";
    std::printf("%s: %s\n", p.string().c_str(), first_line.c_str());
    fs::path expected_path = p;
    expected_path += ".expected";
    if (!fs::exists(expected_path)) continue;
    const std::string expected = read_file(expected_path);
    std::size_t start = 0;
    while (start < expected.size()) {
      std::size_t end = expected.find('\n', start);
      if (end == std::string::npos) end = expected.size();
      const std::string want = expected.substr(start, end - start);
      if (!want.empty() && outcome.find(want) == std::string::npos) {
        std::printf("  FAILED: expected the outcome to contain \"%s\"; full outcome:\n%s\n", want.c_str(), outcome.c_str());
        ++failures;
      }
      start = end + 1;
    }
  }
  std::printf("%zu inputs replayed, %d expectation failures\n", inputs.size(), failures);
  return failures == 0 && !inputs.empty() ? 0 : 1;
}
