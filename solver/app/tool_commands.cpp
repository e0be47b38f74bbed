// hepaflow generate / convert / info / case-reference.
#include <omp.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "hepaflow/config/case_config.hpp"
#include "hepaflow/parallel/mpi.hpp"
#include "hepaflow/config/quantity.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/io/network_output.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/version.hpp"

namespace hepaflow::app {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void write_network_by_extension(const Network& net, const std::string& path) {
  if (ends_with(path, ".vtp")) {
    io::write_network_vtp(path, net, {});
  } else {
    meshes::write_network_file(net, path);
  }
}

int generate_command(const GenerateArguments& args) {
  const Network net = meshes::generate_from_spec(args.spec);
  write_network_by_extension(net, args.output);
  std::cout << "generated '" << args.spec.name << "': " << net.num_segments() << " segments, " << net.num_nodes()
            << " nodes, " << net.boundaries.size() << " boundary nodes -> " << args.output << "\n";
  return 0;
}

int convert_command(const ConvertArguments& args) {
  meshes::NetworkFileOptions options;
  try {
    options.length_unit = parse_quantity(args.length_unit, Dimension::length);
  } catch (const QuantityError& e) {
    throw UsageError(std::string("--length-unit: ") + e.what());
  }
  options.radius_array = args.radius_array;
  options.radius_is_diameter = args.radius_is_diameter;
  // A result's flow and haematocrit travel into Network.dat's columns (e.g. out/network_000000.vtp
  // -> net.dat, to compare with the field's tools line by line).
  std::vector<double> flow;
  Network net;
  const std::string format = meshes::detect_network_format(args.input);
  if (format == "dat") net = meshes::read_secomb_dat(args.input, &flow);
#ifdef HEPAFLOW_WITH_VTK
  else if (format == "vtp") net = meshes::read_vtp_network(args.input, options, &flow);
#endif
  else net = meshes::read_network_file(args.input, options);
  if (ends_with(args.output, ".vtp")) {
    write_network_by_extension(net, args.output);
  } else {
    const bool has_flow = flow.size() == net.num_segments();
    const bool has_hd = net.haematocrit.size() == net.num_segments();
    meshes::write_network_file(net, args.output, "auto", has_flow ? &flow : nullptr, has_hd ? &net.haematocrit : nullptr);
  }
  std::cout << "converted " << args.input << " -> " << args.output << ": " << net.num_segments() << " segments, "
            << net.num_nodes() << " nodes, " << net.boundaries.size() << " boundary nodes\n";
  return 0;
}

int info_command() {
  std::cout << "hepaflow " HEPAFLOW_VERSION " (git " HEPAFLOW_GIT_HASH ")\n";
  std::cout << "backends:\n  cpu   Thrust OpenMP system, " << omp_get_max_threads() << " threads\n";
  std::string why;
  const auto* cuda = kernels::cuda::kernel_set(&why);
  if (cuda)
    std::cout << "  cuda  " << kernels::cuda::device_name() << ", peak memory bandwidth "
              << kernels::cuda::device_peak_bandwidth_gbs() << " GB/s\n";
  else
    std::cout << "  cuda  unavailable: " << why << "\n";
  std::cout << "direct solver (CHOLMOD): " << (direct_solver_available() ? "yes" : "no (built without it)") << "\n";
  std::cout << "MPI (mpirun -n N hepaflow sweep): " << (parallel::built_with_mpi() ? "yes" : "no (built without it)") << "\n";
  std::cout << "PETSc (solver.method = \"petsc\"): " << (petsc_solver_available() ? "yes" : "no (built without it)") << "\n";
  std::cout << "VTK output: " << (io::vtk_output_available() ? "yes" : "no (built with HEPAFLOW_WITH_VTK=OFF)") << "\n";
  return 0;
}

int case_reference_command(const std::string& output) {
  const std::string markdown = case_reference_markdown();
  if (output.empty()) {
    std::cout << markdown;
  } else {
    io::write_file_atomically(output, [&](std::ostream& out) { out << markdown; });
  }
  return 0;
}

}  // namespace hepaflow::app
