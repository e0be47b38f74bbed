// Fuzz target: the CSV network folder reader (meshes/src/csv_network.cpp), then validate().
// Input: nodes.csv, NUL, segments.csv[, NUL, boundary.csv] (without a second NUL there is no
// boundary.csv; further NULs stay in boundary.csv's bytes). Expected: a network, or a
// hepaflow::Error (exit 3 for content, 4 for a missing file).
#include "fuzz_support.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/network.hpp"

std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t first = input.find('\0');
  const std::string_view nodes = input.substr(0, first);
  std::string_view segments, boundary;
  bool has_boundary = false;
  if (first != std::string_view::npos) {
    const std::string_view rest = input.substr(first + 1);
    const std::size_t second = rest.find('\0');
    segments = rest.substr(0, second);
    if (second != std::string_view::npos) {
      boundary = rest.substr(second + 1);
      has_boundary = true;
    }
  }
  hf_fuzz::write_scratch("nodes.csv", nodes);
  if (first != std::string_view::npos) hf_fuzz::write_scratch("segments.csv", segments);
  else hf_fuzz::remove_scratch("segments.csv");
  if (has_boundary) hf_fuzz::write_scratch("boundary.csv", boundary);
  else hf_fuzz::remove_scratch("boundary.csv");
  return hf_fuzz::outcome_of([&] {
    const hepaflow::Network net = hepaflow::meshes::read_csv_network(hf_fuzz::scratch_dir().string());
    (void)hepaflow::validate(net);
  });
}

HF_FUZZ_TARGET()
