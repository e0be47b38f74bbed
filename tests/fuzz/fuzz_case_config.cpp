// Fuzz target: the case-file parser (solver/src/config/case_config.cpp: TOML -> validated CaseConfig).
// Input: the case file's bytes, then optionally NUL-separated --set overrides ("table.key=value"),
// at most 8. The case is written as case.toml in a scratch folder that also holds network.dat,
// network.vtp and intravasc.dat, so `file = "network.dat"` style paths resolve (load_case only checks
// that they exist). Expected: a CaseConfig, or a hepaflow::Error (InputError, exit 3: every problem
// as "file:line:col: message"). Checked besides (the documented promise of case.resolved.toml:
// "running it again gives the same case"): an accepted case's resolved TOML loads again and resolves
// to the same text (comment lines aside).
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "hepaflow/config/case_config.hpp"

namespace {
std::string without_comment_lines(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text[start] != '#') out.append(text, start, end + 1 - start);
    start = end + 1;
  }
  return out;
}
}  // namespace

std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size) {
  static const bool files_made = [] {
    for (const char* name : {"network.dat", "network.vtp", "intravasc.dat"}) hf_fuzz::write_scratch(name, "x\n");
    return true;
  }();
  (void)files_made;
  const std::vector<std::string_view> parts =
      hf_fuzz::split_at_nul(std::string_view(reinterpret_cast<const char*>(data), size));
  if (parts.size() > 9) return "ok";  // keep inputs focused: at most 8 overrides
  const std::string path = hf_fuzz::write_scratch("case.toml", parts[0]);
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  return hf_fuzz::outcome_of([&] {
    const hepaflow::CaseConfig config = hepaflow::load_case(path, overrides);
    const std::string again_path = hf_fuzz::write_scratch("case.resolved.toml", config.resolved_toml);
    const hepaflow::CaseConfig again = [&] {
      try {
        return hepaflow::load_case(again_path);
      } catch (const hepaflow::Error& e) {
        std::fprintf(stderr, "fuzz_case_config: the resolved case does not load again:\n%s\n--- resolved:\n%s\n",
                     e.what(), config.resolved_toml.c_str());
        std::abort();
      }
    }();
    if (without_comment_lines(again.resolved_toml) != without_comment_lines(config.resolved_toml)) {
      std::fprintf(stderr, "fuzz_case_config: resolving the resolved case changed it:\n--- first:\n%s\n--- again:\n%s\n",
                   config.resolved_toml.c_str(), again.resolved_toml.c_str());
      std::abort();
    }
  });
}

HF_FUZZ_TARGET()
