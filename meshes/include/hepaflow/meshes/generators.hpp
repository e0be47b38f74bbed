#pragma once
// Built-in network generators (DESIGN.md "Layout": meshes/ generators): the hexagonal liver lobule
// and tiled blocks of lobules (PARAMETERS.md §1 and §7.1), plus simple test networks (ladder,
// symmetric binary tree, the 3-D grid of ../shared/tools/gen_grid_secomb.py).
//
// Every generated Network is in SI units and has node ids (1-based, = index + 1), segment ids
// (1-based, = index + 1), radius, length (Euclidean), kind, zone, tissue_volume and pressure boundary
// conditions (with inflow haematocrit and PO2 on the inflow side) filled. Bad parameters throw
// hepaflow::InputError (exit code 3) with a message naming the parameter.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow::meshes {

/// Geometry and boundary conditions of a hexagonal lobule. Defaults = the human column of
/// PARAMETERS.md §7.1; lobule_preset("rat") gives the rat column.
///
/// The lobule is a hexagonal prism (circumradius R, axis along z, corners at 0°, 60°, ... in the
/// x-y plane; PARAMETERS.md §7.1 "Lobule shape") built from identical node layers:
///  * Each layer holds `rings` node rings from the portal edge (ring 0, on the hexagon boundary,
///    zeta = 0) to the central-vein wall (last ring, on the circle of radius central_vein_radius,
///    zeta = 1). Ring i lies at zeta_i = i / (rings - 1) along straight rays from the CV wall to the
///    hexagon boundary and holds 6 m_i nodes, m_i = round(perimeter_i / (6 h)), so the
///    circumferential spacing stays close to the radial spacing h; ring 0 divides each hexagon edge
///    into m_0 = round(R / h) equal parts; its six corners are the portal-tract nodes.
///  * Segments of a layer: along ring 0 the inlet venules (kind portal_venule, inlet_venule_radius:
///    the interlobular plexus that carries portal blood from the corner tracts along the lobule
///    faces); if inlet_venule_radius = 0 these are periportal sinusoids instead, and the sinusoids
///    are fed from the corners only. Circumferential anastomoses (sinusoids) within every other
///    ring; quasi-radial sinusoids from each node of ring i to the node of ring i+1 nearest in ray
///    parameter (converging towards the CV); from each CV-wall node a connector to the CV axis node
///    (kind central_vein, radius of the central vein: it stands for the CV lumen). Between
///    consecutive layers every node is joined to the node above it: vertical sinusoid
///    anastomoses, the portal venules along the corner edges, the central vein along the axis.
///  * Node positions of the interior rings (not ring 0, not the CV wall) are jittered by a uniform
///    random amount in +-jitter*h/2 in each of x, y, z (seeded, counter-based: the same seed gives
///    bit-identical networks, another seed other positions, same topology).
///  * zeta of a node = 1 - (rho - r_cv) / (R_hex(theta) - r_cv) from its (jittered) position relative
///    to its lobule's axis, clamped to [0, 1]; a segment's zone is the mean of its nodes'. Sinusoid
///    radius is linear in zone from sinusoid_radius_periportal (zone 0) to
///    sinusoid_radius_pericentral (zone 1).
///  * Tissue volume, per lobule of an infinite tiling: the prism volume A_hex * H minus the lumens of
///    the central vein (pi r_cv^2 H), of the lobule's share of the portal venules (6 corner edges,
///    each shared by 3 lobules: 2 pi r_pv^2 H), of its share of the inlet venules (6 faces of length
///    R, each shared by 2 lobules: 3 R pi r_iv^2 per layer) and of all sinusoids (sum pi r^2 L). The
///    block's total is shared among the quasi-radial sinusoids (ring i -> ring i+1) in proportion to
///    their length; the circumferential and vertical anastomoses and the vessels get 0. The radial
///    channels carry the flow (the anastomoses carry ~15 % of the flow-length product in the human
///    lobule, the vertical ones ~1 %), and every point of the lattice lies within h / 2 (12.5 um at
///    25 um spacing) of one, well inside the O2 diffusion range of a sinusoid (Krogh radius ~14 um):
///    the tissue between two radial channels is supplied by them, not by the near-stagnant
///    cross-link through it. Sharing tissue with the anastomoses instead starves them (vessel PO2
///    near 0 next to 60 mmHg radial channels 25 um away), which a lumped model cannot correct by
///    diffusion. Hepatocyte plates run radially with sinusoids between them (PARAMETERS.md §1
///    "Network topology": anisotropic, preferentially radial toward the CV).
///  * Boundary conditions: the pressures of PARAMETERS.md §7.1 are those measured in the terminal
///    portal venule (P_PT) and the terminal hepatic venule (P_CV), so by default every portal-venule
///    node (corner edges) is a pressure boundary at portal_pressure (with inflow_haematocrit and
///    inflow_po2_mmHg) and every central-vein axis node one at central_pressure (no Hd/PO2: an
///    outflow). The vessels along the corner edges and the axis then carry no flow themselves.
///    With pressure_at_vessel_ends_only, only the bottom and top node of each portal venule and of
///    the central vein are boundaries, and the vessels carry the flow they distribute / collect
///    (their resistance included).
struct LobuleParameters {
  /// CV axis -> portal-triad corner [m]. PARAMETERS.md §7.1 "Circumradius R": human 0.50e-3
  /// (derived from Berndt 2018, 1 mm^3 per lobule), rat 0.35e-3 (assumption).
  double circumradius = 0.50e-3;
  /// Prism height [m], used when layers = 0. PARAMETERS.md §7.1 "Lobule height H": human 1.5e-3,
  /// rat 1.0e-3 (textbooks).
  double height = 1.5e-3;
  /// Sinusoid radius at zone 0 / zone 1 [m]. PARAMETERS.md §7.1 "Sinusoid diameter": human 7 -> 9 um,
  /// rat 6 -> 8 um (zonal widening, Wisse 1983).
  double sinusoid_radius_periportal = 3.5e-6;
  double sinusoid_radius_pericentral = 4.5e-6;
  /// PARAMETERS.md §7.1 "Central vein radius": human 30e-6 (Almenar-Medina 2017), rat 26.5e-6.
  double central_vein_radius = 30e-6;
  /// PARAMETERS.md §7.1 "Terminal portal venule radius": human 23e-6, rat 20e-6 (PhysiCell model).
  double portal_venule_radius = 23e-6;
  /// Inlet venules along the lobule faces [m]; 0 = none (faces are periportal sinusoids).
  /// Assumption (no measured value in PARAMETERS.md): half the terminal portal venule radius.
  double inlet_venule_radius = 11.5e-6;
  /// Target node spacing h [m], used when rings = 0. PARAMETERS.md §7.1 "Anastomosis topology":
  /// lateral cross-links every ~1-2 hepatocyte lengths (20-40 um; assumption): 25 um.
  double node_spacing = 25e-6;
  /// Pressure boundary conditions [Pa]. PARAMETERS.md §7.1 "BC: P_PT" human 6.0 mmHg, rat 5.0 mmHg;
  /// "BC: P_CV" human 4.0 mmHg, rat 2.06 mmHg.
  double portal_pressure = 6.0 * 133.322387415;
  double central_pressure = 4.0 * 133.322387415;
  /// Inflow discharge haematocrit and PO2 at the portal boundaries. PARAMETERS.md §7.1
  /// "Inlet PO2 (mixed PT blood)" 65 mmHg; Hd 0.45 (DESIGN.md case-file default).
  double inflow_haematocrit = 0.45;
  double inflow_po2_mmHg = 65.0;
  /// Radial node rings from the portal edge to the CV wall (both included), >= 2. 0 = derived:
  /// rings - 1 = max(1, round((R_eq - r_cv) / node_spacing)), R_eq = R sqrt(3 sqrt(3) / (2 pi)) the
  /// radius of the circle of the hexagon's area. The spacing is h = (R_eq - r_cv) / (rings - 1).
  int rings = 0;
  /// Node layers along the axis, >= 1. 0 = derived: layers = max(1, round(height / h)) filling the
  /// full height (layer spacing height / layers). layers > 0 builds a slab of that many layers
  /// spaced h apart (thickness layers * h; height is then not used): thin demo slabs.
  /// Layer l sits at z = (l + 1/2) * layer spacing.
  int layers = 0;
  /// Node position jitter as a fraction of h, in [0, 0.9].
  double jitter = 0.2;
  std::uint64_t seed = 1;
  /// See "Boundary conditions" above.
  bool pressure_at_vessel_ends_only = false;
};

/// "human" | "rat" (PARAMETERS.md §7.1); InputError otherwise.
LobuleParameters lobule_preset(const std::string& name);

/// One hexagonal lobule (see LobuleParameters), centred on the z axis.
Network generate_lobule(const LobuleParameters& p);

/// blocks_x x blocks_y lobules tiled in the plane (flat-top hexagons: columns 1.5 R apart in x, odd
/// columns shifted by sqrt(3) R / 2 in y). Neighbouring lobules share the nodes and segments of
/// their common faces, and up to three lobules share each portal venule (corner edge): shared nodes
/// are merged exactly (their positions come from an integer lattice), never duplicated.
/// InputError if the block would exceed 32-bit indices.
Network generate_lobule_block(const LobuleParameters& p, int blocks_x, int blocks_y);

/// Segment count of generate_lobule_block(p, bx, by), computed from the ring layout without building
/// the network (exact, O(rings)). For sizing benchmarks and refusing too-large requests.
std::size_t estimate_lobule_block_segments(const LobuleParameters& p, int bx, int by);
/// Node count of generate_lobule_block(p, bx, by) (exact, O(rings)).
std::size_t estimate_lobule_block_nodes(const LobuleParameters& p, int bx, int by);

/// Ladder: two rails of `rungs` nodes each (x = i * length; rail A at y = 0, rail B at y = length)
/// joined by `rungs` rungs; 3 rungs - 2 segments, all of the given radius and length (kind sinusoid).
/// Inlet pressure (Hd 0.45, PO2 65 mmHg) at the first node of rail A, outlet pressure at the last
/// node of rail B. zone = x / x_max along the rails (0.5 where rungs = 1). Tissue: each node owns a
/// cube of side `length`; that volume minus the lumens is shared in proportion to segment length.
Network generate_ladder(int rungs, double radius, double length, double inlet_pressure, double outlet_pressure);

/// Symmetric binary tree of `generations` generations (generation g has 2^g segments; 2^G - 1
/// segments, 2^G nodes). Murray's law: r_{g+1} = r_g / 2^(1/3); lengths L_{g+1} = length_ratio L_g
/// (default 2^(-1/3): L/r constant, so every generation has the same total resistance and the tree's
/// resistance is G times the root's). Root inlet node: inlet pressure (Hd 0.45, PO2 65 mmHg); every
/// leaf: outlet pressure. Children branch at +-30° from the parent's direction, in planes that
/// alternate between generations. Kind other; zone = (g + 0.5) / G; tissue volume
/// max(0, L (L^2 - pi r^2)) (a square tissue tube of side L around each segment).
Network generate_tree(int generations, double root_radius, double root_length, double inlet_pressure,
                      double outlet_pressure, double length_ratio = 0.79370052598409973737);

/// 3-D grid of ../shared/tools/gen_grid_secomb.py (generalised to nx x ny x nz; the script is
/// nx = ny = nz = n): nodes 25 um apart, node index (k ny + j) nx + i, segments to the +x, +y, +z
/// neighbours in that loop order, then per (k, j) a 25 um boundary stub before the x = 0 face
/// (pressure 20 mmHg) and after the x = nx-1 face (10 mmHg), all boundary nodes with Hd 0.45 and
/// PO2 65; diameters uniform in 6-10 um in segment order (seeded). Segment count
/// 3 n^2 (n-1) + 2 n^2 for a cube. Kind sinusoid; zone = mean of (i + 1) / (nx + 1) over the ends
/// (stub nodes at 0 and 1); tissue: the box (nx ny nz cells of 25 um) minus the lumens, shared by the
/// grid segments (not the stubs) in proportion to length.
/// The random numbers cannot match numpy's (PCG64) bit for bit: the network matches the script's
/// in topology, geometry, boundary conditions and radius distribution, not in the individual radii.
/// Where the identical network is needed, read the .dat the script writes (read_secomb_dat).
Network generate_grid(int nx, int ny, int nz, std::uint64_t seed);

/// The network of ../shared/tools/peer_flow_bench.py (the scipy peer of DESIGN.md "Performance
/// method"): n^3 nodes 25 um apart, node index (i0 n + i1) n + i2, segments between neighbours along
/// each axis (axis-major order), radius uniform in 3-5 um (std::mt19937_64 + uniform_real_distribution,
/// so not numpy's numbers), length 25 um; the i0 = 0 face at 800 Pa (Hd 0.45, PO2 65 mmHg), the
/// i0 = n-1 face at 533 Pa. No stubs: 3 n^2 (n-1) segments. Kind sinusoid; zone i0 / (n-1) (mean of
/// the ends); tissue as for generate_grid (n^3 cells of 25 um minus lumens, by length).
Network generate_peer_grid(int n, std::uint64_t seed);

/// The [network] generator of a case file: lobule / lobule_block (preset, rings, layers, seed;
/// blocks_x x blocks_y), ladder (size = {rungs}; default 10; radius 4 um, length 25 um, 6 -> 4 mmHg),
/// tree (size = {generations}; default 6; root radius 23 um, root length 230 um, 6 -> 4 mmHg), grid
/// (size = {nx, ny, nz} or {n}; default 10^3; seed). InputError naming the bad value otherwise.
/// Refused before anything is allocated (Error, exit code 1) when the host cannot hold the network
/// (memory_budget.hpp; HEPAFLOW_MEMORY_LIMIT caps the memory assumed free).
Network generate_from_spec(const GeneratorSpec& spec);

struct NetworkSize {
  std::size_t nodes = 0, segments = 0;
};
/// The exact size of generate_from_spec(spec), computed without building it (O(rings)); checks the
/// spec like generate_from_spec does (InputError naming the bad value, or more than 32-bit indices).
NetworkSize generated_network_size(const GeneratorSpec& spec);

}  // namespace hepaflow::meshes
