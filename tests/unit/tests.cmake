find_program(HEPAFLOW_BASH bash)

# The case-file reference the build generated (solver/app/CMakeLists.txt, `hepaflow case-reference`)
# must equal the committed docs/case_reference.md: the test fails when the schema changed and the
# docs were not updated (cmake --build build --target update_case_reference).
if(HEPAFLOW_BASH)
  add_test(NAME docs.CaseReferenceIsCurrent
           COMMAND ${HEPAFLOW_BASH} -c "diff -u \"$1\" \"$2\" || { echo \"$1 is stale: run cmake --build <build> --target update_case_reference and commit it\"; exit 1; }"
                   case_reference_check ${PROJECT_SOURCE_DIR}/docs/case_reference.md ${HEPAFLOW_GENERATED_CASE_REFERENCE})
  set_tests_properties(docs.CaseReferenceIsCurrent PROPERTIES LABELS unit)
endif()
