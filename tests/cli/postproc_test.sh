#!/usr/bin/env bash
# Driver for the postproc plot / render / report tests (registered in tests/cli/tests.cmake).
#
#   postproc_test.sh plots   HEPAFLOW SOURCE_DIR WORK_DIR  # matplotlib plots + report --no-render
#                                                          # on therapy runs and a dose x route sweep
#   postproc_test.sh renders HEPAFLOW SOURCE_DIR WORK_DIR  # ParaView: frames, slab, tissue slice,
#                                                          # state files
#   postproc_test.sh report  HEPAFLOW SOURCE_DIR WORK_DIR  # report.py on the demo and brain cases
#
# The therapy runs are real hepaflow runs of cases/msc_dose_response, shrunk to a 2-layer slab and
# 28 days (MSC 1e6 cells/kg and a no-therapy control), and a real `hepaflow sweep` over route x
# dose. Only the report of a sweep with a failed member uses a synthetic sweep
# (make_sample_therapy.py), because no real case fails on purpose. Every PNG is
# checked by check_png.py (size, distinct colours, coverage, colour bar, content where expected),
# every report.html by check_report.py (each src/href names an existing file). Exits 0 when every
# step passes, 77 (CTest SKIP_RETURN_CODE) when matplotlib (plots, report) or pvbatch / xvfb-run /
# ParaView's Python modules (renders) are missing, non-zero on the first failing step otherwise.
set -euo pipefail

PROG=postproc_test
source "$(dirname "$0")/postproc_common.sh"

mode=${1:-}
case "$mode" in
  plots|renders|report) [[ $# -eq 4 ]] || die "usage: $0 $mode HEPAFLOW SOURCE_DIR WORK_DIR"
                        hepaflow=$2; src=$3; work=$4 ;;
  *)                    die "usage: $0 plots|renders|report HEPAFLOW SOURCE_DIR WORK_DIR" ;;
esac
rm -rf "$work"
mkdir -p "$work"
post="$src/postproc"
# Colours the plots draw their first and second run / series with (hepaflow_plots.RUN_COLOURS).
BLUE=0072B2
ORANGE=D55E00

# make_runs: real therapy outputs (history.csv, .vtp series every 7 d, summary) and a real sweep.
make_runs() {
  local case="$src/cases/msc_dose_response/case.toml"
  local small=(--set network.layers=2 --set 'time.end="28 d"')
  msc="$work/msc"; control="$work/control"; sweep="$work/sweep"
  step "hepaflow run msc_dose_response (2-layer slab, 28 d): MSC 1e6 cells/kg and no therapy"
  "$hepaflow" run "$case" --output "$msc" --overwrite -q "${small[@]}" \
    || die "hepaflow run (MSC) exited $?"
  "$hepaflow" run "$case" --output "$control" --overwrite -q "${small[@]}" \
    --set 'therapy.dose="0 cells/kg"' || die "hepaflow run (control) exited $?"
  step "hepaflow sweep msc_dose_response: route x dose (8 members)"
  "$hepaflow" sweep "$case" --output "$sweep" --overwrite -q -j2 "${small[@]}" \
    --set 'time.output_interval="28 d"' --param therapy.route=hepatic_artery,iv \
    --param therapy.dose=0,3e5,1e6,1e7 || die "hepaflow sweep exited $?"
}

# check_report REPORT ARGS...: references, images, sections; then every local image's PNG checks.
check_report() {
  local html=$1
  shift
  python3 "$src/tests/cli/check_report.py" "$html" --list-images "$work/images.txt" "$@" \
    || die "check_report.py: $html"
  while read -r png; do
    check_png "$png" --min-colors 50 --min-fraction 0.02 --max-fraction 0.95
  done <"$work/images.txt"
}

case "$mode" in
plots)
  require_matplotlib
  make_runs

  step "plot_history.py: one therapy run"
  python3 "$post/plot_history.py" "$msc" --output "$work/history.png" --size 1500 1100 \
    || die "plot_history.py exited $?"
  check_png "$work/history.png" --width 1500 --height 1100 --min-colors 200 --min-fraction 0.02 \
    --colour-present $BLUE 0.002 --colour-present $ORANGE 0.0008 --content 0.05 0.1 0.95 0.9 0.02

  step "plot_history.py: therapy against control"
  python3 "$post/plot_history.py" "$msc" "$control" --labels "MSC" "no therapy" \
    --output "$work/history_compare.png" || die "plot_history.py exited $?"
  check_png "$work/history_compare.png" --width 1800 --height 1400 --min-colors 200 \
    --colour-present $BLUE 0.002 --colour-present $ORANGE 0.002

  step "plot_zonation.py: therapy at days 0 and 28 against control"
  python3 "$post/plot_zonation.py" "$msc" "$control" --time 0 28 \
    --output "$work/zonation.png" --size 1200 800 || die "plot_zonation.py exited $?"
  check_png "$work/zonation.png" --width 1200 --height 800 --min-colors 200 \
    --colour-present $BLUE 0.0012 --colour-present $ORANGE 0.0012
  python3 "$post/plot_zonation.py" "$msc" --all-times --array po2_mean_mmHg hsc_activation \
    --output "$work/zonation_all.png" || die "plot_zonation.py --all-times exited $?"
  check_png "$work/zonation_all.png" --width 1600 --height 900 --min-colors 200

  step "plot_histograms.py: segments and the tissue grid"
  python3 "$post/plot_histograms.py" "$msc" --time 14 --output "$work/histograms.png" \
    || die "plot_histograms.py exited $?"
  check_png "$work/histograms.png" --width 1600 --height 1000 --min-colors 100 \
    --min-fraction 0.05 --colour-present $BLUE 0.005
  [[ $(grep -c "^Histogram data" "$work/histograms.txt") -eq 5 ]] \
    || die "histograms.txt: expected 5 histograms (flow, velocity, shear, vessel PO2, tissue PO2)"
  [[ $(grep -c "^Mean = " "$work/histograms.txt") -eq 5 ]] || die "histograms.txt: no Mean lines"
  grep -q "t = 14 d" "$work/histograms.txt" || die "histograms.txt does not say t = 14 d"

  step "plot_dose_response.py: sweep over dose x route, one failed run"
  python3 "$post/plot_dose_response.py" "$sweep" --output "$work/dose_response.png" \
    || die "plot_dose_response.py exited $?"
  check_png "$work/dose_response.png" --width 1600 --height 1100 --min-colors 200 \
    --colour-present $BLUE 0.002 --colour-present $ORANGE 0.002
  python3 "$post/plot_dose_response.py" "$sweep/sweep.csv" --metric final_function_index \
    --xscale linear --output "$work/dose_response_one.png" --size 800 600 \
    || die "plot_dose_response.py --metric exited $?"
  check_png "$work/dose_response_one.png" --width 800 --height 600 --colour-present $BLUE 0.002

  step "usage errors exit 2, missing inputs 4, and write nothing"
  expect_exit 2 "$work/e.log" python3 "$post/plot_history.py" "$msc" --columns no_such_column \
    --output "$work/bad.png"
  grep -q "resistance_mmHg_min_per_nl" "$work/e.log" || die "unknown column: columns not listed"
  expect_exit 2 "$work/e.log" python3 "$post/plot_dose_response.py" "$sweep" --metric nope \
    --output "$work/bad.png"
  expect_exit 2 "$work/e.log" python3 "$post/plot_dose_response.py" "$sweep" --x therapy.route \
    --output "$work/bad.png"
  expect_exit 2 "$work/e.log" python3 "$post/plot_zonation.py" "$msc" --array nope \
    --output "$work/bad.png"
  expect_exit 2 "$work/e.log" python3 "$post/plot_zonation.py" "$msc" --time 3 \
    --output "$work/bad.png"
  expect_exit 2 "$work/e.log" python3 "$post/plot_history.py" "$msc" --size 10 10
  expect_exit 4 "$work/e.log" python3 "$post/plot_history.py" "$work/no_such_run" \
    --output "$work/bad.png"
  expect_exit 4 "$work/e.log" python3 "$post/plot_histograms.py" "$work/no_such_run" \
    --output "$work/bad.png"
  expect_exit 4 "$work/e.log" python3 "$post/plot_dose_response.py" "$msc" --output "$work/bad.png"
  expect_exit 4 "$work/e.log" python3 "$post/plot_history.py" "$msc" \
    --output "$work/no_such_folder/x.png"
  [[ ! -e "$work/bad.png" ]] || die "a failed plot left $work/bad.png"
  ! ls -a "$work" | grep -q "partial" || die "a temporary .partial file was left behind"

  step "report.py --no-render: therapy against control"
  python3 "$post/report.py" "$msc" --compare "$control" --labels "MSC" "no therapy" --no-render \
    || die "report.py exited $?"
  check_report "$msc/report.html" --min-images 3 --section "Summary metrics" \
    "Comparison of the final metrics" "Time course" Zonation Distributions Case Provenance Log
  grep -q "initial</th><th>final</th><th>change" "$msc/report.html" \
    || die "report.html: no initial/final/change table of the therapy summary"
  step "report.py --self-contained"
  python3 "$post/report.py" "$msc" --no-render --self-contained --output "$msc/one_file.html" \
    || die "report.py --self-contained exited $?"
  check_report "$msc/one_file.html" --self-contained --min-images 3 --section Case Provenance

  step "report.py on the sweep folder"
  python3 "$post/report.py" "$sweep" --no-render || die "report.py (sweep) exited $?"
  check_report "$sweep/report.html" --min-images 1 --section Dose-response
  step "report.py on a (synthetic) sweep with a failed member: make_sample_therapy.py"
  python3 "$src/tests/cli/make_sample_therapy.py" "$work/sample" \
    || die "make_sample_therapy.py failed"
  python3 "$post/report.py" "$work/sample/sweep" --no-render || die "report.py (sweep) exited $?"
  check_report "$work/sample/sweep/report.html" --min-images 1 --section Dose-response
  grep -q "failed: exit 5" "$work/sample/sweep/report.html" \
    || die "report.html: the failed run is not listed"

  step "report.py: errors"
  expect_exit 4 "$work/e.log" python3 "$post/report.py" "$work/no_such_run"
  mkdir -p "$work/empty"
  expect_exit 4 "$work/e.log" python3 "$post/report.py" "$work/empty"
  [[ ! -e "$work/empty/report.html" ]] || die "report.py wrote a report of an empty folder"
  expect_exit 2 "$work/e.log" python3 "$post/report.py" "$msc" --labels a b
  ;;

renders)
  require_paraview
  make_runs
  W=1000; H=750

  step "render_animation.py: vessel PO2 over the 5 output steps"
  xvfb pvbatch "$post/render_animation.py" "$msc" --array po2_mean_mmHg --size $W $H \
    --output-dir "$work/frames" --state "$work/frames.pvsm" || die "render_animation.py exited $?"
  [[ $(ls "$work/frames"/po2_mean_mmHg_00*.png | wc -l) -eq 5 ]] || die "expected 5 frames"
  [[ $(wc -l <"$work/frames/po2_mean_mmHg_frames.csv") -eq 6 ]] || die "frames.csv: 5 rows"
  for frame in "$work/frames"/po2_mean_mmHg_00*.png; do
    check_png "$frame" --width $W --height $H --min-colors 100 --min-fraction 0.05 \
      --colorbar --colorbar-monotone --content 0.15 0.2 0.65 0.8 0.2
  done
  # The network changes (reopening, PO2) and the time label moves on.
  check_png "$work/frames/po2_mean_mmHg_0004.png" \
    --differs-from "$work/frames/po2_mean_mmHg_0000.png" 0.005
  grep -q "TimeToTextConvertor" "$work/frames.pvsm" || die "the state has no time annotation"
  xvfb pvbatch "$src/tests/cli/load_state.py" "$work/frames.pvsm" \
    || die "ParaView cannot load $work/frames.pvsm"

  step "render_network.py: two arrays, mid-height slab from above, log flow, robust range"
  xvfb pvbatch "$post/render_network.py" "$msc" --array flow_nl_per_min collagen \
    --log-arrays flow_nl_per_min --range-percentile 1 --slab z 0.5 40 --time 14 --size $W $H \
    --output "$work/slab_{array}.png" --state "$work/slab.pvsm" || die "render_network.py exited $?"
  for png in "$work/slab_flow_nl_per_min.png" "$work/slab_collagen.png"; do
    check_png "$png" --width $W --height $H --min-colors 100 --min-fraction 0.03 --colorbar \
      --colorbar-monotone --content 0.25 0.35 0.55 0.65 0.08
  done
  xvfb pvbatch "$src/tests/cli/load_state.py" "$work/slab.pvsm" \
    || die "ParaView cannot load $work/slab.pvsm"

  step "hepaflow run cases/brain_o2_greens (10 um tissue grid); render_tissue.py: tissue PO2 slice"
  brain="$work/brain"
  "$hepaflow" run "$src/cases/brain_o2_greens/case.toml" --output "$brain" --overwrite -q \
    --set 'oxygen.grid_spacing="10 um"' || die "hepaflow run exited $?"
  xvfb pvbatch "$post/render_tissue.py" "$brain" --size $W $H \
    --output "$work/tissue.png" --state "$work/tissue.pvsm" || die "render_tissue.py exited $?"
  check_png "$work/tissue.png" --width $W --height $H --min-colors 100 --min-fraction 0.2 \
    --colorbar --colorbar-monotone --content 0.25 0.3 0.6 0.7 0.95
  xvfb pvbatch "$src/tests/cli/load_state.py" "$work/tissue.pvsm" \
    || die "ParaView cannot load $work/tissue.pvsm"

  step "errors: exit 2 for usage, 4 for missing inputs, nothing written"
  expect_exit 4 "$work/e.log" xvfb pvbatch "$post/render_tissue.py" "$control" \
    --output "$work/bad.png"
  expect_exit 2 "$work/e.log" xvfb pvbatch "$post/render_tissue.py" "$brain" --array nope \
    --output "$work/bad.png"
  expect_exit 2 "$work/e.log" xvfb pvbatch "$post/render_animation.py" "$msc" --every 0
  expect_exit 2 "$work/e.log" xvfb pvbatch "$post/render_network.py" "$msc" \
    --array flow_nl_per_min --time 3 --output "$work/bad.png"
  expect_exit 2 "$work/e.log" xvfb pvbatch "$post/render_network.py" "$msc" --array nope \
    --output "$work/bad.png"
  grep -q "hsc_activation" "$work/e.log" || die "unknown array: the arrays are not listed"
  expect_exit 2 "$work/e.log" xvfb pvbatch "$post/render_network.py" "$msc" \
    --array flow_nl_per_min collagen --output "$work/bad.png"
  expect_exit 4 "$work/e.log" xvfb pvbatch "$post/render_animation.py" "$work/no_such_run"
  [[ ! -e "$work/bad.png" ]] || die "a failed render left $work/bad.png"
  ! ls -a "$work" | grep -q "partial" || die "a temporary .partial file was left behind"
  ;;

report)
  require_matplotlib
  renders=yes
  command -v pvbatch >/dev/null && command -v xvfb-run >/dev/null || renders=no
  if [[ $renders == yes ]]; then
    xvfb pvbatch "$post/render_network.py" --check-paraview >/dev/null 2>&1 || renders=no
  fi

  step "hepaflow run cases/brain_o2_greens (10 um tissue grid)"
  brain="$work/brain"
  "$hepaflow" run "$src/cases/brain_o2_greens/case.toml" --output "$brain" --overwrite -q \
    --set 'oxygen.grid_spacing="10 um"' || die "hepaflow run exited $?"
  [[ -f "$brain/tissue.pvd" ]] || die "hepaflow wrote no tissue.pvd"
  step "report.py $brain (ParaView pictures: $renders)"
  python3 "$post/report.py" "$brain" --size 1000 750 || die "report.py exited $?"
  if [[ $renders == yes ]]; then
    check_report "$brain/report.html" --min-images 4 --section "Summary metrics" Network \
      "Tissue oxygen" Distributions Case Provenance
    for png in "$brain"/report_files/network_*.png "$brain/report_files/tissue_po2_mmHg.png"; do
      check_png "$png" --width 1000 --height 750 --min-colors 100 --colorbar \
        --content 0.2 0.3 0.6 0.7 0.02
    done
    check_png "$brain/report_files/tissue_po2_mmHg.png" --content 0.25 0.3 0.6 0.7 0.9
  else
    check_report "$brain/report.html" --min-images 1 --section Distributions Case Provenance
    grep -q "ParaView pictures skipped\|ParaView is not usable" "$brain/report.html" \
      || die "report.html does not say why there are no ParaView pictures"
  fi
  grep -q "Histogram data: tissue" "$brain/report_files/histograms.txt" \
    || die "histograms.txt has no tissue PO2 histogram"

  step "hepaflow run cases/healthy_lobule; report.py --no-render (zonation, histograms)"
  lobule="$work/lobule"
  "$hepaflow" run "$src/cases/healthy_lobule/case.toml" --output "$lobule" --overwrite -q \
    || die "hepaflow run exited $?"
  python3 "$post/report.py" "$lobule" --no-render || die "report.py exited $?"
  check_report "$lobule/report.html" --min-images 2 --section "Summary metrics" Zonation \
    Distributions Case Provenance
  check_png "$lobule/report_files/zonation.png" --colour-present $BLUE 0.002
  ;;
esac

echo "$PROG: all steps passed ($mode)"
