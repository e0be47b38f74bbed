// VTK XML PolyData output through VTK's own writer (vtkXMLPolyDataWriter), written to a temporary
// name and renamed.
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkDoubleArray.h>
#include <vtkImageData.h>
#include <vtkIdTypeArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkTypeInt64Array.h>
#include <vtkUnsignedCharArray.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkXMLPolyDataWriter.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hepaflow/error.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/io/network_output.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow::io {

bool vtk_output_available() { return true; }

namespace {
void add_array(vtkDataSetAttributes* attributes, const NamedArray& a) {
  vtkNew<vtkDoubleArray> arr;
  arr->SetName(a.name.c_str());
  arr->SetNumberOfValues(static_cast<vtkIdType>(a.values.size()));
  for (std::size_t i = 0; i < a.values.size(); ++i) arr->SetValue(static_cast<vtkIdType>(i), a.values[i]);
  attributes->AddArray(arr);
}
/// Write `data` with a VTK XML writer (appended, zlib) to a temporary name, then rename it to `path`.
template <class Writer, class Data>
void write_atomically(vtkNew<Writer>& writer, vtkNew<Data>& data, const std::string& path) {
  if (!writes_enabled()) return;
  const std::string tmp = temporary_path_for(path);
  writer->SetFileName(tmp.c_str());
  writer->SetInputData(data);
  writer->SetDataModeToAppended();
  writer->SetCompressorTypeToZLib();
  errno = 0;
  // Write() returns 1 even when the pipeline failed (VTK 9.1 under a full disk: a truncated file);
  // the writer's error code tells.
  const int written = writer->Write();
  if (written != 1 || writer->GetErrorCode() != 0) {
    // The cause as errno has it (EFBIG, ENOSPC, EACCES); VTK's error code number otherwise.
    const int err = errno;
    std::remove(tmp.c_str());
    throw IoError(path + ": VTK writer failed: " +
                  (err ? std::string(std::strerror(err)) : "VTK error code " + std::to_string(writer->GetErrorCode())));
  }
  commit_temporary(tmp, path);
}
}  // namespace

void write_network_vtp(const std::string& path, const Network& net, const NetworkFields& fields) {
  const auto n_nodes = static_cast<vtkIdType>(net.num_nodes());
  const auto n_segs = static_cast<vtkIdType>(net.num_segments());
  for (const auto& a : fields.cell_data)
    if (a.values.size() != net.num_segments())
      throw Error(ExitCode::runtime_error, "internal: cell array '" + a.name + "' has the wrong length");
  for (const auto& a : fields.point_data)
    if (a.values.size() != net.num_nodes())
      throw Error(ExitCode::runtime_error, "internal: point array '" + a.name + "' has the wrong length");

  vtkNew<vtkPoints> points;
  points->SetDataTypeToDouble();
  points->SetNumberOfPoints(n_nodes);
  // Coordinates in um: the unit of every length array (radius_um, length_um) and of the network files.
  for (vtkIdType i = 0; i < n_nodes; ++i)
    points->SetPoint(i, net.x[i] / units::um, net.y[i] / units::um, net.z[i] / units::um);
  vtkNew<vtkCellArray> lines;
  lines->AllocateExact(n_segs, 2 * n_segs);
  for (vtkIdType s = 0; s < n_segs; ++s) {
    const vtkIdType ends[2] = {net.segment_from[s], net.segment_to[s]};
    lines->InsertNextCell(2, ends);
  }
  vtkNew<vtkPolyData> poly;
  poly->SetPoints(points);
  poly->SetLines(lines);

  vtkNew<vtkTypeInt64Array> segment_id, node_id;
  segment_id->SetName("segment_id");
  segment_id->SetNumberOfValues(n_segs);
  for (vtkIdType s = 0; s < n_segs; ++s) segment_id->SetValue(s, net.segment_id[s]);
  poly->GetCellData()->AddArray(segment_id);
  vtkNew<vtkUnsignedCharArray> kind;
  kind->SetName("kind");
  kind->SetNumberOfValues(n_segs);
  for (vtkIdType s = 0; s < n_segs; ++s) kind->SetValue(s, static_cast<unsigned char>(net.kind[s]));
  poly->GetCellData()->AddArray(kind);
  node_id->SetName("node_id");
  node_id->SetNumberOfValues(n_nodes);
  for (vtkIdType i = 0; i < n_nodes; ++i) node_id->SetValue(i, net.node_id[i]);
  poly->GetPointData()->AddArray(node_id);

  NamedArray radius{"radius_um", {}}, length{"length_um", {}};
  for (vtkIdType s = 0; s < n_segs; ++s) {
    radius.values.push_back(net.radius[s] / units::um);
    length.values.push_back(net.length[s] / units::um);
  }
  add_array(poly->GetCellData(), radius);
  add_array(poly->GetCellData(), length);
  for (const auto& a : fields.cell_data) add_array(poly->GetCellData(), a);
  NamedArray node_radius{"radius_um", node_mean_radius(net)};
  for (double& r : node_radius.values) r /= units::um;
  add_array(poly->GetPointData(), node_radius);
  poly->GetPointData()->SetActiveScalars("radius_um");
  for (const auto& a : fields.point_data) add_array(poly->GetPointData(), a);

  vtkNew<vtkXMLPolyDataWriter> writer;
  write_atomically(writer, poly, path);
}

void write_image_vti(const std::string& path, const ImageGridOutput& grid) {
  const std::size_t cells = std::size_t(grid.dims[0]) * grid.dims[1] * grid.dims[2];
  for (const auto& a : grid.cell_data)
    if (a.values.size() != cells)
      throw Error(ExitCode::runtime_error, "internal: grid array '" + a.name + "' has the wrong length");
  vtkNew<vtkImageData> image;
  image->SetDimensions(grid.dims[0] + 1, grid.dims[1] + 1, grid.dims[2] + 1);  // points bound the cells
  image->SetOrigin(grid.origin_um[0], grid.origin_um[1], grid.origin_um[2]);
  image->SetSpacing(grid.spacing_um[0], grid.spacing_um[1], grid.spacing_um[2]);
  for (const auto& a : grid.cell_data) add_array(image->GetCellData(), a);
  if (!grid.cell_data.empty()) image->GetCellData()->SetActiveScalars(grid.cell_data.front().name.c_str());
  vtkNew<vtkXMLImageDataWriter> writer;
  write_atomically(writer, image, path);
}

}  // namespace hepaflow::io
