# The network-file readers and the case parser under AddressSanitizer + UBSan (own build tree,
# built by the test itself so the main build stays optimised).
find_program(HEPAFLOW_BASH bash)
if(HEPAFLOW_BASH AND NOT HEPAFLOW_SANITIZE)
  add_test(NAME asan.ReadersAndCaseParserSurviveCorruptInput
           COMMAND ${HEPAFLOW_BASH} ${CMAKE_CURRENT_LIST_DIR}/asan_readers.sh ${PROJECT_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/asan-readers $<IF:$<BOOL:${HEPAFLOW_WITH_VTK}>,ON,OFF>)
  set_tests_properties(asan.ReadersAndCaseParserSurviveCorruptInput PROPERTIES LABELS unit TIMEOUT 2400 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
endif()
