// Built with -DHEPAFLOW_WITH_VTK=OFF: .vtp output is unavailable and says so.
#ifndef HEPAFLOW_WITH_VTK
#include "hepaflow/error.hpp"
#include "hepaflow/io/network_output.hpp"

namespace hepaflow::io {
bool vtk_output_available() { return false; }
void write_network_vtp(const std::string& path, const Network&, const NetworkFields&) {
  throw BackendUnavailableError("cannot write " + path + ": hepaflow was built without VTK (-DHEPAFLOW_WITH_VTK=OFF)");
}
void write_image_vti(const std::string& path, const ImageGridOutput&) {
  throw BackendUnavailableError("cannot write " + path + ": hepaflow was built without VTK (-DHEPAFLOW_WITH_VTK=OFF)");
}
}  // namespace hepaflow::io
#endif
