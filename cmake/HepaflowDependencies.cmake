# Third-party dependencies of hepaflow. Everything comes from Debian packages (see README) or from
# the CUDA toolkit at /usr/local/cuda. A prefix of unpacked .deb files (the GPU machine has no -dev
# packages) can be given with -DHEPAFLOW_DEPS_PREFIX=/path; it is searched first.
set(HEPAFLOW_DEPS_PREFIX "" CACHE PATH "Extra prefix holding unpacked header-only dependencies (usr/include)")
set(_hf_hint_dirs "")
if(HEPAFLOW_DEPS_PREFIX)
  list(APPEND _hf_hint_dirs "${HEPAFLOW_DEPS_PREFIX}/usr/include" "${HEPAFLOW_DEPS_PREFIX}/include")
endif()

find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)

# ---- Thrust / CCCL: the toolkit's copy (CUDA 13: include/cccl), else Debian's libthrust-dev ------
# One Thrust for the whole binary: the CPU backend compiles the same headers nvcc uses.
find_path(HEPAFLOW_CCCL_INCLUDE_DIR thrust/version.h
  HINTS ${_hf_hint_dirs}
  PATHS /usr/local/cuda/include/cccl /usr/local/cuda/include /usr/include
  NO_DEFAULT_PATH)
if(NOT HEPAFLOW_CCCL_INCLUDE_DIR)
  message(FATAL_ERROR "Thrust not found: install the CUDA toolkit (/usr/local/cuda) or Debian's libthrust-dev")
endif()
add_library(hepaflow_thrust INTERFACE)
target_include_directories(hepaflow_thrust SYSTEM INTERFACE ${HEPAFLOW_CCCL_INCLUDE_DIR})
message(STATUS "Thrust headers: ${HEPAFLOW_CCCL_INCLUDE_DIR}")

# ---- toml++ (header-only mode) and CLI11 -----------------------------------------------------------
find_path(HEPAFLOW_TOMLPP_INCLUDE_DIR toml++/toml.h HINTS ${_hf_hint_dirs})
if(NOT HEPAFLOW_TOMLPP_INCLUDE_DIR)
  message(FATAL_ERROR "toml++ not found: apt-get install libtomlplusplus-dev")
endif()
add_library(hepaflow_tomlpp INTERFACE)
target_include_directories(hepaflow_tomlpp SYSTEM INTERFACE ${HEPAFLOW_TOMLPP_INCLUDE_DIR})
target_compile_definitions(hepaflow_tomlpp INTERFACE TOML_HEADER_ONLY=1 TOML_EXCEPTIONS=1
                           # toml++ 3.3.0's internal asserts are wrong for some invalid documents
                           # ("[\x01", "[&": parse_key asserts a bare-key character, then would report
                           # the syntax error; marzer/tomlplusplus#294): off in every build type, so a
                           # Debug/asan build reports the TOML error (exit 3) like Release does.
                           # Found by fuzz.case_config: tests/fuzz/regressions/case_config/toml_assert_*.
                           )
target_compile_options(hepaflow_tomlpp INTERFACE "-DTOML_ASSERT(expr)=((void)0)")

find_path(HEPAFLOW_CLI11_INCLUDE_DIR CLI/CLI.hpp HINTS ${_hf_hint_dirs})
if(NOT HEPAFLOW_CLI11_INCLUDE_DIR)
  message(FATAL_ERROR "CLI11 not found: apt-get install libcli11-dev")
endif()
add_library(hepaflow_cli11 INTERFACE)
target_include_directories(hepaflow_cli11 SYSTEM INTERFACE ${HEPAFLOW_CLI11_INCLUDE_DIR})

# ---- VTK (optional) -----------------------------------------------------------------------------------
if(HEPAFLOW_WITH_VTK)
  find_package(VTK 9 COMPONENTS CommonCore CommonDataModel IOXML IOLegacy QUIET)
  if(NOT VTK_FOUND)
    message(FATAL_ERROR "VTK 9 not found: apt-get install libvtk9-dev, or configure with -DHEPAFLOW_WITH_VTK=OFF")
  endif()
endif()

# ---- CHOLMOD (optional, CPU-only direct solver) --------------------------------------------------------
if(HEPAFLOW_WITH_CHOLMOD)
  find_path(HEPAFLOW_CHOLMOD_INCLUDE_DIR cholmod.h PATH_SUFFIXES suitesparse)
  find_library(HEPAFLOW_CHOLMOD_LIBRARY cholmod)
  if(HEPAFLOW_CHOLMOD_INCLUDE_DIR AND HEPAFLOW_CHOLMOD_LIBRARY)
    add_library(hepaflow_cholmod INTERFACE)
    target_include_directories(hepaflow_cholmod SYSTEM INTERFACE ${HEPAFLOW_CHOLMOD_INCLUDE_DIR})
    target_link_libraries(hepaflow_cholmod INTERFACE ${HEPAFLOW_CHOLMOD_LIBRARY})
    message(STATUS "CHOLMOD: ${HEPAFLOW_CHOLMOD_LIBRARY}")
  else()
    message(WARNING "CHOLMOD not found (apt-get install libsuitesparse-dev): direct solver disabled")
    set(HEPAFLOW_WITH_CHOLMOD OFF CACHE BOOL "" FORCE)
  endif()
endif()

# ---- MPI and PETSc (optional; Debian: libopenmpi-dev openmpi-bin, libpetsc-real-dev) ---------------------
# Found: HEPAFLOW_WITH_MPI / HEPAFLOW_WITH_PETSC stay ON; not found: a warning and OFF, and everything
# else builds (solver.method = "petsc" then fails with exit code 6).
if(HEPAFLOW_WITH_MPI)
  set(MPI_CXX_SKIP_MPICXX ON)  # the C API only
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    find_program(HEPAFLOW_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
    message(STATUS "MPI: ${MPI_CXX_LIBRARIES} (launcher ${HEPAFLOW_MPIEXEC})")
  else()
    message(WARNING "MPI not found (apt-get install libopenmpi-dev openmpi-bin): MPI sweeps and PETSc disabled")
    set(HEPAFLOW_WITH_MPI OFF CACHE BOOL "" FORCE)
  endif()
endif()
if(HEPAFLOW_WITH_PETSC)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(HEPAFLOW_PETSC QUIET IMPORTED_TARGET PETSc)
  endif()
  if(HEPAFLOW_WITH_MPI AND HEPAFLOW_PETSC_FOUND)
    message(STATUS "PETSc ${HEPAFLOW_PETSC_VERSION}: ${HEPAFLOW_PETSC_LINK_LIBRARIES}")
  else()
    message(WARNING "PETSc not found or MPI disabled (apt-get install libpetsc-real-dev): solver.method = \"petsc\" disabled")
    set(HEPAFLOW_WITH_PETSC OFF CACHE BOOL "" FORCE)
  endif()
endif()

# ---- CUDA ------------------------------------------------------------------------------------------------
if(HEPAFLOW_ENABLE_CUDA)
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  find_package(CUDAToolkit REQUIRED)
endif()
