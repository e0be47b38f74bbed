#pragma once
// The pressure solve distributed over MPI ranks through PETSc (solver.method = "petsc", issue 10).
// Every rank holds the whole reduced system (the network is replicated); the rows are split into
// one part per rank by recursive coordinate bisection of their node positions, each rank assembles
// its part's rows into an MPIAIJ matrix, KSP (CG + GAMG unless options say otherwise) solves, and
// the solution is gathered back to every rank.
#include <string>
#include <vector>

#include "hepaflow/network.hpp"

namespace hepaflow::detail {

bool petsc_available();

struct PetscSolveOptions {
  double tolerance = 1e-10;   ///< relative residual ||b - A x|| / ||b|| (the unpreconditioned norm)
  int max_iterations = 200000;
  std::string options;        ///< PETSc options (solver.petsc_options, then the command line's)
};

struct PetscSolveReport {
  int iterations = 0;
  int ranks = 1;
  std::string ksp_type, pc_type, reason;
  long long cut_entries = 0;   ///< off-part matrix entries summed over ranks = values received per SpMV
  long long max_rank_rows = 0; ///< largest part (rows)
  double seconds_setup = 0, seconds_solve = 0;
};

/// Solve A x = b (A SPD in full CSR, identical on every rank; `position` x,y,z per row for the
/// partition). x on every rank. ConvergenceError (exit 5) naming KSP's reason when it fails;
/// BackendUnavailableError (exit 6) in builds without PETSc.
void petsc_solve(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col, const std::vector<double>& val,
                 const std::vector<double>& b, const std::vector<double>& position, const PetscSolveOptions& options,
                 std::vector<double>& x, PetscSolveReport& report);

/// How a partition cuts the system: off-part entries (summed over parts: values one SpMV
/// exchanges), the largest part and the most entries any one part receives.
struct PartitionCut {
  int parts = 1;
  long long rows = 0, largest_part = 0, cut_entries = 0, max_part_cut = 0;
};
PartitionCut partition_cut(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                           const std::vector<int>& part, int parts);

/// Recursive coordinate bisection (Berger & Bokhari 1987): `parts` parts of near-equal size, each
/// split across the axis of largest extent. part[i] in [0, parts) for every point (x,y,z per point).
std::vector<int> coordinate_bisection(const std::vector<double>& position, int parts);

}  // namespace hepaflow::detail
