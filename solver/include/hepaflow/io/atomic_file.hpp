#pragma once
// Atomic file output: write to "<path>.tmp.<pid>" and rename over <path>, so a killed run never
// leaves a truncated file (DESIGN.md "Output directory").
#include <functional>
#include <ostream>
#include <string>

namespace hepaflow::io {

/// Whether this process writes output files. A run spread over MPI ranks computes on every rank
/// and writes from rank 0 only: the other ranks switch writing off, and then every function here
/// (and the VTK writers, which use them) does nothing.
void set_writes_enabled(bool enabled);
bool writes_enabled();

/// Write through `fill` into a temporary file beside `path`, flush, then rename to `path`.
/// Throws IoError naming the path on any failure (the temporary is removed).
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill);

/// Temporary name beside `path` for writers that produce the file themselves (e.g. VTK writers);
/// call commit_temporary() after they succeed.
std::string temporary_path_for(const std::string& path);
/// Rename `temporary` to `path` (IoError on failure; the temporary is removed).
void commit_temporary(const std::string& temporary, const std::string& path);

/// Refuse an existing non-empty output folder unless `overwrite` (IoError, exit code 4), before any
/// work: `run` and `sweep` share this rule.
void check_output_folder(const std::string& dir, bool overwrite);
/// Create the output folder and its parents (IoError on failure).
void create_output_folder(const std::string& dir);

}  // namespace hepaflow::io
