# Script-driven CLI tests, included by tests/CMakeLists.txt (CMAKE_CURRENT_LIST_DIR = tests/cli).
#
# postproc tests: the render scripts under `xvfb-run pvbatch`, the plot scripts and report.py; each
# PNG checked by tests/cli/check_png.py (size, not blank, colour bar, content where expected),
# each report.html by tests/cli/check_report.py. They skip (exit 77) where pvbatch, xvfb-run or
# ParaView's Python modules (renders) or matplotlib (plots) are missing.
find_program(HEPAFLOW_BASH bash)
if(HEPAFLOW_BASH)
  # The real program: run the demo case, render its flow, check the picture.
  add_test(NAME postproc.RenderNetworkPngIsNotBlank
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/render_test.sh demo
                   $<TARGET_FILE:hepaflow> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/postproc_demo
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  # The script alone on a synthetic 3-D network: log scale, point array, top view, error exits.
  add_test(NAME postproc.RenderSampleNetworkOptions
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/render_test.sh sample
                   ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/postproc_sample
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(postproc.RenderNetworkPngIsNotBlank postproc.RenderSampleNetworkOptions
                       PROPERTIES LABELS cli SKIP_RETURN_CODE 77 TIMEOUT 600 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE
                                  RESOURCE_LOCK hepaflow_xvfb)

  # Plots (matplotlib) and report.py --no-render on real therapy runs (cases/msc_dose_response
  # shrunk to a 2-layer slab, 28 d, MSC and control) and a real route x dose sweep; usage /
  # missing-input exit codes. Skips (77) without matplotlib.
  add_test(NAME postproc.PlotsAndReportFromTherapyRuns
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/postproc_test.sh plots
                   $<TARGET_FILE:hepaflow> ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/postproc_plots
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(postproc.PlotsAndReportFromTherapyRuns
                       PROPERTIES LABELS cli SKIP_RETURN_CODE 77 TIMEOUT 600 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  # ParaView on the real therapy run: time-series frames, slab / log / robust range; tissue PO2
  # slice of brain_o2_greens; state files loaded back. Skips (77) without pvbatch / xvfb / ParaView.
  add_test(NAME postproc.RenderTherapyFramesSlabAndTissueSlice
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/postproc_test.sh renders
                   $<TARGET_FILE:hepaflow> ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/postproc_renders
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  # report.py on real outputs: brain_o2_greens (network + tissue grid, ParaView pictures when
  # ParaView works here) and healthy_lobule (zonation, histograms; --no-render).
  add_test(NAME postproc.ReportFromHepaflowRuns
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/postproc_test.sh report
                   $<TARGET_FILE:hepaflow> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/postproc_report
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(postproc.RenderTherapyFramesSlabAndTissueSlice postproc.ReportFromHepaflowRuns
                       PROPERTIES LABELS cli SKIP_RETURN_CODE 77 TIMEOUT 900
                                  ENVIRONMENT OMP_WAIT_POLICY=PASSIVE RESOURCE_LOCK hepaflow_xvfb)
endif()

# sweep_test.cpp (found by tests/CMakeLists.txt's glob) also unit-tests the sweep's arithmetic
# (history_metrics, summary_metrics, split_sweep_values), which lives in the program's sources:
# compile that one file into the test.
if(TARGET hf_cli_sweep_test)
  target_sources(hf_cli_sweep_test PRIVATE ${PROJECT_SOURCE_DIR}/solver/app/sweep_command.cpp)
  target_include_directories(hf_cli_sweep_test PRIVATE ${PROJECT_SOURCE_DIR}/solver/app)
endif()

# Restartable runs and disk-full (issue 9, docs/reliability.md "Checkpoints, kills and disk-full"):
# 20 SIGKILLs at random moments (fixed seed) of a therapy run, each resumed with --resume, results
# identical to the uninterrupted run (~15-25 s); what --resume refuses (~6 s); RLIMIT_FSIZE and a
# full tmpfs while writing: exit 4, the previous files intact (~15 s).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME cli.KillAndResumeGivesTheUninterruptedRun
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/kill_resume_test.py kill $<TARGET_FILE:hepaflow>
                   ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/kill_resume)
  add_test(NAME cli.ResumeRefusesMissingCorruptOrForeignCheckpoints
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/kill_resume_test.py refusals $<TARGET_FILE:hepaflow>
                   ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/resume_refusals)
  set_tests_properties(cli.KillAndResumeGivesTheUninterruptedRun cli.ResumeRefusesMissingCorruptOrForeignCheckpoints
                       PROPERTIES LABELS cli TIMEOUT 300 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
endif()
if(HEPAFLOW_BASH AND Python3_Interpreter_FOUND)
  add_test(NAME cli.DiskFullExitsFourAndKeepsThePreviousFiles
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/disk_full_test.sh $<TARGET_FILE:hepaflow>
                   ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/disk_full)
  set_tests_properties(cli.DiskFullExitsFourAndKeepsThePreviousFiles
                       PROPERTIES LABELS cli TIMEOUT 300 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
endif()
