#pragma once
// Network generators: the liver lobule (hexagonal prism, PARAMETERS.md §7.1), blocks of lobules
// sharing portal tracts, and small test networks (ladder, symmetric tree, 3-D grids). Every network
// comes with ids, radius, length, kind, zone, tissue volume and boundary conditions, in SI units.
#include <cstdint>
#include <string>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow::meshes {

struct LobuleParameters {
  double circumradius;                 ///< axis -> portal corner [m]
  double height;                       ///< prism height [m]
  double sinusoid_radius_periportal;   ///< [m] at zone 0
  double sinusoid_radius_pericentral;  ///< [m] at zone 1
  double central_vein_radius;          ///< [m]
  double portal_venule_radius;         ///< terminal portal venule along the corner edges [m]
  double inlet_venule_radius;          ///< inlet venules along the hexagon faces [m]
  double node_spacing;                 ///< anastomosis spacing [m]
  double portal_pressure;              ///< BC at the portal tracts [Pa]
  double central_pressure;             ///< BC at the central vein [Pa]
  double inflow_haematocrit = 0.45;
  double inflow_po2_mmHg = 65.0;
  int rings = 0;                       ///< sinusoid node rings between central vein and portal edge (0: from spacing)
  int layers = 0;                      ///< node layers along the axis: 0 = full height; n = a slab of n layers, node_spacing apart
  double jitter = 0.2;                 ///< in-plane jitter of interior nodes, fraction of the spacing
  std::uint64_t seed = 1;
};

/// "human" | "rat" (PARAMETERS.md §7.1); InputError otherwise.
LobuleParameters lobule_preset(const std::string& name);

/// One lobule (see lobule_generator.cpp for the construction and its sources).
Network generate_lobule(const LobuleParameters& p);
/// bx x by lobules tiled as flat-topped hexagons; shared corners (portal tracts) and faces are merged.
Network generate_lobule_block(const LobuleParameters& p, int blocks_x, int blocks_y);
/// Segment count of generate_lobule_block without building it: exact for one lobule; for blocks, corners
/// shared by three lobules make it low by (layers - 1) segments each.
std::size_t estimate_lobule_block_segments(const LobuleParameters& p, int blocks_x, int blocks_y);

/// Two rails of `rungs` nodes joined by rungs; inlet pressure at rail A's first node, outlet at rail
/// B's last node. Segment length `length` everywhere.
Network generate_ladder(int rungs, double radius, double length, double inlet_pressure, double outlet_pressure);
/// Symmetric binary tree of `generations` levels (2^g - 1 segments) with Murray's law
/// r_child = r_parent 2^(-1/3) and L_child = L_parent 2^(-1/3); inlet at the root, outlet at the leaves.
Network generate_tree(int generations, double root_radius, double root_length, double inlet_pressure,
                      double outlet_pressure);
/// The rule of ../shared/tools/gen_grid_secomb.py: nx x ny x nz nodes 25 um apart, diameters uniform
/// in 6-10 um, one-segment boundary stubs on the x faces (inlet 20 mmHg, outlet 10 mmHg), Hd 0.45,
/// PO2 65 mmHg. Random radii from std::mt19937_64 (not numpy's stream): read the .dat the script
/// writes where the identical network is needed.
Network generate_grid(int nx, int ny, int nz, std::uint64_t seed);
/// The rule of ../shared/tools/peer_flow_bench.py: n^3 nodes 25 um apart, radius uniform 3-5 um,
/// length 25 um, the i0 = 0 face at 800 Pa and the i0 = n-1 face at 533 Pa (no stubs).
Network generate_peer_grid(int n, std::uint64_t seed);

/// The case file's [network] generator spec -> network (InputError for bad sizes).
Network generate_from_spec(const GeneratorSpec& spec);

}  // namespace hepaflow::meshes
