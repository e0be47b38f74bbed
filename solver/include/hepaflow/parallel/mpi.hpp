#pragma once
// The MPI layer of hepaflow (issue 10): which rank this process is, and the few messages the
// distributed sweep and the PETSc solve need. Without MPI (HEPAFLOW_WITH_MPI off, or a process not
// started by mpirun/srun) every call behaves as one rank of one: rank() 0, size() 1.
//
// MPI is initialised only in a process a launcher started (OMPI_COMM_WORLD_SIZE, PMIX_RANK or
// PMI_RANK in the environment): a plain `hepaflow run` and the child processes of a sweep never
// touch MPI unless they need PETSc (which then initialises it as a singleton).
#include <string>
#include <vector>

namespace hepaflow::parallel {

/// Whether this hepaflow was built with MPI.
bool built_with_mpi();
/// Whether the environment says a launcher (mpirun, mpiexec, srun) started this process as a rank.
bool launched_by_mpi();
/// MPI_Init when built with MPI and launched by a launcher (idempotent); main calls it first.
void initialize(int* argc, char*** argv);
/// Whether MPI is initialised in this process (by initialize() or by PETSc).
bool active();
/// PETSc's finalize (when it was initialised) and MPI_Finalize (when initialize() started MPI).
void finalize();
/// Register the finalizer of a library that sits on MPI (PETSc): run by finalize() before MPI_Finalize.
void on_finalize(void (*finalizer)());
int rank();
int size();
/// Ranks of this job on this node (MPI_Comm_split_type shared memory); 1 without MPI.
int ranks_on_this_node();
/// End every rank of the job with this exit code (MPI_Abort); plain exit without MPI.
[[noreturn]] void abort_all(int exit_code);

// Point-to-point messages between ranks of MPI_COMM_WORLD (the sweep's work queue). Tags are the
// caller's; source -1 means any rank.
void send_text(int destination, int tag, const std::string& text);
std::string receive_text(int source, int tag, int* from = nullptr);
/// Non-blocking probe: true when a message with `tag` from any rank is waiting (its sender in *from).
bool message_waiting(int tag, int* from);
/// Every rank's `mine` concatenated in rank order; counts[r] is rank r's length (known to all).
std::vector<double> allgather(const std::vector<double>& mine, const std::vector<int>& counts);
/// Rank 0's value to every rank (a collective: every rank must call it).
int broadcast_int(int value);
std::string broadcast_text(const std::string& text);

}  // namespace hepaflow::parallel
