#pragma once
// CaseConfig: a case file (TOML, schema_version 1) after validation, in SI units. Built by
// load_case(); consumed by the app and the simulation. DESIGN.md "Conventions" and "Case file
// sketch"; every key is documented in docs/case_reference.md.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace hepaflow {

/// Parameters of a built-in network generator ([network] generator = ...).
struct GeneratorSpec {
  std::string name;               ///< "lobule" | "lobule_block" | "ladder" | "tree" | "grid"
  std::string preset = "human";   ///< lobule presets: "human" | "rat" (PARAMETERS.md §7.1)
  int rings = 0;                  ///< lobule: radial node rings PT->CV (0 = preset default)
  int layers = 0;                 ///< lobule: node layers along the lobule axis (0 = preset default)
  int blocks_x = 1, blocks_y = 1; ///< lobule_block: lobules in x and y
  std::vector<int> size;          ///< ladder: {rungs}; tree: {generations}; grid: {nx, ny, nz}
  std::uint64_t seed = 1;         ///< jitter / random radii
};

struct NetworkConfig {
  std::string file;               ///< network file, resolved relative to the case file's folder; empty if generated
  std::string format = "auto";    ///< "auto" | "dat" | "csv" | "vtp"
  double file_length_unit = 1e-6; ///< m per length unit of .vtp/.csv coordinates and radii (vtp/csv carry none)
  std::string radius_array;       ///< .vtp: name of the radius point/cell array ("" = auto-detect)
  bool radius_is_diameter = false;///< .vtp: the array holds diameters
  std::optional<GeneratorSpec> generator;
  bool flows_from_file = false;   ///< use the file's segment flows and Hd instead of solving (GreensV4 style)
  bool drop_unconnected = false;  ///< drop components without a pressure boundary (warning) instead of erroring
};

struct BloodConfig {
  std::string viscosity_law = "constant";  ///< "constant" | "pries1994_invivo" | "pries1992_invitro"
  double viscosity = 3.5e-3;               ///< [Pa s], used by "constant" (Debbaut 2012)
  double plasma_viscosity = 1.2e-3;        ///< [Pa s]
  double mcv = 90e-18;                     ///< mean corpuscular volume [m^3] (90 fl human)
  std::string phase_separation = "none";   ///< "none" | "pries_secomb_2005"
  double haematocrit = 0.45;               ///< inflow discharge haematocrit default
};

/// One [[boundary.node]] entry: exactly one of pressure / flow is set.
struct BoundaryNodeConfig {
  std::int64_t id = 0;                  ///< node id as in the network file
  std::optional<double> pressure;       ///< [Pa]
  std::optional<double> flow;           ///< [m^3/s], positive into the network
  std::optional<double> haematocrit;
  std::optional<double> po2_mmHg;
  int line = 0;                         ///< line in the case file (for error messages)
};

struct SolverConfig {
  std::string method = "auto";     ///< "auto" | "pcg" | "direct" | "petsc"
  std::string preconditioner = "auto";  ///< "auto" | "jacobi" | "amg" (pcg)
  std::string petsc_options;       ///< "petsc": PETSc options, e.g. "-ksp_type cg -pc_type gamg"
  double tolerance = 1e-10;        ///< relative residual ||b - A x|| / ||b||
  int max_iterations = 200000;
  std::string backend = "auto";    ///< "auto" | "cpu" | "cuda" (the CLI's --backend wins)
  int rheology_max_iterations = 100;
  double rheology_flow_tolerance = 1e-6;        ///< max |dQ| / max |Q|
  double rheology_haematocrit_tolerance = 1e-4; ///< max |dH_D|
  std::string rheology_acceleration = "anderson";  ///< "anderson" | "picard"
  int rheology_anderson_depth = 5;
  double rheology_anderson_mixing = 0.5;
  bool allow_unconverged = false;
  /// pcg: start each pressure solve from the previous one's pressures (rheology iterations and
  /// remodelling steps) instead of from zero.
  bool warm_start = true;
  /// Cap on the memory a run may assume available [bytes] (0: none; HEPAFLOW_MEMORY_LIMIT also caps);
  /// the run is refused up front when its estimate exceeds what is available (memory_budget.hpp).
  double memory_limit = 0;
};

/// [oxygen]: convective O2 transport along the flow with tissue consumption (MODEL.md §3).
struct OxygenConfig {
  std::string tissue_model = "none";        ///< "none" | "krogh" | "grid"
  double grid_spacing = 5e-6;               ///< grid: cell size [m]
  double grid_padding = 0.0;                ///< grid: non-consuming tissue around the region [m]
  std::string grid_region = "auto";         ///< grid: "auto" (file's box, else nodes) | "nodes"
  std::string intravascular_resistance;     ///< grid: IntravascRes.dat-format table ("" = GreensV4's)
  double coupling_tolerance_mmHg = 1e-4;    ///< grid: max change of sub-segment blood PO2
  int coupling_max_iterations = 200;        ///< grid
  double inflow_po2_mmHg = 65.0;            ///< inflows without their own PO2 (Godoy 2013)
  double p50_mmHg = 26.8;                   ///< Hill P50 (Severinghaus 1979, human)
  double hill_n = 2.7;                      ///< Hill exponent (Lykkeboe & Johansen 1978)
  double binding_capacity = 0.5;            ///< ml O2 per ml red cells (Secomb's C0)
  double solubility = 3.1e-5;               ///< ml O2 per ml blood per mmHg (alpha_b)
  double consumption_periportal = 0.035;    ///< Vmax at zone 0 [mol m^-3 s^-1] (Matsumura & Thurman 1983)
  double consumption_pericentral = 0.015;   ///< Vmax at zone 1 [mol m^-3 s^-1]
  double km_mmHg = 1.0;                     ///< Michaelis constant (Secomb convention)
  double hypoxia_threshold_mmHg = 10.0;     ///< HIF stabilisation / limited respiration (Schumacker 1993)
  double tissue_diffusivity = 2e-9;         ///< O2 diffusion coefficient in tissue [m^2/s] (PARAMETERS §3)
  double tissue_solubility = 3.1e-5;        ///< ml O2 per ml tissue per mmHg (Secomb's alpha)
};

/// [boundary]: how the network's inflow is controlled (the [[boundary.node]] entries are separate).
struct BoundaryControlConfig {
  std::string hold = "pressure";      ///< "pressure": the boundary values as given; "inflow": all
                                      ///< ("source": fed through an upstream resistance, see the reference)
                                      ///< boundary pressures are scaled about the lowest one so the
                                      ///< total inflow equals total_inflow (portal inflow maintained)
  std::optional<double> total_inflow; ///< [m^3/s]; absent = the undiseased network's at the given pressures
  double source_resistance_ratio = 3; ///< hold = "source": upstream resistance / undiseased network resistance
};

/// [disease]: fibrosis state per segment and its dynamics (MODEL.md §4-5, PARAMETERS.md §4, §7.2).
/// Zonal triples are {periportal, midzonal, pericentral} (zone thirds), interpolated linearly in the
/// zone coordinate between the thirds' centres (1/6, 1/2, 5/6). Keys the case does not give take the
/// values of the stage preset (disease_preset()).
struct DiseaseConfig {
  std::string stage = "none";                         ///< "none" | "F0" .. "F4"
  std::array<double, 3> activation{}, tone{}, capillarization{}, collagen{}, closed_fraction{};
  double septa_fraction = 0;        ///< fraction of portal inflow nodes from which a septum bridges to the central vein
  double septum_radius = 20e-6;     ///< half-width of a septum [m]
  double septum_collagen = 0.9;     ///< collagen fraction inside septa
  double shunt_fraction = 0;        ///< fraction of portal inflow nodes with a direct shunt to the nearest central node
  double shunt_radius = 7.5e-6;     ///< [m]
  double constriction = 0;          ///< uniform narrowing of every segment (0.25 = ET-1, Zhang 1994)
  double tone_narrowing = 0.3;      ///< kappa_tone in r = r0 (1 - kappa_tone a tau)(1 - kappa_cap c)
  double capillarization_narrowing = 0.05;  ///< kappa_cap
  double capillarization_exchange = 0.67;   ///< kappa_ex in k_w = k_w0 (1 - kappa_ex c)
  double disse_width = 1e-6;        ///< healthy space of Disse [m] (sets k_w0)
  double tone_time = 3600;          ///< T_tone [s]
  double relaxation_time = 3600;    ///< 1/k_relax [s]
  double activation_time = 2 * 86400.0;     ///< 1/k_act [s]
  double deactivation_time = 20 * 86400.0;  ///< 1/k_deact [s]
  double collagen_turnover_time = 30 * 86400.0;        ///< 1/k_deg [s]
  double capillarization_turnover_time = 30 * 86400.0; ///< basal refenestration 1/k_refen0 [s]
  double refenestration_time = 14 * 86400.0;           ///< MSC-driven 1/k_refen [s]
  double reopening_time = 14 * 86400.0;                ///< 1/k_reopen [s]
  double vegf_hypoxia_weight = 1.0, vegf_msc_weight = 0.3, vegf_half = 0.5;
  double sprout_threshold = 0.5;    ///< VEGF above which nodes sprout
  double sprouting_time = 100 * 86400.0;  ///< 1/k_sprout per unit VEGF excess [s]; 0 = no sprouting
  double sprout_max_length = 40e-6; ///< [m]
  double sprout_radius = 1.5e-6;    ///< initial radius [m]
  double maturation_time = 7 * 86400.0;  ///< [s]
  double function_half_po2_mmHg = 10.0;  ///< K_f
  double function_time = 7 * 86400.0;    ///< [s]
  double perfused_velocity = 1e-6;    ///< sinusoids slower than this count as unperfused [m/s]
  std::uint64_t seed = 1;
};

/// One MSC infusion (MODEL.md §5).
struct InfusionConfig {
  double time = 0;                 ///< [s] after the start
  double dose = 0;                 ///< [cells/kg body mass]
  std::string route = "hepatic_artery";  ///< iv | portal_vein | hepatic_artery | intrahepatic
  std::array<double, 3> site{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::quiet_NaN()};  ///< intrahepatic site [m]; NaN = network centre
  int line = 0;
};

/// [therapy]: MSC dosing, delivery, residence and effect (MODEL.md §5, PARAMETERS.md §5, §7.3).
struct TherapyConfig {
  /// Every infusion, in time order: the regular schedule (dose > 0: count infusions of dose by route
  /// from start every interval) and the [[therapy.infusion]] entries.
  std::vector<InfusionConfig> infusions;
  double dose = 0, start = 0, interval = 28 * 86400.0;
  int count = 1;
  std::string route = "hepatic_artery";
  std::array<double, 3> site{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::quiet_NaN()};
  double body_mass = 70, liver_mass = 1.5;          ///< [kg]
  double clearance_half_life = 1.5 * 86400.0;      ///< [s]
  double fraction_portal_vein = 0.4, fraction_hepatic_artery = 0.5, fraction_intrahepatic = 0.6;
  double iv_liver_fraction = 0.02, iv_lung_fraction = 0.3, iv_release_to_liver = 0.5;
  double iv_lung_release_time = 5 * 86400.0;       ///< [s]
  double trapping_length = 100e-6;  ///< portal/arterial cells arrest along the flow over this length [m]
  double site_spread = 150e-6;      ///< intrahepatic: Gaussian sigma [m]
  double signal_length = 250e-6;    ///< paracrine kernel length lambda [m]
  double threshold = 0, ec50 = 0;   ///< exposure [cells s m^-3]
  double emax = 2.0, hill = 2.0;
  double effect_waning_time = 180 * 86400.0;  ///< [s]
};

/// [time]: remodelling time steps (MODEL.md §5). Absent: one steady state.
struct TimeConfig {
  bool given = false;
  double end = 0, step = 86400.0, output_interval = 7 * 86400.0;  ///< [s]
  int checkpoint_every = 0;  ///< remodelling steps between restartable checkpoints; 0: none
};

struct OutputConfig {
  bool vtk = true;                 ///< write network_NNNNNN.vtp + network.pvd
};

struct CaseConfig {
  std::string path;                ///< the case file as given
  std::string name;
  std::string description;
  NetworkConfig network;
  BloodConfig blood;
  std::vector<BoundaryNodeConfig> boundary_nodes;
  SolverConfig solver;
  OxygenConfig oxygen;
  BoundaryControlConfig boundary_control;
  DiseaseConfig disease;
  TherapyConfig therapy;
  TimeConfig time;
  OutputConfig output;
  std::string resolved_toml;       ///< the case after --set overrides, with defaults filled in, as TOML text
};

/// Parse and validate a case file. `overrides` are "table.key=value" strings (--set), applied before
/// validation; value is parsed as TOML (so strings need quotes: disease.stage="F3"; a bare word
/// that is not valid TOML is taken as a string). All problems are collected and thrown together as
/// one InputError whose lines read "file:line:col: message" (exit code 3). Unknown keys get a
/// "did you mean" suggestion. Missing/unreadable file: IoError (exit code 4).
CaseConfig load_case(const std::string& path, const std::vector<std::string>& overrides = {});

/// The value of a [disease] key in stage `stage`'s preset as TOML text ("0.3", "[0.6, 0.4, 0.3]",
/// "\"20 um\""); "" when the key is not a preset key. The presets: PARAMETERS.md §7.2 and the
/// table in docs/case_reference.md.
std::string disease_preset(const std::string& stage, const std::string& key);

/// The case file reference (docs/case_reference.md) rendered from the schema table that load_case()
/// validates against: every table and key with its type, unit, default, allowed values and meaning.
std::string case_reference_markdown();

}  // namespace hepaflow
