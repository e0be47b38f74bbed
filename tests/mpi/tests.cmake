# MPI tests (label mpi, plus cli): `mpirun -n 2` on the 2-core CI machine (oversubscribed, ranks not
# bound to cores: Thrust's CPU reductions split sums by the CPUs a process may use, so a bound member
# would differ from the single-process run in the last digits). As root, OpenMPI needs the two
# OMPI_ALLOW_RUN_AS_ROOT variables. Built only with MPI (and the PETSc test with PETSc).
if(HEPAFLOW_WITH_MPI AND HEPAFLOW_MPIEXEC)
  set(_hf_mpi_env OMP_WAIT_POLICY=PASSIVE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
                  OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1)
  set(_hf_mpirun ${HEPAFLOW_MPIEXEC} --oversubscribe --bind-to none)
  # The sweep: a GoogleTest program that runs `mpirun -n N hepaflow sweep` itself.
  add_executable(hf_mpi_sweep_test ${CMAKE_CURRENT_LIST_DIR}/sweep_mpi_test.cpp)
  target_link_libraries(hf_mpi_sweep_test PRIVATE hepaflow_core GTest::gtest_main)
  target_include_directories(hf_mpi_sweep_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support)
  target_compile_definitions(hf_mpi_sweep_test PRIVATE HEPAFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                             HEPAFLOW_BINARY="$<TARGET_FILE:hepaflow>" HEPAFLOW_MPIRUN="${HEPAFLOW_MPIEXEC}")
  add_dependencies(hf_mpi_sweep_test hepaflow)
  # (the OMPI_ALLOW_RUN_AS_ROOT variables are set by the test itself: a list does not survive
  # gtest_discover_tests' PROPERTIES)
  gtest_discover_tests(hf_mpi_sweep_test PROPERTIES LABELS "mpi;cli" TIMEOUT 300 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60)
  if(HEPAFLOW_WITH_PETSC)
    # The distributed pressure solve: the test program itself runs on 2 ranks.
    add_executable(hf_mpi_petsc_flow_test ${CMAKE_CURRENT_LIST_DIR}/petsc_flow_test.cpp)
    target_link_libraries(hf_mpi_petsc_flow_test PRIVATE hepaflow_meshes hepaflow_core GTest::gtest)
    target_include_directories(hf_mpi_petsc_flow_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support)
    target_compile_definitions(hf_mpi_petsc_flow_test PRIVATE HEPAFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME mpi.PetscFlowOnTwoRanksMatchesSingleProcess
             COMMAND ${_hf_mpirun} -n 2 $<TARGET_FILE:hf_mpi_petsc_flow_test>
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(mpi.PetscFlowOnTwoRanksMatchesSingleProcess PROPERTIES LABELS "mpi" TIMEOUT 300
                         ENVIRONMENT "${_hf_mpi_env}")
  endif()
endif()
