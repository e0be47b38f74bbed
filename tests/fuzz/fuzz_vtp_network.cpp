// Fuzz target: the VTK XML PolyData reader (meshes/src/vtp_network_vtk.cpp), then validate().
// Input: the file's bytes. Expected: a network, or a hepaflow::Error (InputError, exit 3).
// Only hepaflow's own code is coverage-instrumented: VTK (Debian's libvtk9) is not, so libFuzzer is
// guided by the checks around VTK, while ASan still sees VTK's heap (uninstrumented code is not
// bounds-checked, but every allocation and leak is).
#include "fuzz_support.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/network.hpp"

std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size) {
  const std::string path =
      hf_fuzz::write_scratch("network.vtp", std::string_view(reinterpret_cast<const char*>(data), size));
  return hf_fuzz::outcome_of([&] {
    std::vector<double> flow;
    const hepaflow::Network net = hepaflow::meshes::read_vtp_network(path, {}, &flow);
    (void)hepaflow::validate(net);
  });
}

HF_FUZZ_TARGET()
