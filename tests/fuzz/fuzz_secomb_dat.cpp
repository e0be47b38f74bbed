// Fuzz target: the Secomb Network.dat reader (meshes/src/secomb_dat.cpp), then network validation
// as `hepaflow check` does next. Input: the file's bytes. Expected: a network, or a hepaflow::Error
// (InputError "path:line: message", exit 3). An accepted network must also survive validate() and a
// write_secomb_dat -> read_secomb_dat round trip with the same counts.
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/network.hpp"

std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size) {
  const std::string path =
      hf_fuzz::write_scratch("network.dat", std::string_view(reinterpret_cast<const char*>(data), size));
  return hf_fuzz::outcome_of([&] {
    std::vector<double> flow;
    const hepaflow::Network net = hepaflow::meshes::read_secomb_dat(path, &flow);
    if (flow.size() != net.num_segments()) {
      std::fprintf(stderr, "fuzz_secomb_dat: flow column has %zu values for %zu segments\n", flow.size(),
                   net.num_segments());
      std::abort();
    }
    (void)hepaflow::validate(net);
    const std::string copy = (hf_fuzz::scratch_dir() / "copy.dat").string();
    hepaflow::meshes::write_secomb_dat(net, copy, &flow);
    const hepaflow::Network again = hepaflow::meshes::read_secomb_dat(copy);
    if (again.num_nodes() != net.num_nodes() || again.num_segments() != net.num_segments() ||
        again.boundaries.size() != net.boundaries.size()) {
      std::fprintf(stderr, "fuzz_secomb_dat: round trip changed the counts\n");
      std::abort();
    }
  });
}

HF_FUZZ_TARGET()
