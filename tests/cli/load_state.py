"""Load a ParaView state file and render it (run with pvbatch): does the GUI's File > Load State
work on the .pvsm files the postproc scripts write?

usage: pvbatch tests/cli/load_state.py STATE.pvsm
Exit 0 when the state loads, has sources and a render view and renders; 1 otherwise; 6 when
ParaView's Python modules are missing.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "postproc"))
import hepaflow_paraview as hp  # noqa: E402


def main(argv):
    if len(argv) != 1 or not os.path.isfile(argv[0]):
        sys.stderr.write("usage: pvbatch load_state.py STATE.pvsm\n")
        return 1
    pv = hp.import_paraview()
    if pv is None:
        sys.stderr.write(hp.PARAVIEW_INSTALL_HINT + "\n")
        return 6
    pv.LoadState(argv[0])
    sources, views = pv.GetSources(), pv.GetRenderViews()
    ok = bool(sources) and bool(views)
    if ok:
        pv.Render(views[0])
    print("load_state: %s: %d sources (%s), %d render views%s"
          % (argv[0], len(sources), ", ".join(sorted(name for name, _ in sources)),
             len(views), "" if ok else ": FAILED"))
    for view in views:  # pvbatch 5.11 aborts at exit with a live view (GLXBadContext)
        pv.Delete(view)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
