#include "petsc_solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>

#include "hepaflow/error.hpp"
#include "hepaflow/parallel/mpi.hpp"

#ifdef HEPAFLOW_WITH_PETSC
#include <petscksp.h>
#endif

namespace hepaflow::detail {

std::vector<int> coordinate_bisection(const std::vector<double>& position, int parts) {
  const std::size_t n = position.size() / 3;
  std::vector<int> part(n, 0);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Split [begin, end) of `order` into `count` parts numbered from `first`.
  struct Range {
    std::size_t begin, end;
    int first, count;
  };
  std::vector<Range> stack{{0, n, 0, std::max(1, parts)}};
  while (!stack.empty()) {
    const Range r = stack.back();
    stack.pop_back();
    if (r.count == 1 || r.end - r.begin < 2) {
      for (std::size_t i = r.begin; i < r.end; ++i) part[order[i]] = r.first;
      continue;
    }
    int axis = 0;
    double widest = -1;
    for (int a = 0; a < 3; ++a) {
      double lo = INFINITY, hi = -INFINITY;
      for (std::size_t i = r.begin; i < r.end; ++i) {
        lo = std::min(lo, position[3 * order[i] + a]);
        hi = std::max(hi, position[3 * order[i] + a]);
      }
      if (hi - lo > widest) widest = hi - lo, axis = a;
    }
    const int left = r.count / 2;
    const std::size_t mid = r.begin + (r.end - r.begin) * static_cast<std::size_t>(left) / static_cast<std::size_t>(r.count);
    // Ties broken by index: the split is the same on every rank and every run.
    std::nth_element(order.begin() + static_cast<long>(r.begin), order.begin() + static_cast<long>(mid),
                     order.begin() + static_cast<long>(r.end), [&](std::size_t p, std::size_t q) {
                       const double a = position[3 * p + axis], b = position[3 * q + axis];
                       return a < b || (a == b && p < q);
                     });
    stack.push_back({r.begin, mid, r.first, left});
    stack.push_back({mid, r.end, r.first + left, r.count - left});
  }
  return part;
}

PartitionCut partition_cut(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                           const std::vector<int>& part, int parts) {
  PartitionCut c;
  c.parts = parts;
  c.rows = static_cast<long long>(part.size());
  std::vector<long long> size(static_cast<std::size_t>(parts), 0), cut(static_cast<std::size_t>(parts), 0);
  for (std::size_t i = 0; i < part.size(); ++i) {
    ++size[static_cast<std::size_t>(part[i])];
    for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k)
      if (part[static_cast<std::size_t>(col[k])] != part[i]) ++cut[static_cast<std::size_t>(part[i])];
  }
  for (int p = 0; p < parts; ++p) {
    c.largest_part = std::max(c.largest_part, size[static_cast<std::size_t>(p)]);
    c.max_part_cut = std::max(c.max_part_cut, cut[static_cast<std::size_t>(p)]);
    c.cut_entries += cut[static_cast<std::size_t>(p)];
  }
  return c;
}

#ifdef HEPAFLOW_WITH_PETSC

bool petsc_available() { return true; }

namespace {

void finalize_petsc() {
  PetscBool finalized = PETSC_FALSE;
  PetscFinalized(&finalized);
  if (PetscInitializeCalled && !finalized) PetscFinalize();
}

void check(PetscErrorCode code, const char* what) {
  if (code) throw Error(ExitCode::runtime_error, std::string("PETSc: ") + what + " failed (error " + std::to_string(code) + ")");
}

}  // namespace

void petsc_solve(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col, const std::vector<double>& val,
                 const std::vector<double>& b, const std::vector<double>& position, const PetscSolveOptions& options,
                 std::vector<double>& x, PetscSolveReport& report) {
  using clock_type = std::chrono::steady_clock;
  const auto t0 = clock_type::now();
  if (!PetscInitializeCalled) {
    // Uses MPI as main started it under mpirun, else starts MPI itself (one rank).
    check(PetscInitializeNoArguments(), "PetscInitialize");
    parallel::on_finalize(finalize_petsc);
  }
  const int ranks = parallel::size(), me = parallel::rank();
  const auto n = static_cast<PetscInt>(row_ptr.size() - 1);
  report = PetscSolveReport{};
  report.ranks = ranks;
  x.assign(static_cast<std::size_t>(n), 0.0);
  if (n == 0) return;

  // Partition and the global numbering: rows of part 0 first, each part in row order.
  const std::vector<int> part = coordinate_bisection(position, ranks);
  std::vector<PetscInt> global(static_cast<std::size_t>(n)), part_begin(static_cast<std::size_t>(ranks) + 1, 0);
  for (PetscInt i = 0; i < n; ++i) ++part_begin[static_cast<std::size_t>(part[i]) + 1];
  for (int p = 0; p < ranks; ++p) part_begin[p + 1] += part_begin[p];
  {
    std::vector<PetscInt> fill(part_begin.begin(), part_begin.end() - 1);
    for (PetscInt i = 0; i < n; ++i) global[i] = fill[part[i]]++;
  }
  std::vector<PetscInt> local_rows;  // original row numbers this rank owns, in global order
  for (PetscInt i = 0; i < n; ++i)
    if (part[i] == me) local_rows.push_back(i);
  const auto n_local = static_cast<PetscInt>(local_rows.size());
  const PetscInt first = part_begin[me], last = part_begin[me + 1];
  const PartitionCut cut = partition_cut(row_ptr, col, part, ranks);
  report.cut_entries = cut.cut_entries;
  report.max_rank_rows = cut.largest_part;

  // This rank's rows of the MPIAIJ matrix, preallocated exactly (diagonal / off-diagonal blocks).
  std::vector<PetscInt> d_nnz(static_cast<std::size_t>(n_local)), o_nnz(static_cast<std::size_t>(n_local));
  for (PetscInt r = 0; r < n_local; ++r) {
    const PetscInt i = local_rows[r];
    for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      const PetscInt g = global[col[k]];
      (g >= first && g < last ? d_nnz : o_nnz)[r]++;
    }
  }
  Mat a;
  Vec rhs, sol;
  KSP ksp;
  check(MatCreateAIJ(PETSC_COMM_WORLD, n_local, n_local, n, n, 0, d_nnz.data(), 0, o_nnz.data(), &a), "MatCreateAIJ");
  std::vector<PetscInt> cols;
  std::vector<PetscScalar> vals;
  for (PetscInt r = 0; r < n_local; ++r) {
    const PetscInt i = local_rows[r], g = first + r;
    cols.clear();
    vals.clear();
    for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      cols.push_back(global[col[k]]);
      vals.push_back(val[k]);
    }
    check(MatSetValues(a, 1, &g, static_cast<PetscInt>(cols.size()), cols.data(), vals.data(), INSERT_VALUES),
          "MatSetValues");
  }
  check(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  check(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  check(MatSetOption(a, MAT_SPD, PETSC_TRUE), "MatSetOption");
  check(MatCreateVecs(a, &sol, &rhs), "MatCreateVecs");

  // CG + GAMG, stopping on the true (unpreconditioned) relative residual like hepaflow's own PCG;
  // PETSC_OPTIONS, then solver.petsc_options, then the command line's -ksp_*/-pc_* options override
  // any of it. They go into an options database of this solve only (pushed, popped at the end), so
  // one solve's options do not leak into the next.
  PetscOptions database;
  check(PetscOptionsCreate(&database), "PetscOptionsCreate");
  check(PetscOptionsInsert(database, nullptr, nullptr, nullptr), "PetscOptionsInsert");  // PETSC_OPTIONS
  if (!options.options.empty() && PetscOptionsInsertString(database, options.options.c_str())) {
    PetscOptionsDestroy(&database);
    throw InputError("solver.petsc_options: PETSc cannot read '" + options.options + "'");
  }
  check(PetscOptionsPush(database), "PetscOptionsPush");
  check(KSPCreate(PETSC_COMM_WORLD, &ksp), "KSPCreate");
  check(KSPSetOperators(ksp, a, a), "KSPSetOperators");
  check(KSPSetType(ksp, KSPCG), "KSPSetType");
  PC pc;
  check(KSPGetPC(ksp, &pc), "KSPGetPC");
  check(PCSetType(pc, PCGAMG), "PCSetType");
  check(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
  check(KSPSetTolerances(ksp, options.tolerance, 0.0, PETSC_DEFAULT, options.max_iterations), "KSPSetTolerances");
  check(KSPSetFromOptions(ksp), "KSPSetFromOptions");
  check(KSPSetUp(ksp), "KSPSetUp (preconditioner setup)");
  report.seconds_setup = std::chrono::duration<double>(clock_type::now() - t0).count();
  const auto t1 = clock_type::now();

  // Iterative refinement (Higham, Accuracy and Stability of Numerical Algorithms, §12.1): the
  // residual b - A x recomputed in long double on the replicated system; while it exceeds the
  // tolerance, solve A d = r with the same KSP (its preconditioner set up once) and add d.
  std::vector<double> r = b;
  const long double b_norm = std::sqrt(std::inner_product(b.begin(), b.end(), b.begin(), 0.0L));
  VecScatter to_all;
  Vec gathered;
  check(VecScatterCreateToAll(sol, &to_all, &gathered), "VecScatterCreateToAll");
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  double reached = 1.0;
  bool at_working_precision = false;
  int passes = 0;
  for (int pass = 0; pass < 4; ++pass) {
    ++passes;
    for (PetscInt k = 0; k < n_local; ++k) check(VecSetValue(rhs, first + k, r[local_rows[k]], INSERT_VALUES), "VecSetValue");
    check(VecAssemblyBegin(rhs), "VecAssemblyBegin");
    check(VecAssemblyEnd(rhs), "VecAssemblyEnd");
    if (pass > 0) {  // the correction needs only the relative accuracy that brings the residual under tol
      const double inner = std::clamp(0.5 * options.tolerance / reached, 1e-12, 1e-2);
      check(KSPSetTolerances(ksp, inner, 0.0, PETSC_DEFAULT, options.max_iterations - report.iterations), "KSPSetTolerances");
    }
    check(KSPSolve(ksp, rhs, sol), "KSPSolve");
    PetscInt its = 0;
    check(KSPGetIterationNumber(ksp, &its), "KSPGetIterationNumber");
    check(KSPGetConvergedReason(ksp, &reason), "KSPGetConvergedReason");
    report.iterations += static_cast<int>(its);
    if (reason < 0) break;
    check(VecScatterBegin(to_all, sol, gathered, INSERT_VALUES, SCATTER_FORWARD), "VecScatterBegin");
    check(VecScatterEnd(to_all, sol, gathered, INSERT_VALUES, SCATTER_FORWARD), "VecScatterEnd");
    const PetscScalar* d = nullptr;
    check(VecGetArrayRead(gathered, &d), "VecGetArrayRead");
    double correction = 0, largest = 0;
    for (PetscInt i = 0; i < n; ++i) {
      x[i] += d[global[i]];
      correction = std::max(correction, std::abs(d[global[i]]));
      largest = std::max(largest, std::abs(x[i]));
    }
    // A correction below a few ulps of x changes nothing: x is the solution to working precision
    // and the residual left is its rounding floor (the same rule as the Jacobi-PCG path).
    at_working_precision = pass > 0 && correction <= 4e-16 * largest;
    check(VecRestoreArrayRead(gathered, &d), "VecRestoreArrayRead");
    long double r_norm2 = 0;
    for (PetscInt i = 0; i < n; ++i) {
      long double sum = b[i];
      for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) sum -= static_cast<long double>(val[k]) * x[col[k]];
      r[i] = static_cast<double>(sum);
      r_norm2 += sum * sum;
    }
    reached = b_norm > 0 ? static_cast<double>(std::sqrt(r_norm2) / b_norm) : 0.0;
    if (reached <= options.tolerance || at_working_precision) break;
  }
  KSPType ksp_type;
  PCType pc_type;
  KSPGetType(ksp, &ksp_type);
  PCGetType(pc, &pc_type);
  report.ksp_type = ksp_type ? ksp_type : "?";
  report.pc_type = pc_type ? pc_type : "?";
  report.reason = KSPConvergedReasons[reason];
  VecScatterDestroy(&to_all);
  VecDestroy(&gathered);
  KSPDestroy(&ksp);
  VecDestroy(&rhs);
  VecDestroy(&sol);
  MatDestroy(&a);
  PetscOptionsPop();
  PetscOptionsDestroy(&database);
  report.seconds_solve = std::chrono::duration<double>(clock_type::now() - t1).count();
  if (reason < 0) {
    std::ostringstream msg;
    msg << "pressure solve (PETSc " << report.ksp_type << " + " << report.pc_type << " on " << ranks
        << " ranks) did not converge: KSP reason " << report.reason << " after " << report.iterations
        << " iterations (tolerance " << options.tolerance
        << "; raise solver.max_iterations or change solver.petsc_options, e.g. \"-pc_type gamg\")";
    throw ConvergenceError(msg.str());
  }
  if (reached > options.tolerance && !at_working_precision) {
    std::ostringstream msg;
    msg << "pressure solve (PETSc " << report.ksp_type << " + " << report.pc_type << ") stopped at relative residual "
        << reached << " > tolerance " << options.tolerance << " after " << report.iterations
        << " iterations in " << passes << " refinement passes (KSP reason " << report.reason << ")";
    throw ConvergenceError(msg.str());
  }
}

#else  // built without PETSc

bool petsc_available() { return false; }
void petsc_solve(const std::vector<index_t>&, const std::vector<index_t>&, const std::vector<double>&,
                 const std::vector<double>&, const std::vector<double>&, const PetscSolveOptions&, std::vector<double>&,
                 PetscSolveReport&) {
  throw BackendUnavailableError(
      "solver.method = \"petsc\" needs PETSc and MPI, and this hepaflow was built without them "
      "(apt-get install libpetsc-real-dev libopenmpi-dev openmpi-bin and reconfigure; see docs/cluster.md)");
}

#endif

}  // namespace hepaflow::detail
