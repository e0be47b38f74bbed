// hepaflow sweep: run a case over the cartesian product of --param value lists and tabulate the
// members in DIR/sweep.csv. Each member is a child `hepaflow run` process (this same executable),
// so a member that crashes, runs out of memory or fails does not take the others down.
//
// Under mpirun/srun (MPI build) the same loop runs on every rank; only where a member's index comes
// from differs: rank 0 hands out the next index on request (dynamic load balancing: a rank asks
// when one of its slots is free, so cheap and costly members even out) and runs members itself
// between requests; every rank sends each finished member's status and metrics to rank 0, which
// writes the one sweep.csv and sweep_log.txt. Member runs and the table are the single-process code.
//
// Order of work: parse the --param lists (usage errors, exit 2) -> load_case() every member
// in-process (invalid members, exit 3) -> output folder check (exit 4) -> run the members, up to
// --jobs at once -> sweep.csv + sweep_log.txt. Nothing is written before the members run.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "hepaflow/device_array.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/parallel/mpi.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace hepaflow::app {

namespace {

using clock_type = std::chrono::steady_clock;

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// The whole of `text` is a number (strtod's syntax); `value` receives it.
bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

/// Shortest of %.15g / %.17g that reads back as the same double (0.3 stays "0.3").
std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", x);
  if (std::strtod(buf, nullptr) != x) std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// A value as a person reads it: one pair of surrounding TOML quotes removed ("\"F3\"" -> F3).
std::string shown_value(const std::string& v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front() &&
      v.find(v.front(), 1) == v.size() - 1)
    return v.substr(1, v.size() - 2);
  return v;
}

/// load_case() reports a bare number for a quantity key as
///   --set table.key: table.key = 4 needs a unit, e.g. "4 cP"
/// The unit of that example for `key`, or "" when the message has no such line for it. Reading the
/// unit from the message keeps the case schema (case_config.cpp) the one place that knows units.
std::string unit_from_message(const std::string& message, const std::string& key) {
  const std::string where = "--set " + key + ":";
  const std::string marker = "needs a unit, e.g. \"";
  std::istringstream lines(message);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(where, 0) != 0) continue;
    const auto at = line.find(marker);
    if (at == std::string::npos) continue;
    const auto begin = at + marker.size();
    const auto end = line.find('"', begin);
    const std::string example = line.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    const auto space = example.find(' ');  // "<number> <unit>"
    if (space != std::string::npos) return trim(example.substr(space + 1));
  }
  return "";
}

/// One --param: its key as given and, per value, the text given to the member's --set and the
/// text shown in sweep.csv (they differ when a unit was appended or quotes removed).
struct SweepParam {
  std::string key;
  std::vector<std::string> given, override_value, shown;
  bool unit_appended = false;
};

SweepParam parse_param(const std::string& text) {
  SweepParam p;
  const auto eq = text.find('=');
  p.key = trim(text.substr(0, eq));
  if (eq == std::string::npos || p.key.empty() || p.key.find('.') == std::string::npos)
    throw UsageError("--param '" + text + "': write table.key=v1,v2,... (e.g. blood.haematocrit=0.3,0.45)");
  p.given = split_sweep_values(text.substr(eq + 1));
  for (const std::string& v : p.given)
    if (v.empty()) throw UsageError("--param '" + text + "': empty value in the list");
  p.override_value = p.given;
  for (const std::string& v : p.given) p.shown.push_back(shown_value(v));
  return p;
}

struct Member {
  std::size_t index = 0;
  std::vector<std::size_t> choice;  ///< value index per --param
  std::string folder;               ///< run_NNN
  pid_t pid = 0;
  clock_type::time_point started;
  int exit_code = -1;               ///< process exit status; 128 + signal when killed
  int signal = 0;
  double seconds = 0;
  std::string stderr_tail;          ///< its last stderr lines, joined by " | "
  std::vector<std::pair<std::string, double>> metrics;  ///< from its history.csv or summary.json
  int rank = 0;                     ///< the MPI rank that ran it
  bool ok() const { return exit_code == 0; }
  std::string status() const {
    if (ok()) return "ok";
    return signal ? "failed: signal " + std::to_string(signal) : "failed: exit " + std::to_string(exit_code);
  }
};

std::vector<std::string> member_overrides(const std::vector<std::string>& fixed, const std::vector<SweepParam>& params,
                                          const Member& m) {
  std::vector<std::string> o = fixed;  // the member's values last: they win over a --set of the same key
  for (std::size_t p = 0; p < params.size(); ++p) o.push_back(params[p].key + "=" + params[p].override_value[m.choice[p]]);
  return o;
}

std::string member_label(const std::vector<SweepParam>& params, const Member& m) {
  std::string s;
  for (std::size_t p = 0; p < params.size(); ++p)
    s += (p ? ", " : "") + params[p].key + "=" + params[p].shown[m.choice[p]];
  return s;
}


std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The last `count` non-empty lines of `text`, joined by " | " (one line in sweep_log.txt).
std::string last_lines(const std::string& text, std::size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!trim(line).empty()) lines.push_back(trim(line));
  std::string s;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
    s += (s.empty() ? "" : " | ") + lines[i];
  return s;
}

/// The environment of the children: ours with OMP_NUM_THREADS replaced, so `jobs` members at once
/// share the cores instead of each starting one OpenMP thread per core, and without the variables
/// an MPI launcher gives its ranks (OMPI_*, PMIX_*, PMI_*): a member is a process of its own, not a
/// rank of the sweep's job (a member that uses PETSc starts MPI as a singleton).
std::vector<std::string> child_environment(int omp_threads) {
  std::vector<std::string> env;
  auto starts = [](const char* s, const char* prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; };
  for (char** e = environ; e && *e; ++e) {
    if (starts(*e, "OMP_NUM_THREADS=")) continue;
    const bool launcher = (starts(*e, "OMPI_") && !starts(*e, "OMPI_ALLOW_RUN_AS_ROOT")) || starts(*e, "PMIX_") ||
                          starts(*e, "PMI_");
    if (!launcher) env.emplace_back(*e);
  }
  env.push_back("OMP_NUM_THREADS=" + std::to_string(omp_threads));
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// CPUs this process may run on (its affinity mask: an MPI launcher that binds ranks to cores
/// narrows it); when a launcher put several unbound ranks on this node, their share of it.
int usable_cpus() {
  const int hardware = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  int cpus = hardware;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  const int node_ranks = parallel::ranks_on_this_node();  // collective: every rank asks
  if (cpus >= hardware && node_ranks > 1) cpus = std::max(1, hardware / node_ranks);
  return cpus;
}

/// A finished member's outcome as one message to rank 0 (doubles as hex floats: exact).
std::string encode_result(const Member& m) {
  std::ostringstream o;
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%a", m.seconds);
  o << m.index << "\n" << m.exit_code << "\n" << m.signal << "\n" << seconds << "\n" << m.stderr_tail << "\n";
  for (const auto& [name, value] : m.metrics) {
    char v[64];
    std::snprintf(v, sizeof v, "%a", value);
    o << name << "\t" << v << "\n";
  }
  return o.str();
}

/// Read a message of encode_result() into its member of `members`; returns that member.
Member& decode_result(const std::string& text, std::vector<Member>& members, int from) {
  std::istringstream in(text);
  std::string line;
  auto next = [&] {
    if (!std::getline(in, line)) throw Error(ExitCode::runtime_error, "sweep: truncated result message from rank " + std::to_string(from));
    return line;
  };
  const std::size_t index = std::stoul(next());
  if (index >= members.size()) throw Error(ExitCode::runtime_error, "sweep: bad member index from rank " + std::to_string(from));
  Member& m = members[index];
  m.exit_code = std::stoi(next());
  m.signal = std::stoi(next());
  m.seconds = std::strtod(next().c_str(), nullptr);
  m.stderr_tail = next();
  m.rank = from;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) m.metrics.emplace_back(line.substr(0, tab), std::strtod(line.c_str() + tab + 1, nullptr));
  }
  return m;
}

// Message tags of the distributed sweep.
constexpr int tag_request = 1;  ///< rank -> 0: give me a member (empty)
constexpr int tag_assign = 2;   ///< 0 -> rank: its index, or -1: none left
constexpr int tag_result = 3;   ///< rank -> 0: encode_result() of a finished member

}  // namespace

std::vector<std::string> split_sweep_values(const std::string& list) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;   // [] and {} (TOML arrays and inline tables)
  char quote = 0;  // inside "..." or '...'
  for (std::size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (quote) {
      current += c;
      if (c == '\\' && quote == '"' && i + 1 < list.size()) current += list[++i];  // TOML basic-string escape
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '{') ++depth;
    else if ((c == ']' || c == '}') && depth > 0) --depth;
    else if (c == ',' && depth == 0) {
      out.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(trim(current));
  return out;
}

std::vector<std::pair<std::string, double>> history_metrics(const std::string& csv_text) {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  std::istringstream in(csv_text);
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (trim(line).empty()) continue;
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) fields.push_back(trim(cell));
    if (line.back() == ',') fields.emplace_back();
    if (header.empty()) {
      header = fields;
      continue;
    }
    if (fields.size() != header.size())
      throw InputError("history.csv line " + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                       " fields, the header has " + std::to_string(header.size()));
    std::vector<double> row(fields.size());
    for (std::size_t c = 0; c < fields.size(); ++c)
      if (!parse_number(fields[c], row[c]))
        throw InputError("history.csv line " + std::to_string(line_no) + ", column " + header[c] + ": '" + fields[c] +
                         "' is not a number");
    rows.push_back(std::move(row));
  }
  if (header.empty()) throw InputError("history.csv is empty");
  const auto time_it = std::find(header.begin(), header.end(), "time_d");
  if (time_it == header.end()) throw InputError("history.csv has no time_d column");
  if (rows.empty()) throw InputError("history.csv has a header but no rows");
  const std::size_t t = static_cast<std::size_t>(time_it - header.begin());
  for (std::size_t r = 1; r < rows.size(); ++r)
    if (rows[r][t] < rows[r - 1][t]) throw InputError("history.csv: time_d decreases after row " + std::to_string(r));

  // Counters and bookkeeping columns are no metrics of the model.
  static const std::set<std::string> skipped{"step", "time_d", "segments", "sprouts", "wall_time_s"};
  std::vector<std::pair<std::string, double>> out;
  const double span = rows.back()[t] - rows.front()[t];
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (skipped.count(header[c])) continue;
    const double first = rows.front()[c], last = rows.back()[c];
    double mean = last;  // one row: its value
    if (rows.size() > 1) {
      double sum = 0;
      if (span > 0) {  // time-weighted: uneven steps count by their length
        for (std::size_t r = 1; r < rows.size(); ++r)
          sum += 0.5 * (rows[r][c] + rows[r - 1][c]) * (rows[r][t] - rows[r - 1][t]);
        mean = sum / span;
      } else {  // all rows at one time: no time to weight by
        for (const auto& row : rows) sum += row[c];
        mean = sum / static_cast<double>(rows.size());
      }
    }
    out.emplace_back("final_" + header[c], last);
    out.emplace_back("mean_" + header[c], mean);
    out.emplace_back("change_" + header[c], last - first);
  }
  return out;
}

std::vector<std::pair<std::string, double>> summary_metrics(const std::string& json_text) {
  // summary.json is written by io::JsonObject (no reader in io/): a minimal scanner for one
  // object's top-level members is all the sweep needs.
  const std::string& s = json_text;
  std::size_t i = 0;
  auto fail = [&](const std::string& why) {
    return InputError("summary.json: " + why + " at character " + std::to_string(i));
  };
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto read_string = [&] {  // at the opening quote
    std::string out;
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;  // keys are plain ASCII; escapes kept as their character
      out += s[i];
    }
    if (i >= s.size()) throw fail("unterminated string");
    ++i;
    return out;
  };
  auto skip_nested = [&] {  // at '{' or '['
    int depth = 0;
    while (i < s.size()) {
      if (s[i] == '"') {
        read_string();
        continue;
      }
      if (s[i] == '{' || s[i] == '[') ++depth;
      if (s[i] == '}' || s[i] == ']') --depth;
      ++i;
      if (depth == 0) return;
    }
    throw fail("unterminated object or array");
  };

  std::vector<std::pair<std::string, double>> out;
  skip_space();
  if (i >= s.size() || s[i] != '{') throw fail("expected an object");
  ++i;
  while (true) {
    skip_space();
    if (i < s.size() && s[i] == '}') break;
    if (i >= s.size() || s[i] != '"') throw fail("expected a key");
    const std::string key = read_string();
    skip_space();
    if (i >= s.size() || s[i] != ':') throw fail("expected ':'");
    ++i;
    skip_space();
    if (i >= s.size()) throw fail("expected a value");
    if (s[i] == '"') {
      read_string();
    } else if (s[i] == '{' || s[i] == '[') {
      skip_nested();
    } else {  // number, true, false or null: only numbers are metrics
      const std::size_t begin = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      double value = 0;
      // wall_time_s is bookkeeping, as in history_metrics(): a table of the same members is the same table.
      if (key != "wall_time_s" && parse_number(s.substr(begin, i - begin), value)) out.emplace_back("final_" + key, value);
    }
    skip_space();
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '}') break;
    throw fail("expected ',' or '}'");
  }
  return out;
}

int sweep_command(const SweepArguments& args) {
  // 1. The members: cartesian product, the first --param varying slowest.
  std::vector<SweepParam> params;
  for (const std::string& text : args.params) {
    params.push_back(parse_param(text));
    for (std::size_t p = 0; p + 1 < params.size(); ++p)
      if (params[p].key == params.back().key) throw UsageError("--param " + params.back().key + " is given twice");
  }
  if (params.empty()) throw UsageError("sweep needs at least one --param table.key=v1,v2,...");
  std::size_t count = 1;
  for (const SweepParam& p : params) count *= p.given.size();
  const std::size_t width = std::max<std::size_t>(3, std::to_string(count - 1).size());
  std::vector<Member> members(count);
  for (std::size_t k = 0; k < count; ++k) {
    Member& m = members[k];
    m.index = k;
    m.choice.resize(params.size());
    std::size_t rest = k;
    for (std::size_t p = params.size(); p-- > 0;) {  // last --param varies fastest
      m.choice[p] = rest % params[p].given.size();
      rest /= params[p].given.size();
    }
    const std::string number = std::to_string(k);
    m.folder = "run_" + std::string(width - number.size(), '0') + number;
  }

  // 2. Validate every member in-process before anything runs or is written. A bare number for a
  //    quantity key is retried with the unit load_case() names (said once per key).
  const int rank = parallel::rank(), ranks = parallel::size();
  const bool quiet = args.quiet || rank != 0;  // one voice: rank 0's
  std::string problems, case_name;
  std::set<std::string> backends;
  for (const Member& m : members) {
    while (true) {
      try {
        const CaseConfig config = load_case(args.case_path, member_overrides(args.overrides, params, m));
        if (m.index == 0) case_name = config.name;
        backends.insert(args.backend.empty() ? config.solver.backend : args.backend);
        break;
      } catch (const InputError& e) {
        bool retry = false;
        for (std::size_t p = 0; p < params.size(); ++p) {
          SweepParam& param = params[p];
          const std::size_t v = m.choice[p];
          double number = 0;
          if (param.override_value[v] != param.given[v] || !parse_number(param.given[v], number)) continue;
          const std::string unit = unit_from_message(e.what(), param.key);
          if (unit.empty()) continue;
          param.shown[v] = param.given[v] + " " + unit;
          param.override_value[v] = "\"" + param.shown[v] + "\"";
          if (!param.unit_appended && !quiet)
            std::cerr << "sweep: " << param.key << " needs a unit: bare numbers taken in " << unit << " (" << param.given[v]
                      << " -> \"" << param.shown[v] << "\")\n";
          param.unit_appended = true;
          retry = true;
        }
        if (!retry) {
          std::string indented = e.what();
          for (std::size_t at = 0; (at = indented.find('\n', at)) != std::string::npos; at += 5) indented.insert(at + 1, "    ");
          problems += "\n  " + m.folder + " (" + member_label(params, m) + "):\n    " + indented;
          break;
        }
      }
    }
  }
  if (!problems.empty()) throw InputError("sweep: invalid members, nothing was run:" + problems);
  // A CUDA backend that is not there fails every member alike: say so once (exit 6), up front.
  if (backends.count("cuda")) select_backend("cuda");

  // 3. Output folder (rank 0 checks and creates it; the others wait for it: a failure there ends
  //    the job through main's abort).
  const std::string out_dir = args.output_dir.empty() ? "results/" + case_name + "_sweep" : args.output_dir;
  std::error_code ec;
  if (rank == 0) {
    io::check_output_folder(out_dir, args.overwrite);
    fs::create_directories(out_dir, ec);
    if (ec) throw IoError("cannot create output folder " + out_dir + ": " + ec.message());
  }
  parallel::broadcast_int(1);
  const std::string dir = out_dir + "/";

  // 4. Run the members as child processes of this executable, up to `jobs` at once per rank.
  const int cpus = usable_cpus();
  int jobs = args.jobs > 0 ? args.jobs : std::max(1, cpus / 2);
  // Fewer members than slots: give them the cores.
  jobs = std::min<int>(jobs, static_cast<int>(std::max<std::size_t>(1, count / static_cast<std::size_t>(ranks))));
  const int omp_threads = std::max(1, cpus / jobs);
  std::vector<std::string> environment = child_environment(omp_threads);
  std::vector<char*> envp = c_strings(environment);
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) exe = "/proc/self/exe";
  if (!quiet)
    std::cerr << "sweep: " << count << " members of " << args.case_path << ", " << jobs << " at once"
              << (ranks > 1 ? " on each of " + std::to_string(ranks) + " MPI ranks" : std::string()) << " (OMP_NUM_THREADS="
              << omp_threads << " each) -> " << out_dir << "/\n";

  auto start = [&](Member& m) {
    const std::string folder = dir + m.folder;
    fs::create_directories(folder, ec);
    // The member's stderr goes to <folder>/stderr.txt (hence --overwrite: its folder is not empty;
    // the sweep already checked that the sweep folder may be written).
    std::vector<std::string> argv{"hepaflow", "run", args.case_path, "--output", folder, "-q", "--overwrite"};
    if (!args.backend.empty()) argv.insert(argv.end(), {"--backend", args.backend});
    for (const std::string& o : member_overrides(args.overrides, params, m)) argv.insert(argv.end(), {"--set", o});
    std::vector<char*> argv_c = c_strings(argv);
    const std::string stderr_path = folder + "/stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    m.started = clock_type::now();
    const int rc = posix_spawn(&m.pid, exe.c_str(), &actions, nullptr, argv_c.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {  // recorded like a failed member; the others still run
      m.pid = 0;
      m.exit_code = 127;
      m.stderr_tail = "cannot start " + exe.string() + ": " + std::strerror(rc);
    }
  };

  // A finished member's stderr tail and metrics (history.csv for time-dependent runs, else
  // summary.json), read on the rank that ran it.
  auto collect = [&](Member& m) {
    m.rank = rank;
    const std::string folder = dir + m.folder + "/";
    if (m.pid) {
      const std::string stderr_path = folder + "stderr.txt";
      std::string err;
      try {
        err = read_text(stderr_path);
      } catch (const IoError&) {
      }
      if (m.ok() && trim(err).empty()) fs::remove(stderr_path, ec);  // nothing to keep
      if (!m.ok()) m.stderr_tail = last_lines(err, 3);
    }
    if (!m.ok()) return;
    try {
      if (fs::exists(folder + "history.csv", ec)) m.metrics = history_metrics(read_text(folder + "history.csv"));
      else if (fs::exists(folder + "summary.json", ec)) m.metrics = summary_metrics(read_text(folder + "summary.json"));
    } catch (const Error& e) {  // a bad file costs this member's metrics, not the table
      std::cerr << "sweep: warning: " << m.folder << ": " << e.what() << " (no metrics for it)\n";
    }
  };
  std::size_t finished = 0;
  auto report = [&](const Member& m) {
    ++finished;
    if (quiet) return;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f s", m.seconds);
    std::cerr << "[" << finished << "/" << count << "] " << m.folder << " (" << member_label(params, m)
              << "): " << m.status() << ", " << seconds << (ranks > 1 ? ", rank " + std::to_string(m.rank) : "")
              << (m.ok() ? "" : ": " + m.stderr_tail) << "\n";
  };
  // Rank 0 holds the work queue; the others ask it for indices and send it their results.
  std::size_t next = 0;
  int ranks_done = 0;  // rank 0: other ranks told that no member is left
  auto deliver = [&](Member& m) {
    if (rank == 0) report(m);
    else parallel::send_text(0, tag_result, encode_result(m));
  };
  auto serve = [&] {  // rank 0: answer requests, take in results
    int from = 0;
    while (parallel::message_waiting(tag_request, &from)) {
      parallel::receive_text(from, tag_request);
      const long index = next < count ? static_cast<long>(next++) : -1L;
      if (index < 0) ++ranks_done;
      parallel::send_text(from, tag_assign, std::to_string(index));
    }
    while (parallel::message_waiting(tag_result, &from)) {
      report(decode_result(parallel::receive_text(from, tag_result), members, from));
    }
  };
  auto next_index = [&]() -> long {
    if (rank == 0) return next < count ? static_cast<long>(next++) : -1L;
    parallel::send_text(0, tag_request, "");
    return std::stol(parallel::receive_text(0, tag_assign));
  };

  std::map<pid_t, Member*> running;
  bool exhausted = false;
  auto all_done = [&] {
    if (!exhausted || !running.empty()) return false;
    return rank != 0 || (finished == count && ranks_done == ranks - 1);
  };
  while (!all_done()) {
    while (!exhausted && static_cast<int>(running.size()) < jobs) {
      const long k = next_index();
      if (k < 0) {
        exhausted = true;
        break;
      }
      Member& m = members[static_cast<std::size_t>(k)];
      start(m);
      if (m.pid) {
        running[m.pid] = &m;
      } else {  // could not start: recorded like a failed member
        collect(m);
        deliver(m);
      }
    }
    if (rank == 0 && ranks > 1) serve();
    if (running.empty()) {
      if (ranks > 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    // One rank alone blocks in waitpid; rank 0 of several polls, so it keeps serving the others.
    int status = 0;
    const pid_t pid = waitpid(-1, &status, rank == 0 && ranks > 1 ? WNOHANG : 0);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw Error(ExitCode::runtime_error, std::string("sweep: waitpid failed: ") + std::strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not a member
    Member& m = *it->second;
    running.erase(it);
    m.seconds = std::chrono::duration<double>(clock_type::now() - m.started).count();
    if (WIFSIGNALED(status)) {
      m.signal = WTERMSIG(status);
      m.exit_code = 128 + m.signal;
    } else {
      m.exit_code = WEXITSTATUS(status);
    }
    collect(m);
    deliver(m);
  }
  if (rank != 0) return 0;  // rank 0 writes the table and reports

  // 5. The table: columns in the order the members (by index) first name them.
  std::vector<std::string> columns;
  std::set<std::string> known;
  std::vector<std::map<std::string, double>> values(count);
  for (const Member& m : members)
    for (const auto& [name, value] : m.metrics) {
      if (known.insert(name).second) columns.push_back(name);
      values[m.index][name] = value;
    }

  io::write_file_atomically(dir + "sweep.csv", [&](std::ostream& o) {
    o << "run,folder";
    for (const SweepParam& p : params) o << "," << csv_field(p.key);
    o << ",status";
    for (const std::string& c : columns) o << "," << csv_field(c);
    o << "\n";
    for (const Member& m : members) {
      o << m.index << "," << m.folder;
      for (std::size_t p = 0; p < params.size(); ++p) o << "," << csv_field(params[p].shown[m.choice[p]]);
      o << "," << m.status();
      for (const std::string& c : columns) {
        const auto it = values[m.index].find(c);
        o << "," << (it == values[m.index].end() ? "" : format_number(it->second));
      }
      o << "\n";
    }
  });
  io::write_file_atomically(dir + "sweep_log.txt", [&](std::ostream& o) {
    for (const Member& m : members) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3f s", m.seconds);
      std::string label;
      for (std::size_t p = 0; p < params.size(); ++p)
        label += (p ? " " : "") + params[p].key + "=" + params[p].shown[m.choice[p]];
      o << m.index << "  " << label << "  exit " << m.exit_code << "  " << seconds;
      if (ranks > 1) o << "  rank " << m.rank;
      if (!m.ok()) o << "  stderr: " << m.stderr_tail;
      o << "\n";
    }
  });

  // 6. Exit code: 0 all ok; 5 when a member did not converge; else 1.
  std::string failed;
  std::size_t failures = 0;
  bool no_convergence = false;
  for (const Member& m : members) {
    if (m.ok()) continue;
    ++failures;
    no_convergence = no_convergence || m.exit_code == static_cast<int>(ExitCode::no_convergence);
    failed += "\n  " + m.folder + " (" + member_label(params, m) + "): " + m.status() +
              (m.stderr_tail.empty() ? "" : ": " + m.stderr_tail);
  }
  if (failures) {
    const std::string message = "sweep: " + std::to_string(failures) + " of " + std::to_string(count) +
                                " members failed (table: " + dir + "sweep.csv):" + failed;
    if (no_convergence) throw ConvergenceError(message);
    throw Error(ExitCode::runtime_error, message);
  }
  if (!args.quiet) std::cout << "results: " << fs::absolute(out_dir).string() << "\n";
  return 0;
}

}  // namespace hepaflow::app
