# Fuzz targets (docs/reliability.md "Fuzzing and sanitizers"), included by tests/CMakeLists.txt.
#
# Every build: hf_fuzz_replay_<target> (the target's source + replay_main.cpp) and the test
# fuzz_replay.<target> (label unit), which replays tests/fuzz/regressions/<target>/ (inputs that once
# crashed, with the outcome each must give in NAME.expected) and the seed corpus tests/fuzz/corpus/<target>/.
# With -DHEPAFLOW_FUZZ=ON (clang; the asan preset): the libFuzzer binaries hf_fuzz_<target> and the
# tests fuzz.<target> (labels unit;fuzz), each fuzzing for HEPAFLOW_FUZZ_SECONDS from the corpus, the
# regressions and, where ../shared/validation exists, its files of that format (read in place).
set(HEPAFLOW_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzz.<target> test fuzzes")
set(_hf_fuzz_targets case_config quantity secomb_dat csv_network)
if(HEPAFLOW_WITH_VTK)
  list(APPEND _hf_fuzz_targets vtp_network)
endif()
find_program(HEPAFLOW_BASH bash)
foreach(t ${_hf_fuzz_targets})
  set(_src ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.cpp)
  set(_dirs ${CMAKE_CURRENT_LIST_DIR}/corpus/${t})
  if(IS_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/regressions/${t})
    list(PREPEND _dirs ${CMAKE_CURRENT_LIST_DIR}/regressions/${t})
  endif()

  add_executable(hf_fuzz_replay_${t} ${_src} ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp)
  target_link_libraries(hf_fuzz_replay_${t} PRIVATE hepaflow_meshes hepaflow_core)
  add_test(NAME fuzz_replay.${t} COMMAND hf_fuzz_replay_${t} ${_dirs} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(fuzz_replay.${t} PROPERTIES LABELS unit TIMEOUT 300 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  if(t STREQUAL "vtp_network" AND HEPAFLOW_SANITIZE)
    # VTK has no frame pointers: the slow unwinder lets tests/sanitizer/lsan.supp match VTK's own leak.
    set_tests_properties(fuzz_replay.${t} PROPERTIES ENVIRONMENT
      "OMP_WAIT_POLICY=PASSIVE;ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0")
  endif()

  if(HEPAFLOW_FUZZ AND HEPAFLOW_BASH)
    add_executable(hf_fuzz_${t} ${_src})
    target_link_libraries(hf_fuzz_${t} PRIVATE hepaflow_meshes hepaflow_core)
    target_compile_options(hf_fuzz_${t} PRIVATE -fsanitize=fuzzer)
    target_link_options(hf_fuzz_${t} PRIVATE -fsanitize=fuzzer)
    add_test(NAME fuzz.${t}
             COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/run_fuzz.sh $<TARGET_FILE:hf_fuzz_${t}> ${t}
                     ${HEPAFLOW_FUZZ_SECONDS} ${CMAKE_CURRENT_BINARY_DIR}/fuzz-work/${t} ${HEPAFLOW_SHARED_DIR}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    math(EXPR _timeout "${HEPAFLOW_FUZZ_SECONDS} * 2 + 120")
    set_tests_properties(fuzz.${t} PROPERTIES LABELS "unit;fuzz" TIMEOUT ${_timeout} ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  endif()
endforeach()
