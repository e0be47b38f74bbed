#pragma once
// CaseConfig: a case file (TOML, schema_version 1) after validation, in SI units. Built by
// load_case(); consumed by the app and the simulation. DESIGN.md "Conventions" and "Case file
// sketch"; every key is documented in docs/case_reference.md.
#include <cstdint>
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
  std::string method = "auto";     ///< "auto" | "pcg" | "direct"
  double tolerance = 1e-10;        ///< relative residual ||b - A x|| / ||b||
  int max_iterations = 200000;
  std::string backend = "auto";    ///< "auto" | "cpu" | "cuda" (the CLI's --backend wins)
  int rheology_max_iterations = 100;
  double rheology_flow_tolerance = 1e-6;        ///< max |dQ| / max |Q|
  double rheology_haematocrit_tolerance = 1e-4; ///< max |dH_D|
  bool allow_unconverged = false;
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
  OutputConfig output;
  std::string resolved_toml;       ///< the case after --set overrides, with defaults filled in, as TOML text
};

/// Parse and validate a case file. `overrides` are "table.key=value" strings (--set), applied before
/// validation; value is parsed as TOML (so strings need quotes: disease.stage="F3"; a bare word
/// that is not valid TOML is taken as a string). All problems are collected and thrown together as
/// one InputError whose lines read "file:line:col: message" (exit code 3). Unknown keys get a
/// "did you mean" suggestion. Missing/unreadable file: IoError (exit code 4).
CaseConfig load_case(const std::string& path, const std::vector<std::string>& overrides = {});

/// The case file reference (docs/case_reference.md) rendered from the schema table that load_case()
/// validates against: every table and key with its type, unit, default, allowed values and meaning.
std::string case_reference_markdown();

}  // namespace hepaflow
