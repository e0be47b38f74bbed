#include "hepaflow/parallel/mpi.hpp"

#include <cstdlib>
#include <vector>

#include "hepaflow/error.hpp"

#ifdef HEPAFLOW_WITH_MPI
#include <mpi.h>
#endif

namespace hepaflow::parallel {

namespace {
bool we_initialised = false;
std::vector<void (*)()> finalizers;
}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

void on_finalize(void (*finalizer)()) { finalizers.push_back(finalizer); }

#ifdef HEPAFLOW_WITH_MPI

bool built_with_mpi() { return true; }

void initialize(int* argc, char*** argv) {
  if (!launched_by_mpi() || active()) return;
  if (MPI_Init(argc, argv) != MPI_SUCCESS) throw Error(ExitCode::runtime_error, "MPI_Init failed");
  we_initialised = true;
}

bool active() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised && !finalised;
}

void finalize() {
  for (auto it = finalizers.rbegin(); it != finalizers.rend(); ++it) (*it)();
  finalizers.clear();
  if (we_initialised && active()) MPI_Finalize();
  we_initialised = false;
}

int rank() {
  if (!active()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  if (!active()) return 1;
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

int ranks_on_this_node() {
  if (size() <= 1) return 1;
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int n = 1;
  MPI_Comm_size(node, &n);
  MPI_Comm_free(&node);
  return n;
}

void abort_all(int exit_code) {
  if (active() && size() > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

void send_text(int destination, int tag, const std::string& text) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, destination, tag, MPI_COMM_WORLD);
}

std::string receive_text(int source, int tag, int* from) {
  MPI_Status status;
  MPI_Probe(source < 0 ? MPI_ANY_SOURCE : source, tag, MPI_COMM_WORLD, &status);
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (from) *from = status.MPI_SOURCE;
  return text;
}

bool message_waiting(int tag, int* from) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, &status);
  if (flag && from) *from = status.MPI_SOURCE;
  return flag != 0;
}

std::vector<double> allgather(const std::vector<double>& mine, const std::vector<int>& counts) {
  std::vector<int> displacements(counts.size(), 0);
  int total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displacements[r] = total;
    total += counts[r];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(),
                 displacements.data(), MPI_DOUBLE, MPI_COMM_WORLD);
  return all;
}

int broadcast_int(int value) {
  if (size() > 1) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return value;
}

std::string broadcast_text(const std::string& text) {
  if (size() <= 1) return text;
  int n = broadcast_int(static_cast<int>(text.size()));
  std::string out = rank() == 0 ? text : std::string(static_cast<std::size_t>(n), '\0');
  MPI_Bcast(out.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
  return out;
}

#else  // built without MPI: one rank of one

bool built_with_mpi() { return false; }
void initialize(int*, char***) {}
bool active() { return false; }
void finalize() {
  for (auto it = finalizers.rbegin(); it != finalizers.rend(); ++it) (*it)();
  finalizers.clear();
}
int rank() { return 0; }
int size() { return 1; }
int ranks_on_this_node() { return 1; }
void abort_all(int exit_code) { std::exit(exit_code); }
void send_text(int, int, const std::string&) {
  throw Error(ExitCode::runtime_error, "internal: send_text without MPI");
}
std::string receive_text(int, int, int*) { throw Error(ExitCode::runtime_error, "internal: receive_text without MPI"); }
bool message_waiting(int, int*) { return false; }
std::vector<double> allgather(const std::vector<double>& mine, const std::vector<int>&) { return mine; }
int broadcast_int(int value) { return value; }
std::string broadcast_text(const std::string& text) { return text; }

#endif

}  // namespace hepaflow::parallel
