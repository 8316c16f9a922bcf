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

# The micro-benchmarks run once, briefly, so that a kernel or a generator that stops working fails
# a test (chorus-micro-schedule exits 1 when any case reports an error); their timings are not
# checked here (docs/benchmarks.md).
if(TARGET chorus-micro-schedule)
  add_test(NAME MicroSchedule.EveryCaseBuilds
           COMMAND chorus-micro-schedule --benchmark_min_time=0.001 --benchmark_format=console)
  set_tests_properties(MicroSchedule.EveryCaseBuilds PROPERTIES TIMEOUT 300)
endif()
if(TARGET chorus-micro-reduce)
  add_test(NAME MicroReduce.Float32Runs
           COMMAND chorus-micro-reduce --benchmark_min_time=0.001 --benchmark_filter=/float32/sum/1MiB)
  set_tests_properties(MicroReduce.Float32Runs PROPERTIES TIMEOUT 300)
endif()
