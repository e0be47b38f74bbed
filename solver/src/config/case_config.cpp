// Case files (TOML, schema_version 1) -> CaseConfig. DESIGN.md "Conventions", "Case file sketch".
//
// Schema (the table `schema()` below is the one source of truth; docs/case_reference.md is rendered
// from it by case_reference_markdown()):
//   schema_version = 1                       required, integer
//   [case]     name (required), description
//   [network]  exactly one of file (path relative to the case file) | generator
//              generator: lobule | lobule_block | ladder | tree | grid, with preset (human|rat),
//                         rings, layers (0 = preset default or >= 2), blocks [nx, ny], size [..], seed
//              file:      format (auto|dat|csv|vtp), length_unit ("1 um"), radius_array,
//                         radius_is_diameter
//              drop_unconnected
//   [blood]    viscosity_law (constant|pries1994_invivo|pries1992_invitro), viscosity ("3.5 cP"), plasma_viscosity ("1.2 cP"),
//              mcv ("90 fl"), phase_separation (none|pries_secomb_2005), haematocrit (0.45, in [0, 0.95])
//   [[boundary.node]]  id, exactly one of pressure ("8 mmHg") | flow ("2 nl/min"),
//              haematocrit (in [0, 1]), po2 ("40 mmHg")
//   [solver]   method (auto|pcg|direct|petsc), preconditioner (auto|jacobi|amg), petsc_options, tolerance (0 < tol < 1), max_iterations (>= 1),
//              backend (auto|cpu|cuda)
//   [output]   vtk (bool)
//   [oxygen]   tissue_model (none|krogh|grid), grid_spacing, grid_region, intravascular_resistance,
//              coupling_tolerance, coupling_max_iterations, inflow_po2, p50, hill_n, binding_capacity, solubility,
//              consumption_periportal/pericentral, km, hypoxia_threshold
//   [boundary] hold (pressure|inflow), total_inflow
//   [disease]  stage (none|F0..F4) and its preset values (zonal triples, septa, shunts), constriction,
//              coupling constants, time constants, VEGF/sprouting, function index, seed
//   [therapy]  regular schedule (dose, route, start, count, interval, site_um), delivery, residence,
//              signal and effect; [[therapy.infusion]] time, dose, route, site_um
//   [time]     end (required when present), step, output_interval, checkpoint_every
//
// Rules: dimensional values are strings with a unit ("6 mmHg"; a bare number is an error); unknown
// keys and tables are errors with "did you mean"; every problem is collected and all are thrown
// together as one InputError of "file:line:col: message" lines. --set overrides ("table.key=value",
// value parsed as TOML, else taken as a string) are merged into the document before validation;
// their problems are reported at "--set table.key".
//
// One place for each piece of logic: schema() (keys, types, defaults, ranges, docs, where each value
// is stored), check_value() (types, units, ranges), check_table() (unknown keys, defaults, the
// resolved TOML), check_case() (the document and the rules that span keys), apply_override().
#include "hepaflow/config/case_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <iterator>
#include <tuple>

#include "hepaflow/config/quantity.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

namespace fs = std::filesystem;
constexpr double inf = std::numeric_limits<double>::infinity();

// ---- the schema ---------------------------------------------------------------------------------

enum class Kind { string, choice, path, integer, number, boolean, quantity, int_array, number_array, quantity_array };

/// A checked value, ready to be stored into CaseConfig.
struct Value {
  std::string text;                   ///< string, choice, path (resolved), quantity (as written)
  std::int64_t integer = 0;           ///< integer
  double number = 0.0;                ///< number, quantity (SI)
  bool boolean = false;
  std::vector<std::int64_t> integers; ///< int_array
  std::vector<double> numbers;        ///< number_array, quantity_array (SI)
  std::vector<std::string> texts;     ///< quantity_array (as written)
};

using Store = void (*)(CaseConfig&, const Value&);

/// Allowed values of a number, an integer, a quantity (in SI) or each entry of an int_array.
struct Range {
  double lo = -inf, hi = inf;
  bool lo_open = false, hi_open = false;
  bool zero_too = false;  ///< 0 is allowed besides [lo, hi] ("0 = preset default")
};
Range at_least(double lo) { return {lo, inf, false, false, false}; }
Range positive() { return {0.0, inf, true, false, false}; }
Range closed(double lo, double hi) { return {lo, hi, false, false, false}; }
Range open(double lo, double hi) { return {lo, hi, true, true, false}; }
Range zero_or_at_least(double lo) { return {lo, inf, false, false, true}; }

/// One key of the case file. Built with the chained setters below.
struct Key {
  std::string table;               ///< "" top level; "boundary.node": each [[boundary.node]] entry
  std::string name;
  Kind kind = Kind::string;
  std::string default_toml;        ///< TOML text of the default; "" = no default
  bool required = false;           ///< no default, must be given (else: optional, may be absent)
  Dimension dimension = Dimension::dimensionless;  ///< quantity
  std::vector<std::string> choices;                ///< choice
  std::vector<std::string> planned;                ///< choice values named but not available yet
  std::string planned_note;        ///< why ("rheology is planned")
  Range range;
  std::size_t count = 0;           ///< arrays: number of entries (0 = any)
  /// Default that depends on keys read before (the [disease] stage preset): TOML text, "" = none.
  std::string (*dynamic_default)(const CaseConfig&, const std::string& name) = nullptr;
  std::string dynamic_default_doc; ///< how the reference names it ("stage preset")
  std::string variant;             ///< [network]: "file" / "generator" keys; "" = always
  std::string doc;
  Store store = nullptr;

  Key& def(std::string toml_text) { default_toml = std::move(toml_text); return *this; }
  Key& needed() { required = true; return *this; }
  Key& in(Range r) { range = r; return *this; }
  Key& of(std::vector<std::string> values) { choices = std::move(values); return *this; }
  Key& later(std::vector<std::string> values, std::string note) {
    planned = std::move(values); planned_note = std::move(note); return *this;
  }
  Key& entries(std::size_t n) { count = n; return *this; }
  Key& only(std::string v) { variant = std::move(v); return *this; }
  Key& says(std::string text) { doc = std::move(text); return *this; }
  Key& from(std::string (*f)(const CaseConfig&, const std::string&), std::string what) {
    dynamic_default = f; dynamic_default_doc = std::move(what); return *this;
  }
  Key& to(Store s) { store = s; return *this; }
};

Key key(std::string table, std::string name, Kind kind) {
  Key k;
  k.table = std::move(table);
  k.name = std::move(name);
  k.kind = kind;
  return k;
}
Key quantity_key(std::string table, std::string name, Dimension d) {
  Key k = key(std::move(table), std::move(name), Kind::quantity);
  k.dimension = d;
  return k;
}

GeneratorSpec& generator_of(CaseConfig& c) {
  if (!c.network.generator) c.network.generator.emplace();
  return *c.network.generator;
}
BoundaryNodeConfig& node_of(CaseConfig& c) { return c.boundary_nodes.back(); }

/// A table of the case file, in the order the resolved TOML and the reference list them.
struct TableInfo {
  std::string name;   ///< "" = top level
  bool array = false; ///< [[name]]: an array of tables
  bool planned = false;
  std::string doc;
};

const std::vector<TableInfo>& tables() {
  static const std::vector<TableInfo> list = {
      {"", false, false, "Keys at the top of the file, before any table."},
      {"case", false, false, "What the case is."},
      {"network", false, false,
       "The vessel network: a network file or a built-in generator (exactly one of `file` and "
       "`generator`). Keys marked *file* apply to network files only, keys marked *generator* to "
       "generated networks only; giving them for the other kind is an error."},
      {"blood", false, false, "Blood rheology and the default inflow haematocrit."},
      {"boundary", false, false,
       "How the network's inflow is controlled; holds the `[[boundary.node]]` tables. With `hold = "
       "\"inflow\"` every boundary pressure is scaled about the lowest one so that the total inflow stays "
       "at `total_inflow` (the portal inflow is maintained and the portal pressure follows the resistance, "
       "as in portal hypertension). The scaling is exact because no viscosity law depends on the flow's "
       "magnitude."},
      {"boundary.node", true, false,
       "Boundary conditions, one `[[boundary.node]]` table per node, for networks whose files carry "
       "none. Each gives exactly one of `pressure` and `flow`; ids must be unique."},
      {"solver", false, false, "The linear solve for the nodal pressures."},
      {"output", false, false, "What is written to the output directory."},
      {"oxygen", false, false, "Oxygen transport along the flow with tissue consumption (MODEL.md §3)."},
      {"disease", false, false,
       "Fibrosis state per segment and its dynamics (MODEL.md §4-5; PARAMETERS.md §4, §7.2). `stage` "
       "picks a preset (table below); every preset value can be overridden. Zonal triples are "
       "[periportal, midzonal, pericentral] values of the zone thirds, interpolated linearly in the zone "
       "coordinate between the thirds' centres; networks without zones take the midzonal value. The "
       "preset state is a steady state of the dynamics: without therapy nothing changes."},
      {"therapy", false, false,
       "MSC therapy (MODEL.md §5; PARAMETERS.md §5, §7.3): a regular schedule (`dose`, `route`, `start`, "
       "`count`, `interval`) plus any `[[therapy.infusion]]` entries; delivery to the liver by route, "
       "residence, paracrine signal and an Emax effect with threshold and plateau."},
      {"therapy.infusion", true, false, "Additional single infusions (time, dose, route, site)."},
      {"time", false, false,
       "Remodelling time steps (MODEL.md §5). Without [time] the case is one steady state (with the "
       "disease state of `[disease]` applied)."},
  };
  return list;
}

std::string stage_preset(const CaseConfig& c, const std::string& name) { return disease_preset(c.disease.stage, name); }

const std::vector<Key>& schema() {
  using D = Dimension;
  static const std::vector<Key> keys = {
      key("", "schema_version", Kind::integer).needed().in(closed(1, 1))
          .says("Version of the case file format; this version reads 1.")
          .to([](CaseConfig&, const Value&) {}),

      key("case", "name", Kind::string).needed()
          .says("Short name of the case (logs, run_info.json).")
          .to([](CaseConfig& c, const Value& v) { c.name = v.text; }),
      key("case", "description", Kind::string).def("\"\"")
          .says("Free text: what the case shows.")
          .to([](CaseConfig& c, const Value& v) { c.description = v.text; }),

      key("network", "file", Kind::path)
          .says("Network file: Secomb Network.dat, VTK .vtp or a folder of CSV files; relative to "
                "the case file's folder. Must exist.")
          .to([](CaseConfig& c, const Value& v) { c.network.file = v.text; }),
      key("network", "generator", Kind::choice).of({"lobule", "lobule_block", "ladder", "tree", "grid"})
          .says("Built-in network generator.")
          .to([](CaseConfig& c, const Value& v) { generator_of(c).name = v.text; }),
      key("network", "preset", Kind::choice).of({"human", "rat"}).def("\"human\"").only("generator")
          .says("Lobule geometry preset (PARAMETERS.md section 7.1).")
          .to([](CaseConfig& c, const Value& v) { generator_of(c).preset = v.text; }),
      key("network", "rings", Kind::integer).def("0").in(zero_or_at_least(2)).only("generator")
          .says("Lobule: radial node rings from portal triads to central vein (0 = preset default).")
          .to([](CaseConfig& c, const Value& v) { generator_of(c).rings = static_cast<int>(v.integer); }),
      key("network", "layers", Kind::integer).def("0").in(zero_or_at_least(2)).only("generator")
          .says("Lobule: node layers along the lobule axis (0 = preset default).")
          .to([](CaseConfig& c, const Value& v) { generator_of(c).layers = static_cast<int>(v.integer); }),
      key("network", "blocks", Kind::int_array).def("[1, 1]").in(at_least(1)).entries(2).only("generator")
          .says("lobule_block: lobules in x and y, [nx, ny].")
          .to([](CaseConfig& c, const Value& v) {
            generator_of(c).blocks_x = static_cast<int>(v.integers[0]);
            generator_of(c).blocks_y = static_cast<int>(v.integers[1]);
          }),
      key("network", "size", Kind::int_array).def("[]").in(at_least(1)).only("generator")
          .says("ladder: [rungs]; tree: [generations]; grid: [nx, ny, nz]; [] = the generator's default.")
          .to([](CaseConfig& c, const Value& v) {
            generator_of(c).size.assign(v.integers.begin(), v.integers.end());
          }),
      key("network", "seed", Kind::integer).def("1").in(at_least(0)).only("generator")
          .says("Seed of the generator's random jitter / radii.")
          .to([](CaseConfig& c, const Value& v) { generator_of(c).seed = static_cast<std::uint64_t>(v.integer); }),
      key("network", "format", Kind::choice).of({"auto", "dat", "csv", "vtp"}).def("\"auto\"").only("file")
          .says("Network file format; auto = from the file name (.dat, .vtp, folder = csv).")
          .to([](CaseConfig& c, const Value& v) { c.network.format = v.text; }),
      quantity_key("network", "length_unit", D::length).def("\"1 um\"").in(positive()).only("file")
          .says("Unit of the coordinates and radii in .vtp and CSV files (they carry none).")
          .to([](CaseConfig& c, const Value& v) { c.network.file_length_unit = v.number; }),
      key("network", "radius_array", Kind::string).def("\"\"").only("file")
          .says(".vtp: name of the radius point/cell array (\"\" = detect).")
          .to([](CaseConfig& c, const Value& v) { c.network.radius_array = v.text; }),
      key("network", "radius_is_diameter", Kind::boolean).def("false").only("file")
          .says(".vtp: the radius array holds diameters.")
          .to([](CaseConfig& c, const Value& v) { c.network.radius_is_diameter = v.boolean; }),
      key("network", "flows_from_file", Kind::boolean).def("false").only("file")
          .says("Take each segment's flow and haematocrit from the network file (Network.dat's flow and "
                "Hd columns, as GreensV4 does) instead of solving for them; pressures are then not computed.")
          .to([](CaseConfig& c, const Value& v) { c.network.flows_from_file = v.boolean; }),
      key("network", "drop_unconnected", Kind::boolean).def("false")
          .says("Drop parts of the network without a pressure boundary (with a warning) instead of "
                "rejecting the network.")
          .to([](CaseConfig& c, const Value& v) { c.network.drop_unconnected = v.boolean; }),

      key("blood", "viscosity_law", Kind::choice).of({"constant", "pries1994_invivo", "pries1992_invitro"})
          .def("\"constant\"")
          .says("Apparent blood viscosity in a vessel: constant = `viscosity` everywhere; "
                "pries1994_invivo = Pries et al. 1994 in vivo law (with the 1.1 um endothelial layer and "
                "the MCV species correction); pries1992_invitro = Pries et al. 1992 tube-flow law.")
          .to([](CaseConfig& c, const Value& v) { c.blood.viscosity_law = v.text; }),
      quantity_key("blood", "viscosity", D::viscosity).def("\"3.5 cP\"").in(positive())
          .says("Blood viscosity used by the constant law (Debbaut 2012).")
          .to([](CaseConfig& c, const Value& v) { c.blood.viscosity = v.number; }),
      quantity_key("blood", "plasma_viscosity", D::viscosity).def("\"1.2 cP\"").in(positive())
          .says("Plasma viscosity.")
          .to([](CaseConfig& c, const Value& v) { c.blood.plasma_viscosity = v.number; }),
      quantity_key("blood", "mcv", D::volume).def("\"90 fl\"").in(positive())
          .says("Mean corpuscular volume (species correction of the in vivo viscosity law).")
          .to([](CaseConfig& c, const Value& v) { c.blood.mcv = v.number; }),
      key("blood", "phase_separation", Kind::choice).of({"none", "pries_secomb_2005"}).def("\"none\"")
          .says("Red cell split at diverging bifurcations: none = haematocrit `haematocrit` everywhere; "
                "pries_secomb_2005 = Pries & Secomb 2005 phase separation (sequential for more than two "
                "outflows), RBC-flux mixing at converging nodes, solved in flow order.")
          .to([](CaseConfig& c, const Value& v) { c.blood.phase_separation = v.text; }),
      key("blood", "haematocrit", Kind::number).def("0.45").in(closed(0, 0.95))
          .says("Discharge haematocrit of inflows without their own.")
          .to([](CaseConfig& c, const Value& v) { c.blood.haematocrit = v.number; }),

      key("boundary.node", "id", Kind::integer).needed()
          .says("Node id as in the network file.")
          .to([](CaseConfig& c, const Value& v) { node_of(c).id = v.integer; }),
      quantity_key("boundary.node", "pressure", D::pressure)
          .says("Pressure boundary condition.")
          .to([](CaseConfig& c, const Value& v) { node_of(c).pressure = v.number; }),
      quantity_key("boundary.node", "flow", D::flow)
          .says("Flow boundary condition, positive into the network.")
          .to([](CaseConfig& c, const Value& v) { node_of(c).flow = v.number; }),
      key("boundary.node", "haematocrit", Kind::number).in(closed(0, 1))
          .says("Discharge haematocrit of an inflow here (default: blood.haematocrit).")
          .to([](CaseConfig& c, const Value& v) { node_of(c).haematocrit = v.number; }),
      quantity_key("boundary.node", "po2", D::pressure).in(at_least(0))
          .says("Oxygen partial pressure of an inflow here.")
          .to([](CaseConfig& c, const Value& v) { node_of(c).po2_mmHg = v.number / units::mmHg; }),

      key("solver", "method", Kind::choice).of({"auto", "pcg", "direct", "petsc"}).def("\"auto\"")
          .says("Linear solver: pcg (preconditioned conjugate gradients), direct (sparse Cholesky), "
                "petsc (PETSc CG + GAMG distributed over the MPI ranks of `mpirun -n N hepaflow run`; "
                "builds with PETSc only, else exit code 6), auto = chosen by size and build.")
          .to([](CaseConfig& c, const Value& v) { c.solver.method = v.text; }),
      key("solver", "preconditioner", Kind::choice).of({"auto", "jacobi", "amg"}).def("\"auto\"")
          .says("Preconditioner of solver.method = \"pcg\" (and \"auto\"): jacobi (diagonal; few setup costs, "
                "iterations grow with network size and diameter spread), amg (exact elimination of unbranched "
                "chains and dangling trees, then aggregation AMG K-cycles with flexible CG on the reduced system; "
                "iterations flat in size and diameter spread), auto = jacobi (see "
                "bench/results/2026-11-24_amg-v2-cpu-2core.md). Both run on the chosen backend.")
          .to([](CaseConfig& c, const Value& v) { c.solver.preconditioner = v.text; }),
      key("solver", "petsc_options", Kind::string).def("\"\"")
          .says("PETSc options for solver.method = \"petsc\" (e.g. \"-ksp_type cg -pc_type jacobi\"); "
                "-ksp_*/-pc_* options on the command line and PETSC_OPTIONS are applied too.")
          .to([](CaseConfig& c, const Value& v) { c.solver.petsc_options = v.text; }),
      key("solver", "tolerance", Kind::number).def("1e-10").in(open(0, 1))
          .says("Relative residual ||b - A x|| / ||b|| at which an iterative solve stops. pcg also stops, "
                "successfully, when the pressures are the solution to working precision (refinement "
                "corrections below 2 ulps, or stalled with componentwise backward error <= 16 eps): a "
                "tolerance below the network's rounding floor (~1e-15) then costs a few extra passes, not a failure.")
          .to([](CaseConfig& c, const Value& v) { c.solver.tolerance = v.number; }),
      key("solver", "max_iterations", Kind::integer).def("200000")
          .in(closed(1, std::numeric_limits<int>::max()))
          .says("Iterations after which an iterative solve gives up (exit code 5).")
          .to([](CaseConfig& c, const Value& v) { c.solver.max_iterations = static_cast<int>(v.integer); }),
      key("solver", "rheology_max_iterations", Kind::integer).def("100").in(closed(1, 100000))
          .says("Iterations (pressure solves) of the viscosity <-> haematocrit loop with phase separation.")
          .to([](CaseConfig& c, const Value& v) { c.solver.rheology_max_iterations = static_cast<int>(v.integer); }),
      key("solver", "rheology_flow_tolerance", Kind::number).def("1e-6").in(open(0, 1))
          .says("The loop stops when max |dQ| / max |Q| between iterations is below this ...")
          .to([](CaseConfig& c, const Value& v) { c.solver.rheology_flow_tolerance = v.number; }),
      key("solver", "rheology_haematocrit_tolerance", Kind::number).def("1e-4").in(open(0, 1))
          .says("... and max |dH_D| below this.")
          .to([](CaseConfig& c, const Value& v) { c.solver.rheology_haematocrit_tolerance = v.number; }),
      key("solver", "warm_start", Kind::boolean).def("true")
          .says("pcg: start every pressure solve from the previous solve's pressures (the rheology loop's "
                "iterations; the previous step of a remodelling run, with boundary.hold's scaling undone), "
                "scaled by the factor that minimises the energy-norm error when they alone do not meet the "
                "tolerance, and reuse the AMG aggregates within a step; false "
                "starts every solve from zero. Results agree to the solver tolerance either way.")
          .to([](CaseConfig& c, const Value& v) { c.solver.warm_start = v.boolean; }),
      key("solver", "rheology_acceleration", Kind::choice).of({"anderson", "picard"}).def("\"anderson\"")
          .says("Outer iteration of the viscosity <-> haematocrit loop H <- G(H): picard = damped Picard as "
                "NetFlowV2 (haematocrit under-relaxed, the factor times 0.8 every 5 iterations); anderson = "
                "Anderson acceleration (Walker & Ni 2011) of depth solver.rheology_anderson_depth, mixing "
                "solver.rheology_anderson_mixing, safeguarded: the least-squares problem drops its oldest "
                "differences while ill-conditioned (a damped Picard step when none is left), the extrapolated "
                "haematocrit is clipped to [0, 0.99], and a step that raised max |G(H) - H| is replaced by a "
                "damped Picard step from the previous iterate. See "
                "bench/results/2026-11-24_transport-cpu-2core.md for iteration counts.")
          .to([](CaseConfig& c, const Value& v) { c.solver.rheology_acceleration = v.text; }),
      key("solver", "rheology_anderson_depth", Kind::integer).def("5").in(closed(1, 50))
          .says("Anderson acceleration: the number m of previous iterates (differences) combined.")
          .to([](CaseConfig& c, const Value& v) { c.solver.rheology_anderson_depth = static_cast<int>(v.integer); }),
      key("solver", "rheology_anderson_mixing", Kind::number).def("0.5").in(Range{0.0, 1.0, true, false, false})
          .says("Anderson acceleration: mixing (damping) beta of the step x + beta f - (dX + beta dF) gamma, "
                "and the relaxation of its fallback Picard steps.")
          .to([](CaseConfig& c, const Value& v) { c.solver.rheology_anderson_mixing = v.number; }),
      key("solver", "allow_unconverged", Kind::boolean).def("false")
          .says("Write results although the rheology loop did not converge (flagged in summary.json and "
                "the log) instead of failing with exit code 5.")
          .to([](CaseConfig& c, const Value& v) { c.solver.allow_unconverged = v.boolean; }),
      quantity_key("solver", "memory_limit", D::memory).in(positive())
          .says("Cap on the memory the run may assume it has (e.g. \"2 GiB\"; default: what the backend reports "
                "free). A run whose estimated need exceeds it is refused before anything is allocated "
                "(exit code 1); so is one that exceeds the memory actually free. Environment: HEPAFLOW_MEMORY_LIMIT.")
          .to([](CaseConfig& c, const Value& v) { c.solver.memory_limit = v.number; }),
      key("solver", "backend", Kind::choice).of({"auto", "cpu", "cuda"}).def("\"auto\"")
          .says("Where the kernels run; the command line's --backend wins.")
          .to([](CaseConfig& c, const Value& v) { c.solver.backend = v.text; }),

      key("oxygen", "tissue_model", Kind::choice).of({"none", "krogh", "grid"}).def("\"none\"")
          .says("none = no oxygen; krogh = each segment supplies its own tissue volume, consumption "
                "Michaelis-Menten at the vessel PO2 (lumped Krogh model); grid = 3-D tissue grid with "
                "diffusion and Michaelis-Menten consumption, vessels exchanging O2 with it through the "
                "intravascular resistance, iterated to a coupled fixed point (writes tissue_NNNNNN.vti).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.tissue_model = v.text; }),
      quantity_key("oxygen", "grid_spacing", D::length).def("\"5 um\"").in(positive())
          .says("grid: tissue cell size (the largest spacing <= this that divides the region into whole cells).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.grid_spacing = v.number; }),
      quantity_key("oxygen", "grid_padding", D::length).def("\"0 um\"").in(at_least(0))
          .says("grid: non-consuming tissue added around the region on every side, which O2 diffuses "
                "into (0 = no-flux walls at the region's faces; ~100 um approximates the free space that "
                "GreensV4's Green's function assumes). Metrics cover the region only.")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.grid_padding = v.number; }),
      key("oxygen", "grid_region", Kind::choice).of({"auto", "nodes"}).def("\"auto\"")
          .says("grid: the tissue region. auto = the network file's tissue box (Network.dat's box "
                "[0, alx] x [0, aly] x [0, alz]) when it gives one, else the nodes' bounding box; "
                "nodes = the nodes' bounding box.")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.grid_region = v.text; }),
      key("oxygen", "intravascular_resistance", Kind::path)
          .says("grid: table of the intravascular O2 transport resistance K vs diameter in GreensV4's "
                "IntravascRes.dat format (relative to the case file). Absent: GreensV4's table (Hellums "
                "et al. 1996), 4-50 um.")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.intravascular_resistance = v.text; }),
      quantity_key("oxygen", "coupling_tolerance", D::pressure).def("\"1e-4 mmHg\"").in(positive())
          .says("grid: the vessel-tissue iteration stops when the sub-segments' blood PO2 changes by "
                "less than this between iterations.")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.coupling_tolerance_mmHg = v.number / units::mmHg; }),
      key("oxygen", "coupling_max_iterations", Kind::integer).def("200").in(closed(1, 100000))
          .says("grid: vessel-tissue iterations after which the run fails (exit code 5) unless "
                "solver.allow_unconverged.")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.coupling_max_iterations = static_cast<int>(v.integer); }),
      quantity_key("oxygen", "inflow_po2", D::pressure).def("\"65 mmHg\"").in(positive())
          .says("PO2 of inflows without their own (mixed portal/arterial blood, Godoy et al. 2013).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.inflow_po2_mmHg = v.number / units::mmHg; }),
      quantity_key("oxygen", "p50", D::pressure).def("\"26.8 mmHg\"").in(positive())
          .says("Hill P50 of the O2 dissociation curve (human 26.8, Severinghaus 1979; rat 38).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.p50_mmHg = v.number / units::mmHg; }),
      key("oxygen", "hill_n", Kind::number).def("2.7").in(open(0, 10))
          .says("Hill exponent (human 2.7, Lykkeboe & Johansen 1978; rat 3).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.hill_n = v.number; }),
      key("oxygen", "binding_capacity", Kind::number).def("0.5").in(open(0, 2))
          .says("O2 binding capacity of red cells, ml O2 per ml red cells (Secomb's C0).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.binding_capacity = v.number; }),
      key("oxygen", "solubility", Kind::number).def("3.1e-5").in(open(0, 1e-3))
          .says("O2 solubility in blood, ml O2 per ml blood per mmHg (alpha_b).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.solubility = v.number; }),
      quantity_key("oxygen", "consumption_periportal", D::consumption_rate).def("\"0.035 mol/m^3/s\"")
          .in(at_least(0))
          .says("Maximal O2 consumption M0 at zone 0 (Matsumura & Thurman 1983, fed rat: 131 umol/g/h).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.consumption_periportal = v.number; }),
      quantity_key("oxygen", "consumption_pericentral", D::consumption_rate).def("\"0.015 mol/m^3/s\"")
          .in(at_least(0))
          .says("Maximal O2 consumption M0 at zone 1 (56 umol/g/h); linear in zone in between.")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.consumption_pericentral = v.number; }),
      quantity_key("oxygen", "km", D::pressure).def("\"1 mmHg\"").in(at_least(0))
          .says("Michaelis constant of the consumption (Secomb's convention; 0.2-6 mmHg for sensitivity).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.km_mmHg = v.number / units::mmHg; }),
      quantity_key("oxygen", "hypoxia_threshold", D::pressure).def("\"10 mmHg\"").in(at_least(0))
          .says("Tissue counts as hypoxic below this PO2 (Schumacker et al. 1993; HIF stabilisation).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.hypoxia_threshold_mmHg = v.number / units::mmHg; }),
      quantity_key("oxygen", "tissue_diffusivity", D::diffusivity).def("\"2e-9 m^2/s\"").in(positive())
          .says("O2 diffusion coefficient in tissue (Krogh-Erlich profile; 2e-9 m^2/s, PARAMETERS.md §3).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.tissue_diffusivity = v.number; }),
      key("oxygen", "tissue_solubility", Kind::number).def("3.1e-5").in(open(0, 1e-3))
          .says("O2 solubility in tissue, ml O2 per ml tissue per mmHg (with tissue_diffusivity: D alpha).")
          .to([](CaseConfig& c, const Value& v) { c.oxygen.tissue_solubility = v.number; }),

      key("boundary", "hold", Kind::choice).of({"pressure", "inflow", "source"}).def("\"pressure\"")
          .says("pressure = the boundary values as given; inflow = boundary pressures scaled about the lowest "
                "one so the total inflow equals total_inflow (flow boundaries scale with them); source = the "
                "network is fed by a pressure source through an upstream (splanchnic) resistance "
                "source_resistance_ratio x its undiseased resistance, the source's pressure chosen so the "
                "undiseased network sees the given pressures: as the network's resistance R rises, its inflow "
                "falls as (1 + k) / (k + R/R0) and its pressure drop rises as (1 + k) (R/R0) / (k + R/R0).")
          .to([](CaseConfig& c, const Value& v) { c.boundary_control.hold = v.text; }),
      quantity_key("boundary", "total_inflow", D::flow).in(positive())
          .says("Total inflow held with hold = \"inflow\" (default: that of the network without disease at "
                "the given pressures).")
          .to([](CaseConfig& c, const Value& v) { c.boundary_control.total_inflow = v.number; }),
      key("boundary", "source_resistance_ratio", Kind::number).def("3.0").in(at_least(0))
          .says("hold = \"source\": upstream resistance k in units of the undiseased network's; k = 3 makes "
                "a 3.9-fold cirrhotic resistance raise the pressure drop 2.3-fold (rat micropuncture 2.9 -> "
                "5.7 mmHg) and cut the inflow by 42 % (reduced effective hepatic blood flow in cirrhosis).")
          .to([](CaseConfig& c, const Value& v) { c.boundary_control.source_resistance_ratio = v.number; }),

      key("disease", "stage", Kind::choice).of({"none", "F0", "F1", "F2", "F3", "F4"}).def("\"none\"")
          .says("METAVIR stage preset: none = no disease state; F0 healthy liver (small portal collagen); F1 "
                "portal; F2 periportal; F3 bridging septa, 15-25 % closed, shunts; F4 cirrhosis, 30-50 % "
                "closed, 20-33 % shunt flow (PARAMETERS.md §7.2).")
          .to([](CaseConfig& c, const Value& v) { c.disease.stage = v.text; }),
      key("disease", "activation", Kind::number_array).entries(3).in(closed(0, 0.99)).from(stage_preset, "stage preset")
          .says("HSC activation a by zone third (MODEL.md §4).")
          .to([](CaseConfig& c, const Value& v) { std::copy_n(v.numbers.begin(), 3, c.disease.activation.begin()); }),
      key("disease", "tone", Kind::number_array).entries(3).in(closed(0, 1)).from(stage_preset, "stage preset")
          .says("HSC contractile tone tau by zone third (its disease set-point).")
          .to([](CaseConfig& c, const Value& v) { std::copy_n(v.numbers.begin(), 3, c.disease.tone.begin()); }),
      key("disease", "capillarization", Kind::number_array).entries(3).in(closed(0, 0.99)).from(stage_preset, "stage preset")
          .says("Capillarization c (loss of fenestrae, basement membrane) by zone third.")
          .to([](CaseConfig& c, const Value& v) { std::copy_n(v.numbers.begin(), 3, c.disease.capillarization.begin()); }),
      key("disease", "collagen", Kind::number_array).entries(3).in(closed(0, 1)).from(stage_preset, "stage preset")
          .says("Collagen proportionate area (CPA, fraction) of the tissue by zone third, outside septa.")
          .to([](CaseConfig& c, const Value& v) { std::copy_n(v.numbers.begin(), 3, c.disease.collagen.begin()); }),
      key("disease", "closed_fraction", Kind::number_array).entries(3).in(closed(0, 1)).from(stage_preset, "stage preset")
          .says("Fraction of sinusoids closed (rarefaction) by zone third, chosen with the seeded RNG.")
          .to([](CaseConfig& c, const Value& v) { std::copy_n(v.numbers.begin(), 3, c.disease.closed_fraction.begin()); }),
      key("disease", "septa_fraction", Kind::number).in(closed(0, 1)).from(stage_preset, "stage preset")
          .says("Fraction of portal inflow nodes from which a septum bridges to the nearest central node: "
                "sinusoids within septum_radius of that line are closed and hold septum_collagen.")
          .to([](CaseConfig& c, const Value& v) { c.disease.septa_fraction = v.number; }),
      quantity_key("disease", "septum_radius", D::length).in(positive()).from(stage_preset, "stage preset")
          .says("Half-width of a septum.")
          .to([](CaseConfig& c, const Value& v) { c.disease.septum_radius = v.number; }),
      key("disease", "septum_collagen", Kind::number).in(closed(0, 1)).from(stage_preset, "stage preset")
          .says("Collagen fraction inside septa.")
          .to([](CaseConfig& c, const Value& v) { c.disease.septum_collagen = v.number; }),
      key("disease", "shunt_fraction", Kind::number).in(closed(0, 1)).from(stage_preset, "stage preset")
          .says("Fraction of portal inflow nodes joined to the nearest central node by a direct PT->CV shunt "
                "vessel (Sherman 1990; Bhunchet & Fujieda 1993).")
          .to([](CaseConfig& c, const Value& v) { c.disease.shunt_fraction = v.number; }),
      quantity_key("disease", "shunt_radius", D::length).in(positive()).from(stage_preset, "stage preset")
          .says("Radius of the shunt vessels (outlet venules 15-25 um in diameter, PARAMETERS.md §7.2).")
          .to([](CaseConfig& c, const Value& v) { c.disease.shunt_radius = v.number; }),
      key("disease", "constriction", Kind::number).def("0.0").in(closed(0, 0.9))
          .says("Uniform narrowing of every segment's radius by this fraction (0.25 = ET-1 1 nM, Zhang 1994).")
          .to([](CaseConfig& c, const Value& v) { c.disease.constriction = v.number; }),
      key("disease", "tone_narrowing", Kind::number).def("0.3").in(closed(0, 0.99))
          .says("kappa_tone in r = r0 (1 - kappa_tone a tau)(1 - kappa_cap c): F4 (a = tau = 0.85) narrows "
                "periportal sinusoids to 0.78 r0 (s_HSC 0.75-0.85, PARAMETERS.md §7.2).")
          .to([](CaseConfig& c, const Value& v) { c.disease.tone_narrowing = v.number; }),
      key("disease", "capillarization_narrowing", Kind::number).def("0.05").in(closed(0, 0.99))
          .says("kappa_cap: narrowing by basement membrane deposition (assumption).")
          .to([](CaseConfig& c, const Value& v) { c.disease.capillarization_narrowing = v.number; }),
      key("disease", "capillarization_exchange", Kind::number).def("0.67").in(closed(0, 0.99))
          .says("kappa_ex in k_w = k_w0 (1 - kappa_ex c): c = 1 triples the wall's O2 resistance, as a Disse "
                "layer thickened by ~2 um would (PARAMETERS.md §7.2 +1-2 um).")
          .to([](CaseConfig& c, const Value& v) { c.disease.capillarization_exchange = v.number; }),
      quantity_key("disease", "disse_width", D::length).def("\"1 um\"").in(positive())
          .says("Healthy space of Disse; the healthy wall conductance k_w0 = 2 pi D alpha / ln(1 + w/r).")
          .to([](CaseConfig& c, const Value& v) { c.disease.disse_width = v.number; }),
      quantity_key("disease", "tone_time", D::time).def("\"1 h\"").in(positive())
          .says("T_tone: tone returns to its set-point (HSC contraction t1/2 < 5 min, relaxation <= 45 min; "
                "Thimgan & Yee 1999).")
          .to([](CaseConfig& c, const Value& v) { c.disease.tone_time = v.number; }),
      quantity_key("disease", "relaxation_time", D::time).def("\"1 h\"").in(positive())
          .says("1/k_relax: MSC-driven tone relaxation at effect E = 1.")
          .to([](CaseConfig& c, const Value& v) { c.disease.relaxation_time = v.number; }),
      quantity_key("disease", "activation_time", D::time).def("\"2 d\"").in(positive())
          .says("1/k_act of HSC activation.")
          .to([](CaseConfig& c, const Value& v) { c.disease.activation_time = v.number; }),
      quantity_key("disease", "deactivation_time", D::time).def("\"20 d\"").in(positive())
          .says("1/k_deact of HSC deactivation (faster by 1 + E under therapy).")
          .to([](CaseConfig& c, const Value& v) { c.disease.deactivation_time = v.number; }),
      quantity_key("disease", "collagen_turnover_time", D::time).def("\"30 d\"").in(positive())
          .says("1/k_deg of collagen degradation (faster by 1 + E; rodent MSC regression over 3-6 wk, "
                "PARAMETERS.md §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.disease.collagen_turnover_time = v.number; }),
      quantity_key("disease", "capillarization_turnover_time", D::time).def("\"30 d\"").in(positive())
          .says("Basal refenestration time that balances capillarization at the preset (steady) state.")
          .to([](CaseConfig& c, const Value& v) { c.disease.capillarization_turnover_time = v.number; }),
      quantity_key("disease", "refenestration_time", D::time).def("\"14 d\"").in(positive())
          .says("1/k_refen: MSC-driven refenestration at E = 1 (fenestration recovery over weeks, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.disease.refenestration_time = v.number; }),
      quantity_key("disease", "reopening_time", D::time).def("\"14 d\"").in(positive())
          .says("1/k_reopen: closed sinusoids reopen at rate k_reopen E g(VEGF) (1 - collagen) (weeks, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.disease.reopening_time = v.number; }),
      key("disease", "vegf_hypoxia_weight", Kind::number).def("1.0").in(at_least(0))
          .says("VEGF = w_h (hypoxic fraction above the initial one) + w_m E (MODEL.md §5).")
          .to([](CaseConfig& c, const Value& v) { c.disease.vegf_hypoxia_weight = v.number; }),
      key("disease", "vegf_msc_weight", Kind::number).def("0.3").in(at_least(0))
          .says("w_m: MSC-secreted VEGF per unit effect.")
          .to([](CaseConfig& c, const Value& v) { c.disease.vegf_msc_weight = v.number; }),
      key("disease", "vegf_half", Kind::number).def("0.5").in(positive())
          .says("K_v in g(VEGF) = VEGF / (K_v + VEGF).")
          .to([](CaseConfig& c, const Value& v) { c.disease.vegf_half = v.number; }),
      key("disease", "sprout_threshold", Kind::number).def("0.5").in(at_least(0))
          .says("VEGF of a node above which it sprouts a new sinusoid.")
          .to([](CaseConfig& c, const Value& v) { c.disease.sprout_threshold = v.number; }),
      quantity_key("disease", "sprouting_time", D::time).def("\"100 d\"").in(at_least(0))
          .says("1/k_sprout: a node sprouts at rate k_sprout (VEGF - threshold); \"0 d\" = no sprouting.")
          .to([](CaseConfig& c, const Value& v) { c.disease.sprouting_time = v.number; }),
      quantity_key("disease", "sprout_max_length", D::length).def("\"40 um\"").in(positive())
          .says("A sprout joins its node to the nearest node within this distance not yet connected to it.")
          .to([](CaseConfig& c, const Value& v) { c.disease.sprout_max_length = v.number; }),
      quantity_key("disease", "sprout_radius", D::length).def("\"1.5 um\"").in(positive())
          .says("Radius of a new sprout; it matures to the mean radius of the sinusoids at its ends.")
          .to([](CaseConfig& c, const Value& v) { c.disease.sprout_radius = v.number; }),
      quantity_key("disease", "maturation_time", D::time).def("\"7 d\"").in(positive())
          .says("Time constant of a sprout's radius growth.")
          .to([](CaseConfig& c, const Value& v) { c.disease.maturation_time = v.number; }),
      quantity_key("disease", "function_half_po2", D::pressure).def("\"10 mmHg\"").in(positive())
          .says("K_f in the hepatocyte function index f = P_t / (P_t + K_f) (1 - injury / (1 + E)).")
          .to([](CaseConfig& c, const Value& v) { c.disease.function_half_po2_mmHg = v.number / units::mmHg; }),
      quantity_key("disease", "function_time", D::time).def("\"7 d\"").in(positive())
          .says("Time constant of the function index's recovery.")
          .to([](CaseConfig& c, const Value& v) { c.disease.function_time = v.number; }),
      quantity_key("disease", "perfused_velocity", D::velocity).def("\"1 um/s\"").in(at_least(0))
          .says("Sinusoids slower than this count as unperfused (perfused_fraction).")
          .to([](CaseConfig& c, const Value& v) { c.disease.perfused_velocity = v.number; }),
      key("disease", "seed", Kind::integer).def("1").in(at_least(0))
          .says("Seed of the disease's random choices (closed sinusoids, septa, shunts, reopening, sprouts).")
          .to([](CaseConfig& c, const Value& v) { c.disease.seed = static_cast<std::uint64_t>(v.integer); }),

      quantity_key("therapy", "dose", D::dose_per_mass).def("\"0 cells/kg\"").in(at_least(0))
          .says("Cells per kg body mass per infusion of the regular schedule (0 = none).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.dose = v.number; }),
      key("therapy", "route", Kind::choice).of({"iv", "portal_vein", "hepatic_artery", "intrahepatic"})
          .def("\"hepatic_artery\"")
          .says("Route of the regular schedule.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.route = v.text; }),
      quantity_key("therapy", "start", D::time).def("\"0 d\"").in(at_least(0))
          .says("Time of the first infusion.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.start = v.number; }),
      key("therapy", "count", Kind::integer).def("1").in(closed(1, 1000))
          .says("Number of infusions of the regular schedule.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.count = static_cast<int>(v.integer); }),
      quantity_key("therapy", "interval", D::time).def("\"28 d\"").in(positive())
          .says("Time between infusions of the regular schedule.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.interval = v.number; }),
      key("therapy", "site_um", Kind::number_array).entries(3)
          .says("Intrahepatic route: injection site [x, y, z] in um (default: the centre of the network).")
          .to([](CaseConfig& c, const Value& v) {
            for (int a = 0; a < 3; ++a) c.therapy.site[a] = v.numbers[a] * units::um;
          }),
      quantity_key("therapy", "body_mass", D::mass).def("\"70 kg\"").in(positive())
          .says("Body mass (dose per kg -> cells).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.body_mass = v.number; }),
      quantity_key("therapy", "liver_mass", D::mass).def("\"1.5 kg\"").in(positive())
          .says("Liver mass (cells in the liver -> cells per ml of tissue at 1 g/ml).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.liver_mass = v.number; }),
      quantity_key("therapy", "clearance_half_life", D::time).def("\"1.5 d\"").in(positive())
          .says("Half-life of MSC in the liver (rabbit MRI: ~80 % lost by day 7; PARAMETERS.md §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.clearance_half_life = v.number; }),
      key("therapy", "fraction_portal_vein", Kind::number).def("0.4").in(closed(0, 1))
          .says("Fraction of a portal-vein dose retained in the liver (assumption 0.3-0.5, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.fraction_portal_vein = v.number; }),
      key("therapy", "fraction_hepatic_artery", Kind::number).def("0.5").in(closed(0, 1))
          .says("Fraction of a hepatic-artery dose retained in the liver (assumption 0.3-0.5, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.fraction_hepatic_artery = v.number; }),
      key("therapy", "fraction_intrahepatic", Kind::number).def("0.6").in(closed(0, 1))
          .says("Fraction of an intrahepatic dose retained at the site (assumption).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.fraction_intrahepatic = v.number; }),
      key("therapy", "iv_liver_fraction", Kind::number).def("0.02").in(closed(0, 1))
          .says("IV: fraction in the liver right after infusion (0-2.8 %, Gholamrezanezhad 2011).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.iv_liver_fraction = v.number; }),
      key("therapy", "iv_lung_fraction", Kind::number).def("0.3").in(closed(0, 1))
          .says("IV: fraction trapped in the lungs first (27-33.5 %, Gholamrezanezhad 2011).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.iv_lung_fraction = v.number; }),
      quantity_key("therapy", "iv_lung_release_time", D::time).def("\"5 d\"").in(positive())
          .says("IV: time constant of release from the lungs (lungs 30 % -> 2-5 % by day 10).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.iv_lung_release_time = v.number; }),
      key("therapy", "iv_release_to_liver", Kind::number).def("0.5").in(closed(0, 1))
          .says("IV: share of the cells released from the lungs that reach the liver (liver label 13-17 % "
                "by day 10).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.iv_release_to_liver = v.number; }),
      quantity_key("therapy", "trapping_length", D::length).def("\"100 um\"").in(positive())
          .says("Portal and arterial routes: cells arrest along the flow with this mean path length "
                "(inflow-weighted, periportal first).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.trapping_length = v.number; }),
      quantity_key("therapy", "site_spread", D::length).def("\"150 um\"").in(positive())
          .says("Intrahepatic route: Gaussian spread of the cells around the site.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.site_spread = v.number; }),
      quantity_key("therapy", "signal_length", D::length).def("\"250 um\"").in(positive())
          .says("Length lambda of the paracrine signal's spatial kernel (soluble HGF/IL-10 act across the lobule).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.signal_length = v.number; }),
      quantity_key("therapy", "threshold", D::exposure).def("\"1.5e4 cells d/ml\"").in(at_least(0))
          .says("Exposure below which MSC have no effect: 1e5 cells/kg via the hepatic artery stays below it even "
                "periportally (E_th ~ 0.1e6 cells/kg delivered, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.threshold = v.number; }),
      quantity_key("therapy", "ec50", D::exposure).def("\"3e4 cells d/ml\"").in(positive())
          .says("Exposure above the threshold giving half the maximal effect (1e6 cells/kg via the hepatic "
                "artery exposes the lobule to ~5e4 cells d/ml on average; EC50 ~ 0.5e6 cells/kg, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.ec50 = v.number; }),
      key("therapy", "emax", Kind::number).def("2.0").in(closed(0, 100))
          .says("Maximal effect E_max: rates of deactivation and collagen degradation scale with 1 + E "
                "(E_max = 2 regresses F3-F4 collagen by ~70 % in 6-8 wk, rat TAA: Jang 2014).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.emax = v.number; }),
      key("therapy", "hill", Kind::number).def("2.0").in(closed(0.1, 10))
          .says("Hill exponent h of the effect (1-2, §7.3): 2 gives the plateau by 3e6 cells/kg.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.hill = v.number; }),
      quantity_key("therapy", "effect_waning_time", D::time).def("\"180 d\"").in(positive())
          .says("Exposure decays with this time constant (effects wane by ~12 months, §7.3).")
          .to([](CaseConfig& c, const Value& v) { c.therapy.effect_waning_time = v.number; }),

      quantity_key("therapy.infusion", "time", D::time).needed().in(at_least(0))
          .says("Time of the infusion.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.infusions.back().time = v.number; }),
      quantity_key("therapy.infusion", "dose", D::dose_per_mass).needed().in(at_least(0))
          .says("Cells per kg body mass.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.infusions.back().dose = v.number; }),
      key("therapy.infusion", "route", Kind::choice).of({"iv", "portal_vein", "hepatic_artery", "intrahepatic"})
          .needed()
          .says("Route.")
          .to([](CaseConfig& c, const Value& v) { c.therapy.infusions.back().route = v.text; }),
      key("therapy.infusion", "site_um", Kind::number_array).entries(3)
          .says("Intrahepatic: injection site [x, y, z] in um (default: the centre of the network).")
          .to([](CaseConfig& c, const Value& v) {
            for (int a = 0; a < 3; ++a) c.therapy.infusions.back().site[a] = v.numbers[a] * units::um;
          }),

      quantity_key("time", "end", D::time).needed().in(positive())
          .says("Simulated time.")
          .to([](CaseConfig& c, const Value& v) { c.time.end = v.number; }),
      quantity_key("time", "step", D::time).def("\"1 d\"").in(positive())
          .says("Remodelling step; flow and oxygen are re-solved at every step.")
          .to([](CaseConfig& c, const Value& v) { c.time.step = v.number; }),
      quantity_key("time", "output_interval", D::time).def("\"7 d\"").in(positive())
          .says("Time between network_NNNNNN.vtp outputs (rounded to whole steps; the last step is always written).")
          .to([](CaseConfig& c, const Value& v) { c.time.output_interval = v.number; }),
      key("time", "checkpoint_every", Kind::integer).def("0").in(closed(0, 1e9))
          .says("Write a restartable checkpoint (checkpoint_NNNNNN.hfck, the last two kept) every this many "
                "steps, and at the last step; 0: none. `hepaflow run --resume DIR` continues a killed run from "
                "it with results identical to an uninterrupted run. `--checkpoint-every N` overrides it.")
          .to([](CaseConfig& c, const Value& v) { c.time.checkpoint_every = static_cast<int>(v.integer); }),

      key("output", "vtk", Kind::boolean).def("true")
          .says("Write network_NNNNNN.vtp files and network.pvd.")
          .to([](CaseConfig& c, const Value& v) { c.output.vtk = v.boolean; }),
  };
  return keys;
}

std::vector<const Key*> keys_of(const std::string& table) {
  std::vector<const Key*> out;
  for (const Key& k : schema())
    if (k.table == table) out.push_back(&k);
  return out;
}

// ---- text helpers --------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

/// A TOML basic string: "..." with escapes.
std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

/// Shortest text that reads back to the same double, always with '.' or 'e' (a TOML float).
std::string format_number(double x) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, x);
  std::string s(buf, result.ptr);
  if (s.find_first_of(".einn") == std::string::npos) s += ".0";
  return s;
}

std::string format_limit(double x) {
  std::string s = format_number(x);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

/// "must be > 0", "must be in [0, 0.95]", "must be 0 or >= 2"; "" when anything goes.
std::string range_text(const Range& r) {
  std::string lo = (r.lo_open ? "> " : ">= ") + format_limit(r.lo);
  std::string hi = (r.hi_open ? "< " : "<= ") + format_limit(r.hi);
  std::string text;
  if (r.lo == r.hi) text = format_limit(r.lo);
  else if (std::isfinite(r.lo) && std::isfinite(r.hi) && !r.lo_open && !r.hi_open)
    text = "in [" + format_limit(r.lo) + ", " + format_limit(r.hi) + "]";
  else if (std::isfinite(r.lo) && std::isfinite(r.hi)) text = lo + " and " + hi;
  else if (std::isfinite(r.lo)) text = lo;
  else if (std::isfinite(r.hi)) text = hi;
  if (text.empty()) return "";
  return r.zero_too ? "0 or " + text : text;
}

bool in_range(const Range& r, double x) {
  if (r.zero_too && x == 0.0) return true;
  if (r.lo_open ? !(x > r.lo) : !(x >= r.lo)) return false;
  if (r.hi_open ? !(x < r.hi) : !(x <= r.hi)) return false;
  return true;
}

std::string type_phrase(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

/// The node as it appears in a message: strings quoted, numbers as written.
std::string show(const toml::node& n) {
  if (const auto* s = n.as_string()) return toml_quote(s->get());
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* f = n.as_floating_point()) return format_limit(f->get());
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  return type_phrase(n);
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

/// "; did you mean 'x'?" for the closest candidate (distance <= 2, or a prefix of >= 3 letters);
/// "" if none is close.
std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 3;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(given, c);
    if (d < best_distance && d < given.size()) { best = &c; best_distance = d; }
  }
  if (best == nullptr && given.size() >= 3)
    for (const std::string& c : candidates)
      if (c.compare(0, given.size(), given) == 0) { best = &c; break; }
  return best ? "; did you mean '" + *best + "'?" : "";
}

// ---- problems --------------------------------------------------------------------------------------

/// Collects "where: message" lines; where = "file:line:col" or "--set table.key".
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void add(const toml::source_region& at, const std::string& message) {
    Problem p;
    p.message = message;
    const std::string path = at.path ? *at.path : file_;
    if (path.rfind("--set", 0) == 0) {
      p.from_override = true;
      p.where = path;
      p.line = static_cast<int>(std::find(overrides_.begin(), overrides_.end(), path) - overrides_.begin());
    } else {
      p.line = std::max<int>(1, static_cast<int>(at.begin.line));
      p.column = std::max<int>(1, static_cast<int>(at.begin.column));
      p.where = path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
    }
    list_.push_back(std::move(p));
  }
  void add_override(const std::string& where, const std::string& message) {
    toml::source_region at;
    at.path = std::make_shared<const std::string>(where);
    add(at, message);
  }
  /// Remember the order of the overrides, in which their problems are listed.
  void note_override(const std::string& where) { overrides_.push_back(where); }
  bool empty() const { return list_.empty(); }

  /// File problems in line order, then --set problems in the order of the overrides.
  [[noreturn]] void raise() {
    std::stable_sort(list_.begin(), list_.end(), [](const Problem& a, const Problem& b) {
      return std::tie(a.from_override, a.line, a.column) < std::tie(b.from_override, b.line, b.column);
    });
    std::string text;
    for (const Problem& p : list_) text += (text.empty() ? "" : "\n") + p.where + ": " + p.message;
    throw InputError(text);
  }

 private:
  struct Problem {
    bool from_override = false;
    int line = 0, column = 0;
    std::string where, message;
  };
  std::string file_;
  std::vector<std::string> overrides_;
  std::vector<Problem> list_;
};

// ---- checking ----------------------------------------------------------------------------------------

struct Context {
  Problems& problems;
  fs::path case_dir;     ///< the case file's folder (network.file is relative to it)
  CaseConfig& config;
  std::string resolved;  ///< the resolved TOML being written
};

/// Check `node` against `key`; on success fill `out` and return true, else add a problem.
/// `qualified` is the key's full name for messages ("blood.viscosity", "boundary.node[2].flow").
bool check_value(const Key& key, const toml::node& node, const std::string& qualified, Context& ctx,
                 Value& out) {
  const auto fail = [&](const std::string& message) {
    ctx.problems.add(node.source(), message);
    return false;
  };
  const auto wrong_type = [&](const std::string& wanted) {
    return fail(qualified + " must be " + wanted + ", not " + type_phrase(node));
  };
  const auto out_of_range = [&](double x, const std::string& shown) {
    if (in_range(key.range, x)) return true;
    return fail(qualified + " = " + shown + " is out of range: must be " + range_text(key.range));
  };

  switch (key.kind) {
    case Kind::string:
      if (!node.is_string()) return wrong_type("a string");
      out.text = node.as_string()->get();
      return true;

    case Kind::choice: {
      if (!node.is_string()) return wrong_type("a string");
      out.text = node.as_string()->get();
      const auto has = [&](const std::vector<std::string>& list) {
        return std::find(list.begin(), list.end(), out.text) != list.end();
      };
      if (has(key.choices)) return true;
      if (has(key.planned))
        return fail(qualified + " = " + toml_quote(out.text) + " is not available yet in this version (" +
                    key.planned_note + ")");
      return fail(qualified + " = " + toml_quote(out.text) + " is not one of: " + join(key.choices, ", ") +
                  did_you_mean(out.text, key.choices));
    }

    case Kind::path: {
      if (!node.is_string()) return wrong_type("a string (a file name)");
      const std::string given = node.as_string()->get();
      if (given.empty()) return fail(qualified + " must not be empty");
      fs::path p(given);
      if (p.is_relative()) p = ctx.case_dir / p;
      std::error_code ec;
      fs::path absolute = fs::absolute(p, ec);
      if (ec) absolute = p;
      absolute = absolute.lexically_normal();
      if (!fs::exists(absolute, ec))
        return fail(qualified + ": " + toml_quote(given) + " not found (looked for " + absolute.string() + ")");
      out.text = absolute.string();
      return true;
    }

    case Kind::integer:
      if (!node.is_integer()) return wrong_type("an integer");
      out.integer = node.as_integer()->get();
      return out_of_range(static_cast<double>(out.integer), std::to_string(out.integer));

    case Kind::number:
      if (node.is_integer()) out.number = static_cast<double>(node.as_integer()->get());
      else if (node.is_floating_point()) out.number = node.as_floating_point()->get();
      else return wrong_type("a number");
      if (!std::isfinite(out.number)) return fail(qualified + " must be a finite number");
      return out_of_range(out.number, show(node));

    case Kind::boolean:
      if (!node.is_boolean()) return wrong_type("true or false");
      out.boolean = node.as_boolean()->get();
      return true;

    case Kind::quantity: {
      const std::string example_unit(hepaflow::example_unit(key.dimension));
      if (node.is_integer() || node.is_floating_point())
        return fail(qualified + " = " + show(node) + " needs a unit, e.g. \"" + show(node) + " " +
                    example_unit + "\"");
      if (!node.is_string()) return wrong_type("a string with a unit, e.g. \"8 " + example_unit + "\"");
      out.text = std::string(trim(node.as_string()->get()));
      try {
        out.number = parse_quantity(out.text, key.dimension);
      } catch (const QuantityError& e) {
        return fail(qualified + ": " + e.what());
      }
      return out_of_range(out.number, toml_quote(out.text));
    }

    case Kind::number_array:
    case Kind::quantity_array: {
      const bool quantities = key.kind == Kind::quantity_array;
      const std::string unit(hepaflow::example_unit(key.dimension));
      const std::string one = quantities ? "\"1 " + unit + "\"" : "0.5";
      const std::string example = "[" + join(std::vector<std::string>(key.count ? key.count : 2, one), ", ") + "]";
      const std::string what = quantities ? "strings with a unit" : "numbers";
      const toml::array* array = node.as_array();
      if (array == nullptr) return wrong_type("an array of " + what + ", e.g. " + example);
      if (key.count != 0 && array->size() != key.count)
        return fail(qualified + " must have " + std::to_string(key.count) + " entries, e.g. " + example);
      for (const toml::node& item : *array) {
        double x = 0;
        if (quantities) {
          if (!item.is_string())
            return fail(qualified + " must be an array of " + what + ", e.g. " + example + ", not hold " + type_phrase(item));
          const std::string text(trim(item.as_string()->get()));
          try {
            x = parse_quantity(text, key.dimension);
          } catch (const QuantityError& e) {
            return fail(qualified + ": " + e.what());
          }
          out.texts.push_back(text);
        } else if (item.is_integer() || item.is_floating_point()) {
          x = item.is_integer() ? static_cast<double>(item.as_integer()->get()) : item.as_floating_point()->get();
        } else {
          return fail(qualified + " must be an array of " + what + ", e.g. " + example + ", not hold " + type_phrase(item));
        }
        if (!std::isfinite(x)) return fail(qualified + " entries must be finite");
        if (!in_range(key.range, x))
          return fail(qualified + " entry " + show(item) + " is out of range: must be " + range_text(key.range));
        out.numbers.push_back(x);
      }
      return true;
    }

    case Kind::int_array: {
      const toml::array* array = node.as_array();
      const std::string example = "[" + join(std::vector<std::string>(key.count ? key.count : 2, "2"), ", ") + "]";
      if (array == nullptr) return wrong_type("an array of integers, e.g. " + example);
      if (key.count != 0 && array->size() != key.count)
        return fail(qualified + " must have " + std::to_string(key.count) + " entries, e.g. " + example);
      for (const toml::node& item : *array) {
        if (!item.is_integer())
          return fail(qualified + " must be an array of integers, e.g. " + example + ", not hold " + type_phrase(item));
        const std::int64_t i = item.as_integer()->get();
        if (!in_range(key.range, static_cast<double>(i)))
          return fail(qualified + " entry " + std::to_string(i) + " is out of range: must be " + range_text(key.range));
        out.integers.push_back(i);
      }
      return true;
    }
  }
  return false;
}

/// The value as written into the resolved TOML.
std::string resolved_text(const Key& key, const Value& v) {
  switch (key.kind) {
    case Kind::string:
    case Kind::choice:
    case Kind::path:
    case Kind::quantity: return toml_quote(v.text);
    case Kind::integer: return std::to_string(v.integer);
    case Kind::number: return format_number(v.number);
    case Kind::boolean: return v.boolean ? "true" : "false";
    case Kind::int_array: {
      std::vector<std::string> items;
      for (std::int64_t i : v.integers) items.push_back(std::to_string(i));
      return "[" + join(items, ", ") + "]";
    }
    case Kind::number_array: {
      std::vector<std::string> items;
      for (double x : v.numbers) items.push_back(format_number(x));
      return "[" + join(items, ", ") + "]";
    }
    case Kind::quantity_array: {
      std::vector<std::string> items;
      for (const std::string& t : v.texts) items.push_back(toml_quote(t));
      return "[" + join(items, ", ") + "]";
    }
  }
  return "";
}

const TableInfo* table_info(const std::string& name) {
  for (const TableInfo& t : tables())
    if (t.name == name) return &t;
  return nullptr;
}

std::string child_name(const std::string& table, std::string_view key) {
  return table.empty() ? std::string(key) : table + "." + std::string(key);
}

std::string table_title(const std::string& table) {
  if (table.empty()) return "at the top level";
  const TableInfo* info = table_info(table);
  return info && info->array ? "in [[" + table + "]]" : "in [" + table + "]";
}

/// Report keys of `tbl` that are neither keys of `table` nor tables below it.
void check_unknown_keys(const toml::table& tbl, const std::string& table, Context& ctx) {
  std::vector<std::string> valid;
  for (const Key* k : keys_of(table)) valid.push_back(k->name);
  for (const TableInfo& t : tables()) {
    const auto dot = t.name.rfind('.');
    const std::string parent = dot == std::string::npos ? "" : t.name.substr(0, dot);
    if (!t.name.empty() && parent == table) valid.push_back(t.name.substr(parent.empty() ? 0 : dot + 1));
  }
  for (auto&& [k, node] : tbl) {
    const std::string name(k.str());
    if (std::find(valid.begin(), valid.end(), name) != valid.end()) continue;
    const toml::source_region& at = node.is_table() || !k.source().path ? node.source() : k.source();
    const std::string what = node.is_table() ? "unknown table [" + child_name(table, name) + "]"
                                             : "unknown key '" + name + "' " + table_title(table);
    const std::string hint = did_you_mean(name, valid);
    ctx.problems.add(at, what + (hint.empty() ? "; valid here: " + join(valid, ", ") : hint));
  }
}

/// Check one table instance (`tbl` may be null when the table is absent: defaults apply) and write
/// its part of the resolved TOML. `label` names it in messages ("boundary.node[2]").
/// `variant` selects the [network] keys that apply ("file", "generator", "" = undecided).
void check_table(const toml::table* tbl, const std::string& table, const std::string& label,
                 const toml::source_region& where, const std::string& variant, Context& ctx) {
  static const toml::table empty;
  const toml::table& t = tbl ? *tbl : empty;
  check_unknown_keys(t, table, ctx);
  const TableInfo* info = table_info(table);
  if (!table.empty()) ctx.resolved += info->array ? "\n[[" + table + "]]\n" : "\n[" + table + "]\n";

  for (const Key* key : keys_of(table)) {
    const std::string qualified = label.empty() ? key->name : label + "." + key->name;
    const toml::node* node = t.get(key->name);
    if (!key->variant.empty() && key->variant != variant) {
      Value ignored;
      if (node != nullptr && !variant.empty())
        ctx.problems.add(node->source(), qualified + " applies only to " +
                                             (key->variant == "file" ? "network files (network.file)"
                                                                     : "generated networks (network.generator)"));
      else if (node != nullptr)  // file or generator undecided (reported): still check what is given
        check_value(*key, *node, qualified, ctx, ignored);
      continue;
    }
    toml::table default_holder;
    if (node == nullptr) {
      if (key->required) {
        ctx.problems.add(where, "missing required key '" + key->name + "' " + table_title(table));
        continue;
      }
      const std::string dflt = key->dynamic_default ? key->dynamic_default(ctx.config, key->name) : key->default_toml;
      if (dflt.empty()) continue;  // optional
      default_holder = toml::parse("v = " + dflt);
      node = default_holder.get("v");
    }
    Value value;
    if (!check_value(*key, *node, qualified, ctx, value)) continue;
    key->store(ctx.config, value);
    ctx.resolved += key->name + " = " + resolved_text(*key, value) + "\n";
  }
}

/// Rules of [therapy] and [time] that span keys; builds the infusion list (regular schedule first,
/// then [[therapy.infusion]], sorted by time).
void check_schedule(const toml::table& root, Context& ctx) {
  CaseConfig& c = ctx.config;
  TherapyConfig& t = c.therapy;
  std::vector<InfusionConfig> all;
  if (t.dose > 0)
    for (int i = 0; i < t.count; ++i) {
      InfusionConfig infusion;
      infusion.time = t.start + i * t.interval;
      infusion.dose = t.dose;
      infusion.route = t.route;
      infusion.site = t.site;
      infusion.line = 0;
      all.push_back(infusion);
    }
  all.insert(all.end(), t.infusions.begin(), t.infusions.end());
  std::stable_sort(all.begin(), all.end(), [](const InfusionConfig& a, const InfusionConfig& b) { return a.time < b.time; });
  t.infusions = all;
  const toml::node* therapy = root.get("therapy");
  const toml::node* time = root.get("time");
  const bool any_dose = std::any_of(all.begin(), all.end(), [](const InfusionConfig& i) { return i.dose > 0; });
  if (any_dose && !c.time.given)
    ctx.problems.add(therapy ? therapy->source() : root.source(),
                     "[therapy] gives infusions but the case has no [time] table (add e.g. [time] end = \"56 d\")");
  if (!c.time.given) return;
  const toml::source_region& at = time ? time->source() : root.source();
  if (c.time.end > 0 && c.time.step > c.time.end)
    ctx.problems.add(at, "time.step (" + format_limit(c.time.step / units::day) + " d) is longer than time.end (" +
                             format_limit(c.time.end / units::day) + " d)");
  if (c.time.end / c.time.step > 1e6)
    ctx.problems.add(at, "time.end / time.step gives more than 1e6 steps");
  for (const InfusionConfig& i : all)
    if (i.time > c.time.end)
      ctx.problems.add(therapy ? therapy->source() : at,
                       "an infusion at " + format_limit(i.time / units::day) + " d lies after time.end (" +
                           format_limit(c.time.end / units::day) + " d)");
}

/// The whole document: every table in schema order, and the rules that span keys.
void check_case(const toml::table& root, Context& ctx) {
  check_table(&root, "", "", root.source(), "", ctx);

  for (const TableInfo& info : tables()) {
    if (info.name.empty()) continue;  // done above
    const toml::node_view<const toml::node> view = root.at_path(info.name);
    const toml::node* node = view.node();
    const std::string header = info.array ? "[[" + info.name + "]]" : "[" + info.name + "]";
    if (info.planned) {
      if (node) ctx.problems.add(node->source(), header + " is not available yet in this version");
      continue;
    }
    if (info.array) {  // [[boundary.node]], [[therapy.infusion]]: their parent table is checked as a table
      if (node == nullptr) continue;
      const toml::array* entries = node->as_array();
      if (entries == nullptr || !entries->is_array_of_tables()) {
        ctx.problems.add(node->source(), info.name + " must be written as " + header + " tables, one per entry");
        continue;
      }
      if (info.name == "therapy.infusion") {
        for (std::size_t i = 0; i < entries->size(); ++i) {
          const toml::table& entry = *entries->get(i)->as_table();
          InfusionConfig infusion;
          infusion.line = static_cast<int>(entry.source().begin.line);
          ctx.config.therapy.infusions.push_back(infusion);
          check_table(&entry, info.name, info.name + "[" + std::to_string(i) + "]", entry.source(), "", ctx);
        }
        continue;
      }
      std::map<std::int64_t, std::size_t> line_of_id;
      for (std::size_t i = 0; i < entries->size(); ++i) {
        const toml::table& entry = *entries->get(i)->as_table();
        const std::string label = info.name + "[" + std::to_string(i) + "]";
        BoundaryNodeConfig bc;
        bc.line = static_cast<int>(entry.source().begin.line);
        ctx.config.boundary_nodes.push_back(bc);
        check_table(&entry, info.name, label, entry.source(), "", ctx);
        const bool has_pressure = entry.contains("pressure"), has_flow = entry.contains("flow");
        if (has_pressure == has_flow)
          ctx.problems.add(entry.source(), label + (has_pressure ? " has both pressure and flow; give one"
                                                                 : " needs pressure or flow"));
        if (const toml::node* id = entry.get("id"); id && id->is_integer()) {
          const auto [it, added] = line_of_id.emplace(id->as_integer()->get(), id->source().begin.line);
          if (!added)
            ctx.problems.add(id->source(), label + ".id = " + std::to_string(it->first) +
                                               " is given twice (first at line " + std::to_string(it->second) + ")");
        }
      }
      continue;
    }

    const toml::table* tbl = node ? node->as_table() : nullptr;
    if (node && !tbl) {
      ctx.problems.add(node->source(), info.name + " must be a table: " + header);
      continue;
    }
    if (info.name == "time") {  // absent: one steady state, no time stepping
      ctx.config.time.given = tbl != nullptr;
      if (!tbl) continue;
    }
    std::string variant;
    if (info.name == "network") {
      const toml::node* file = tbl ? tbl->get("file") : nullptr;
      const toml::node* generator = tbl ? tbl->get("generator") : nullptr;
      if (file && generator)
        ctx.problems.add(generator->source(), "[network] takes either file or generator, not both");
      else if (!file && !generator)
        ctx.problems.add(tbl ? tbl->source() : root.source(),
                         "[network] needs a file (file = \"network.dat\") or a generator (generator = \"lobule\")");
      else
        variant = file ? "file" : "generator";
    }
    check_table(tbl, info.name, info.name, tbl ? tbl->source() : root.source(), variant, ctx);

    // size has as many entries as the generator has dimensions
    if (variant == "generator" && ctx.config.network.generator) {
      const GeneratorSpec& g = *ctx.config.network.generator;
      const std::size_t wanted = g.name == "grid" ? 3 : (g.name == "ladder" || g.name == "tree") ? 1 : 0;
      if (!g.size.empty() && g.size.size() != wanted) {
        const toml::node* size = tbl->get("size");
        ctx.problems.add(size ? size->source() : tbl->source(),
                         wanted == 0 ? "network.size is not used by generator \"" + g.name + "\""
                                     : "network.size for generator \"" + g.name + "\" has " + std::to_string(wanted) +
                                           (wanted == 1 ? " entry" : " entries"));
      }
    }
  }
  check_schedule(root, ctx);
}

// ---- --set overrides ----------------------------------------------------------------------------------

/// Merge one "table.key=value" into `root`. The value is parsed as TOML, else taken as a string.
/// Nodes parsed here carry the source path "--set table.key", which is where their problems are
/// reported.
void apply_override(toml::table& root, const std::string& text, Problems& problems) {
  const auto eq = text.find('=');
  const std::string lhs(trim(std::string_view(text).substr(0, eq == std::string::npos ? text.size() : eq)));
  const std::string where = "--set " + (lhs.empty() ? text : lhs);
  problems.note_override(where);
  if (eq == std::string::npos || lhs.empty()) {
    problems.add_override(where, "'" + text + "' is not an override: write table.key=value, e.g. blood.viscosity=\"4 cP\"");
    return;
  }
  const std::string value(trim(std::string_view(text).substr(eq + 1)));
  toml::table parsed;
  try {
    parsed = toml::parse(lhs + " = " + value, std::string_view(where));
  } catch (const toml::parse_error&) {
    try {
      parsed = toml::parse(lhs + " = " + toml_quote(value), std::string_view(where));
    } catch (const toml::parse_error& e) {
      problems.add_override(where, "'" + text + "' is not an override: " + std::string(e.description()));
      return;
    }
  }
  // Walk the dotted key: one entry per level down to the value.
  toml::table* target = &root;
  toml::table* source = &parsed;
  std::string path;
  while (true) {
    if (source->size() != 1) {
      problems.add_override(where, "'" + text + "' sets more than one key");
      return;
    }
    auto entry = source->begin();
    const toml::key k = entry->first;
    toml::node& node = entry->second;
    path = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
    toml::table* sub = node.as_table();
    if (sub == nullptr || sub->is_inline()) {
      target->insert_or_assign(k, std::move(node));
      return;
    }
    toml::node* existing = target->get(k.str());
    if (existing == nullptr) {
      target->insert(k, std::move(*sub));
      return;
    }
    if (!existing->is_table()) {
      problems.add_override(where, "cannot set keys inside '" + path + "': it is " + type_phrase(*existing) +
                                       (existing->is_array() ? " ([[" + path + "]] entries cannot be overridden)" : ""));
      return;
    }
    target = existing->as_table();
    source = sub;
  }
}

std::string read_case_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError("cannot read case file " + path + ": no such file");
  if (fs::is_directory(path, ec)) throw IoError("cannot read case file " + path + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read case file " + path + ": " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError("cannot read case file " + path + ": read error");
  return text;
}

}  // namespace

CaseConfig load_case(const std::string& path, const std::vector<std::string>& overrides) {
  const std::string text = read_case_file(path);
  Problems problems(path);
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    problems.add(e.source(), std::string(e.description()));
    problems.raise();  // nothing else can be checked
  }
  for (const std::string& o : overrides) apply_override(root, o, problems);

  CaseConfig config;
  config.path = path;
  fs::path case_dir = fs::path(path).parent_path();
  if (case_dir.empty()) case_dir = ".";
  Context ctx{problems, case_dir, config, ""};
  ctx.resolved = "# Resolved case: " + path + ", with every default filled in (hepaflow, schema_version 1).\n";
  for (const std::string& o : overrides) {
    std::string line = o;
    std::replace(line.begin(), line.end(), '\n', ' ');
    ctx.resolved += "# --set " + line + "\n";
  }
  check_case(root, ctx);
  if (!problems.empty()) problems.raise();
  config.resolved_toml = std::move(ctx.resolved);
  return config;
}

// ---- [disease] stage presets ----------------------------------------------------------------------------
// Zonal triples are {periportal, midzonal, pericentral}. Anchors (PARAMETERS.md §4, §7.2): fibrosis
// starts periportally and bridges at F3-F4; HSC narrowing s_HSC 0.85-0.90 (F3), 0.75-0.85 (F4) with
// tone_narrowing 0.3; rarefaction 15-25 % (F3), 30-50 % (F4) closed; CPA 6-10 % (F3), 13-45 %
// (median ~17 %) at F4 (Calvaruso 2009); shunts PT->CV 5-10 % of pairs (F3), 20-33 % of the flow at
// F4 (Sherman 1990), 15-25 um in diameter (Bhunchet & Fujieda 1993). F0-F2 values are assumptions
// graded between healthy and F3. Calibration and what each preset gives: cases/*/README.md.
namespace {
struct StagePreset {
  const char* stage;
  std::array<double, 3> activation, tone, capillarization, collagen, closed_fraction;
  double septa_fraction, septum_radius_um, septum_collagen, shunt_fraction, shunt_radius_um;
};
const StagePreset stage_presets[] = {
    {"none", {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, 0, 20, 0.9, 0, 7.5},
    {"F0", {0.05, 0.05, 0.05}, {0.1, 0.1, 0.1}, {0, 0, 0}, {0.02, 0.005, 0.01}, {0, 0, 0}, 0, 20, 0.9, 0, 7.5},
    {"F1", {0.3, 0.1, 0.05}, {0.3, 0.15, 0.1}, {0.2, 0.05, 0}, {0.05, 0.01, 0.01}, {0.05, 0.02, 0.01}, 0, 20, 0.9, 0, 7.5},
    {"F2", {0.5, 0.25, 0.1}, {0.5, 0.3, 0.15}, {0.4, 0.15, 0.05}, {0.08, 0.02, 0.01}, {0.08, 0.03, 0.01}, 0.02, 20, 0.9,
     0, 7.5},
    {"F3", {0.7, 0.45, 0.3}, {0.7, 0.5, 0.35}, {0.6, 0.35, 0.2}, {0.12, 0.05, 0.03}, {0.2, 0.15, 0.1}, 0.1, 20, 0.9,
     0.015, 7.5},
    {"F4", {0.85, 0.7, 0.55}, {0.85, 0.7, 0.55}, {0.85, 0.6, 0.4}, {0.2, 0.1, 0.06}, {0.35, 0.3, 0.25}, 0.2, 20, 0.9,
     0.02, 7.5},
};
std::string triple(const std::array<double, 3>& v) {
  return "[" + format_number(v[0]) + ", " + format_number(v[1]) + ", " + format_number(v[2]) + "]";
}
}  // namespace

std::string disease_preset(const std::string& stage, const std::string& key) {
  for (const StagePreset& p : stage_presets) {
    if (stage != p.stage) continue;
    if (key == "activation") return triple(p.activation);
    if (key == "tone") return triple(p.tone);
    if (key == "capillarization") return triple(p.capillarization);
    if (key == "collagen") return triple(p.collagen);
    if (key == "closed_fraction") return triple(p.closed_fraction);
    if (key == "septa_fraction") return format_number(p.septa_fraction);
    if (key == "septum_radius") return toml_quote(format_limit(p.septum_radius_um) + " um");
    if (key == "septum_collagen") return format_number(p.septum_collagen);
    if (key == "shunt_fraction") return format_number(p.shunt_fraction);
    if (key == "shunt_radius") return toml_quote(format_limit(p.shunt_radius_um) + " um");
    return "";
  }
  return "";
}

std::string case_reference_markdown() {
  std::string md;
  md += "# Case file reference (schema_version 1)\n\n";
  md += "<!-- Generated from the schema table in solver/src/config/case_config.cpp by\n"
        "     hepaflow::case_reference_markdown(): every build writes it to build/docs/case_reference.md\n"
        "     (`hepaflow case-reference`) and a test fails when this file differs.\n"
        "     Update: cmake --build build --target update_case_reference -->\n\n";
  md += "A case is a TOML file. Rules:\n\n"
        "- `schema_version = 1` is required.\n"
        "- Every dimensional value is a string with a unit: `\"8 um\"`, `\"6 mmHg\"`, `\"3.5 cP\"`. A bare "
        "number for such a key is an error. The accepted units are listed below; internally all "
        "values are SI.\n"
        "- Unknown keys and tables are errors (with a \"did you mean\" suggestion); so are keys of the "
        "wrong type and values out of range. All problems are reported at once, one line each, as "
        "`file:line:col: message`.\n"
        "- `--set table.key=value` overrides (or adds) any key before the case is checked, e.g. "
        "`--set solver.tolerance=1e-12`, `--set network.blocks=[2,2]`, `--set blood.viscosity=\"4 cP\"`. "
        "The value is read as TOML; if it is not valid TOML it is taken as a string.\n"
        "- The resolved case (after `--set`, every default filled in) is written next to the results as "
        "`case.resolved.toml`; running it again gives the same case.\n\n";

  md += "## Units\n\n| quantity | units |\n|---|---|\n";
  for (Dimension d : {Dimension::length, Dimension::pressure, Dimension::viscosity, Dimension::flow,
                      Dimension::volume, Dimension::velocity, Dimension::time, Dimension::mass,
                      Dimension::dose_per_mass, Dimension::consumption_rate, Dimension::diffusivity,
                      Dimension::exposure, Dimension::memory}) {
    std::string phrase = dimension_phrase(d).substr(2);
    std::vector<std::string> units;
    std::string list = accepted_units(d);
    for (std::size_t start = 0; start < list.size();) {
      const std::size_t end = std::min(list.find(", ", start), list.size());
      units.push_back("`" + list.substr(start, end - start) + "`");
      start = end + 2;
    }
    md += "| " + phrase + " | " + join(units, ", ") + " |\n";
  }
  md += "\n`µm` and `μm` may be written for `um`, `L` for `l`, `m3` for `m^3`, and `mPa*s` or `mPa·s` "
        "for `mPa s`; the space between number and unit is optional.\n";

  const auto type_of = [](const Key& k) -> std::string {
    switch (k.kind) {
      case Kind::string: return "string";
      case Kind::choice: return "string";
      case Kind::path: return "string (path)";
      case Kind::integer: return "integer";
      case Kind::number: return "number";
      case Kind::boolean: return "boolean";
      case Kind::quantity: return dimension_phrase(k.dimension).substr(2) + " (string with unit)";
      case Kind::int_array:
        return k.count ? "array of " + std::to_string(k.count) + " integers" : "array of integers";
      case Kind::number_array:
        return k.count ? "array of " + std::to_string(k.count) + " numbers" : "array of numbers";
      case Kind::quantity_array:
        return "array of " + (k.count ? std::to_string(k.count) + " " : std::string()) +
               dimension_phrase(k.dimension).substr(2) + "s (strings with unit)";
    }
    return "";
  };
  const auto allowed_of = [](const Key& k) {
    std::vector<std::string> parts;
    if (k.kind == Kind::choice) {
      std::vector<std::string> quoted;
      for (const std::string& c : k.choices) quoted.push_back("`\"" + c + "\"`");
      parts.push_back(join(quoted, ", "));
      if (!k.planned.empty()) {
        std::vector<std::string> planned;
        for (const std::string& c : k.planned) planned.push_back("`\"" + c + "\"`");
        parts.push_back("planned: " + join(planned, ", "));
      }
    }
    const std::string range = range_text(k.range);
    const bool array = k.kind == Kind::int_array || k.kind == Kind::number_array || k.kind == Kind::quantity_array;
    if (!range.empty()) parts.push_back((array ? "each " : "") + range);
    if (k.kind == Kind::path) parts.push_back("must exist");
    return parts.empty() ? std::string("any") : join(parts, "; ");
  };

  for (const TableInfo& info : tables()) {
    if (info.planned) continue;
    const auto keys = keys_of(info.name);
    const std::string header = info.name.empty() ? "Top level" : info.array ? "[[" + info.name + "]]" : "[" + info.name + "]";
    md += "\n## " + header + "\n\n" + info.doc + "\n";
    if (keys.empty()) continue;
    md += "\n| key | type | default | allowed | description |\n|---|---|---|---|---|\n";
    for (const Key* k : keys) {
      std::string dflt = k->required ? "required"
                         : k->dynamic_default ? k->dynamic_default_doc
                         : k->default_toml.empty() ? "optional" : "`" + k->default_toml + "`";
      std::string doc = k->doc;
      if (!k->variant.empty()) doc = "*" + k->variant + "*: " + doc;
      const auto cell = [](std::string text) {  // a '|' would end the table cell
        for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) text.insert(at, "\\");
        return text;
      };
      md += "| `" + k->name + "` | " + cell(type_of(*k)) + " | " + cell(dflt) + " | " + cell(allowed_of(*k)) + " | " +
            cell(doc) + " |\n";
    }
  }
  md += "\n## [disease] stage presets\n\nValues a `[disease]` key takes when the case does not give it "
        "(zonal triples: periportal, midzonal, pericentral).\n\n| key |";
  for (const StagePreset& p : stage_presets) md += std::string(" ") + p.stage + " |";
  md += "\n|---|";
  for (std::size_t i = 0; i < std::size(stage_presets); ++i) md += "---|";
  md += "\n";
  for (const char* k : {"activation", "tone", "capillarization", "collagen", "closed_fraction", "septa_fraction",
                        "septum_radius", "septum_collagen", "shunt_fraction", "shunt_radius"}) {
    md += std::string("| `") + k + "` |";
    for (const StagePreset& p : stage_presets) md += " `" + disease_preset(p.stage, k) + "` |";
    md += "\n";
  }
  if (std::any_of(tables().begin(), tables().end(), [](const TableInfo& t) { return t.planned; })) {
    md += "\n## Planned tables\n\nThese tables are reserved for features that are not in this version yet. "
          "A case that uses one is rejected (`[x] is not available yet in this version`) rather than run "
          "without it.\n\n";
    for (const TableInfo& info : tables())
      if (info.planned) md += "- `[" + info.name + "]`: " + info.doc + "\n";
  }
  return md;
}

}  // namespace hepaflow
