# chorus-bench's tests: the unit tests (tests/unit/bench_*_test.cc, made into binaries by
# tests/CMakeLists.txt) link chorus-bench's common library; bench_e2e_test runs the built binaries,
# so it depends on them. Without CLI11 / nlohmann-json the bench is not built and these test files
# compile to a skipped test (they check __has_include).
if(TARGET chorus_bench_common)
  file(GLOB _chorus_bench_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/bench_*_test.cc)
  foreach(_src ${_chorus_bench_tests})
    get_filename_component(_name ${_src} NAME_WE)
    if(TARGET ${_name})
      target_link_libraries(${_name} PRIVATE chorus_bench_common)
    endif()
  endforeach()
  if(TARGET bench_e2e_test)
    foreach(_bin chorus-bench chorus-bench-mpi chorus-bench-gloo chorus-run)
      if(TARGET ${_bin})
        add_dependencies(bench_e2e_test ${_bin})
      endif()
    endforeach()
  endif()
endif()
