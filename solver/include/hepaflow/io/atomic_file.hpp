#pragma once
// Atomic file output, the one way hepaflow writes a file (DESIGN.md "Output directory"): write to
// "<path>.tmp.<pid>" in the same folder, check every write, fsync it, rename it over <path>, fsync
// the folder. A run killed at any moment leaves either the previous or the new file, never a
// truncated one; a full disk (ENOSPC, or EFBIG under `ulimit -f`) leaves the previous file intact
// and throws IoError "<path>: <what failed>: <strerror>" (exit code 4).
#include <functional>
#include <ostream>
#include <string>

namespace hepaflow::io {

/// Whether this process writes output files. A run spread over MPI ranks computes on every rank
/// and writes from rank 0 only: the other ranks switch writing off, and then every function here
/// (and the VTK writers, which use them) does nothing.
void set_writes_enabled(bool enabled);
bool writes_enabled();

/// Write through `fill` into a temporary file beside `path` (buffered, every write(2) checked),
/// fsync and close it, then commit_temporary(). Throws IoError naming the path on any failure (the
/// temporary is removed); an exception from `fill` removes the temporary and propagates.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill);

/// Temporary name beside `path` for writers that produce the file themselves (e.g. VTK writers);
/// call commit_temporary() after they succeed.
std::string temporary_path_for(const std::string& path);
/// fsync `temporary` (written by someone else), rename it to `path` and fsync the folder (IoError on
/// failure; the temporary is removed).
void commit_temporary(const std::string& temporary, const std::string& path);
/// True for the names temporary_path_for() makes ("<name>.tmp.<digits>"): leftovers of a killed run.
bool is_temporary_name(const std::string& file_name);
/// Remove the leftover temporaries of killed runs from `dir` (not recursive); returns their count.
std::size_t remove_stale_temporaries(const std::string& dir);

/// Refuse an existing non-empty output folder unless `overwrite` (IoError, exit code 4), before any
/// work: `run` and `sweep` share this rule.
void check_output_folder(const std::string& dir, bool overwrite);
/// Create the output folder and its parents (IoError on failure).
void create_output_folder(const std::string& dir);

}  // namespace hepaflow::io
