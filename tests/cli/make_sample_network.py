#!/usr/bin/env python3
"""Write a small 3-D hepaflow-like network result (VTK XML PolyData + .pvd) without hepaflow.

Used by the postproc render test so that postproc/render_network.py is exercised even when the
solver itself is not involved. Pure python3 standard library; the arrays follow the hepaflow output
conventions (docs: shared/DESIGN.md "Conventions"): segment quantities are cell data on line cells,
node quantities (and radius again) are point data.

Geometry: one hexagonal lobule (circumradius 500 um) on three z layers 150 um apart. Six portal
vessels run vertically through the corners, one central vein through the centre, and sinusoids run
radially from each corner to the centre with lateral cross links between neighbouring chains.
Segment kinds as hepaflow's (1 sinusoid, 2 portal venule, 4 central vein); the zone (0 portal ..
1 central) is set on the sinusoids, NaN on the other vessels.
Pressure falls linearly from 8 mmHg (portal) to 3 mmHg (central); flow is Poiseuille flow
Q = pi r^4 dP / (8 mu L) with mu = 3.5 cP; the segment direction is random, so about half of the
flows are negative (the sign only gives the direction relative to the segment's node order).

build_lobule(), write_vtp() and write_pvd() are also used by make_sample_therapy.py.

usage: make_sample_network.py OUTPUT_DIR
"""
import math
import os
import random
import sys

PORTAL_MMHG = 8.0
CENTRAL_MMHG = 3.0
MMHG_TO_PA = 133.322
VISCOSITY_PA_S = 3.5e-3


SINUSOID, PORTAL_VENULE, CENTRAL_VEIN = 1, 2, 4


def build_lobule(rng):
    """The sample lobule: (points, node_radius, node_pressure, segments [(a, b, kind)],
    circumradius)."""
    points = []       # (x, y, z) in um
    node_radius = []  # um
    node_pressure = []
    segments = []     # (a, b, kind)

    def add_node(x, y, z, radius, pressure):
        points.append((x, y, z))
        node_radius.append(radius)
        node_pressure.append(pressure)
        return len(points) - 1

    circumradius = 500.0
    layers = [0.0, 150.0, 300.0]
    chain_nodes = 8  # nodes from corner (index 0) to centre (index chain_nodes)
    portal_radius, central_radius = 14.0, 22.0

    central = [add_node(0.0, 0.0, z, central_radius, CENTRAL_MMHG) for z in layers]
    for i in range(len(layers) - 1):
        segments.append((central[i], central[i + 1], CENTRAL_VEIN))

    corners = []
    for c in range(6):
        angle = math.pi / 3.0 * c
        corner = [add_node(circumradius * math.cos(angle), circumradius * math.sin(angle), z,
                           portal_radius, PORTAL_MMHG) for z in layers]
        for i in range(len(layers) - 1):
            segments.append((corner[i], corner[i + 1], PORTAL_VENULE))
        corners.append(corner)

    # Radial sinusoid chains: from each corner and from each edge midpoint to the centre.
    chains = {}  # (layer, spoke) -> list of node ids, index 0 at the rim
    spokes = 12
    for li, z in enumerate(layers):
        for s in range(spokes):
            angle = math.pi / 6.0 * s
            rim = circumradius if s % 2 == 0 else circumradius * math.cos(math.pi / 6.0)
            ids = []
            for k in range(chain_nodes):
                frac = k / chain_nodes
                jitter = 12.0 * (rng.random() - 0.5) if k > 0 else 0.0
                r = rim * (1.0 - frac) + jitter
                x, y = r * math.cos(angle), r * math.sin(angle)
                zz = z + (8.0 * (rng.random() - 0.5) if k > 0 else 0.0)
                if k == 0 and s % 2 == 0:
                    ids.append(corners[s // 2][li])
                    continue
                radius = 4.0 + 2.5 * rng.random()
                pressure = PORTAL_MMHG - (PORTAL_MMHG - CENTRAL_MMHG) * frac
                ids.append(add_node(x, y, zz, radius, pressure))
            ids.append(central[li])
            for a, b in zip(ids[:-1], ids[1:]):
                segments.append((a, b, SINUSOID))
            chains[(li, s)] = ids
        # Edge-midpoint chains start at a node fed from the two neighbouring corners.
        for s in range(1, spokes, 2):
            rim_node = chains[(li, s)][0]
            segments.append((corners[(s // 2) % 6][li], rim_node, SINUSOID))
            segments.append((corners[(s // 2 + 1) % 6][li], rim_node, SINUSOID))
        # Lateral cross links between neighbouring spokes.
        for s in range(spokes):
            for k in range(2, chain_nodes - 1, 2):
                a = chains[(li, s)][k]
                b = chains[(li, (s + 1) % spokes)][k]
                segments.append((a, b, SINUSOID))
    # A few vertical sinusoids between layers.
    for li in range(len(layers) - 1):
        for s in range(0, spokes, 3):
            k = 3 + (s % 3)
            segments.append((chains[(li, s)][k], chains[(li + 1, s)][k], SINUSOID))

    return points, node_radius, node_pressure, segments, circumradius


def segment_arrays(rng, points, node_radius, node_pressure, segments, circumradius,
                   radius_factor=None):
    """Connectivity (random node order) and the cell arrays of the segments; radius_factor
    (per segment) narrows or widens them."""
    cell = {"segment_id": [], "kind": [], "radius_um": [], "length_um": [],
            "flow_nl_per_min": [], "velocity_mm_per_s": [], "wall_shear_stress_Pa": [],
            "viscosity_cP": [], "zone": []}
    conn = []
    for sid, (a, b, kind) in enumerate(segments):
        if rng.random() < 0.5:
            a, b = b, a
        conn.append((a, b))
        pa, pb = points[a], points[b]
        length = math.dist(pa, pb)
        radius = min(node_radius[a], node_radius[b])
        if radius_factor is not None:
            radius *= radius_factor[sid]
        r_m, l_m = radius * 1e-6, max(length, 1.0) * 1e-6
        dp = (node_pressure[a] - node_pressure[b]) * MMHG_TO_PA
        q = math.pi * r_m ** 4 * dp / (8.0 * VISCOSITY_PA_S * l_m)  # m^3/s, Poiseuille
        if kind != SINUSOID:
            q = (1 if rng.random() < 0.5 else -1) * (800.0 + 700.0 * rng.random()) * 1e-12 / 60.0
        area = math.pi * r_m ** 2
        velocity = q / area
        wss = 4.0 * VISCOSITY_PA_S * abs(q) / (math.pi * r_m ** 3)
        mid_r = math.hypot(0.5 * (pa[0] + pb[0]), 0.5 * (pa[1] + pb[1]))
        zone = (float("nan") if kind != SINUSOID
                else max(0.0, min(1.0, 1.0 - mid_r / circumradius)))
        cell["segment_id"].append(sid)
        cell["kind"].append(kind)
        cell["radius_um"].append(radius)
        cell["length_um"].append(length)
        cell["flow_nl_per_min"].append(q * 1e12 * 60.0)
        cell["velocity_mm_per_s"].append(velocity * 1e3)
        cell["wall_shear_stress_Pa"].append(wss)
        cell["viscosity_cP"].append(3.5 if kind != SINUSOID else 3.0 + 1.0 * rng.random())
        cell["zone"].append(zone)
    return conn, cell


TYPES = {"segment_id": "Int64", "kind": "UInt8", "node_id": "Int64", "closed": "UInt8",
         "hypoxic": "UInt8", "in_region": "UInt8"}


def data_array(name, values):
    vtype = TYPES.get(name, "Float64")
    if vtype == "Float64":
        text = " ".join("NaN" if math.isnan(v) else repr(float(v)) for v in values)
    else:
        text = " ".join(str(int(v)) for v in values)
    return ('        <DataArray type="%s" Name="%s" format="ascii">\n          %s\n'
            '        </DataArray>\n' % (vtype, name, text))


def write_atomic(path, text):
    temporary = path + ".partial"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


def write_vtp(path, points, point_arrays, cell_arrays, conn):
    """VTK XML PolyData (ascii) of line cells."""
    lines = ['<?xml version="1.0"?>\n',
             '<VTKFile type="PolyData" version="1.0" byte_order="LittleEndian" '
             'header_type="UInt64">\n',
             '  <PolyData>\n',
             '    <Piece NumberOfPoints="%d" NumberOfVerts="0" NumberOfLines="%d" '
             'NumberOfStrips="0" NumberOfPolys="0">\n' % (len(points), len(conn)),
             '      <PointData Scalars="radius_um">\n']
    lines += [data_array(name, values) for name, values in point_arrays.items()]
    lines += ['      </PointData>\n',
              '      <CellData>\n']
    lines += [data_array(name, values) for name, values in cell_arrays.items()]
    lines += ['      </CellData>\n',
              '      <Points>\n',
              '        <DataArray type="Float64" NumberOfComponents="3" format="ascii">\n',
              '          %s\n' % " ".join("%r %r %r" % p for p in points),
              '        </DataArray>\n',
              '      </Points>\n',
              '      <Lines>\n',
              '        <DataArray type="Int64" Name="connectivity" format="ascii">\n',
              '          %s\n' % " ".join("%d %d" % c for c in conn),
              '        </DataArray>\n',
              '        <DataArray type="Int64" Name="offsets" format="ascii">\n',
              '          %s\n' % " ".join(str(2 * (i + 1)) for i in range(len(conn))),
              '        </DataArray>\n',
              '      </Lines>\n',
              '    </Piece>\n',
              '  </PolyData>\n',
              '</VTKFile>\n']
    write_atomic(path, "".join(lines))


def write_pvd(path, entries):
    """A .pvd collection of [(time, file name)]."""
    write_atomic(path, '<?xml version="1.0"?>\n'
                 '<VTKFile type="Collection" version="1.0" byte_order="LittleEndian">\n'
                 '  <Collection>\n'
                 + "".join('    <DataSet timestep="%r" part="0" file="%s"/>\n' % (t, f)
                           for t, f in entries)
                 + '  </Collection>\n'
                 '</VTKFile>\n')


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__.strip().splitlines()[-1] + "\n")
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(7)
    points, node_radius, node_pressure, segments, circumradius = build_lobule(rng)
    conn, cell = segment_arrays(rng, points, node_radius, node_pressure, segments, circumradius)
    write_vtp(os.path.join(out_dir, "network_000000.vtp"), points,
              {"node_id": range(len(points)), "radius_um": node_radius,
               "pressure_mmHg": node_pressure}, cell, conn)
    write_pvd(os.path.join(out_dir, "network.pvd"), [(0, "network_000000.vtp")])
    write_atomic(os.path.join(out_dir, "case.resolved.toml"),
                 'schema_version = 1\n[case]\nname = "sample_lobule"\n'
                 'description = "Synthetic 3-D lobule for the postproc render test"\n')
    print("wrote %d nodes, %d segments to %s" % (len(points), len(conn), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
