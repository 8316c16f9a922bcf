# Fuzz targets (docs/fuzzing.md). Every tests/fuzz/<name>_fuzz.cc defines LLVMFuzzerTestOneInput.
# - Always, with any compiler: <name>_fuzz_replay, which feeds every file of
#   tests/fuzz/corpus/<name>/ to the target once; ctest runs it as fuzz_replay.<name>. A directory
#   tests/fuzz/known_bugs/<name>/ holds reproducers of bugs not fixed yet; the target tolerates
#   them unless compiled with CHORUS_FUZZ_KNOWN_BUGS, as <name>_fuzz_known_bugs is, and a
#   DISABLED test (fuzz_known_bug.<name>) replays them with it.
# - With CHORUS_FUZZ=ON and clang: the libFuzzer binary <name>_fuzz, and coverage instrumentation
#   of chorus_core (-fsanitize=fuzzer-no-link). Configure it with CHORUS_SANITIZE="address;undefined"
#   so the library is checked too; scripts/fuzz does both and runs every target.
#   `ninja chorus_fuzzers` builds just the fuzzers.
# - chorus_fuzz_seeds (not built by default) writes the generated seed inputs: see make_seeds.cc.
set(_chorus_fuzz_dir ${CMAKE_CURRENT_LIST_DIR})
set(_chorus_libfuzzer OFF)
if(CHORUS_FUZZ)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(_chorus_libfuzzer ON)
    # Coverage for the fuzzers to steer by. -Wno-error: clang warns where gcc (the build that
    # enforces -Werror) does not, and a clang-only warning in the library must not stop fuzzing;
    # the warnings are still printed. The fuzz targets themselves keep -Werror.
    target_compile_options(chorus_core PRIVATE -fsanitize=fuzzer-no-link -Wno-error)
    if(NOT "address" IN_LIST CHORUS_SANITIZE)
      message(WARNING "CHORUS_FUZZ without CHORUS_SANITIZE=\"address;undefined\": the library is not "
                      "checked by the sanitizers (scripts/fuzz sets both)")
    endif()
  else()
    message(STATUS "Chorus: CHORUS_FUZZ needs clang for libFuzzer; building only the replay drivers")
  endif()
endif()

file(GLOB _chorus_fuzz_sources CONFIGURE_DEPENDS ${_chorus_fuzz_dir}/*_fuzz.cc)
set(_chorus_fuzzers "")
foreach(src ${_chorus_fuzz_sources})
  get_filename_component(target ${src} NAME_WE)  # e.g. plan_decode_fuzz
  string(REGEX REPLACE "_fuzz$" "" name ${target})

  add_executable(${target}_replay ${src} ${_chorus_fuzz_dir}/replay_main.cc)
  target_include_directories(${target}_replay PRIVATE ${_chorus_fuzz_dir})
  target_link_libraries(${target}_replay PRIVATE chorus_core)
  chorus_warnings(${target}_replay)
  if(_chorus_libfuzzer)
    # The instrumented library needs the coverage callbacks' runtime.
    target_link_options(${target}_replay PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  add_test(NAME fuzz_replay.${name} COMMAND ${target}_replay ${_chorus_fuzz_dir}/corpus/${name})
  set_tests_properties(fuzz_replay.${name} PROPERTIES TIMEOUT 120 LABELS fuzz)
  if(IS_DIRECTORY ${_chorus_fuzz_dir}/known_bugs/${name})
    # Built with CHORUS_FUZZ_KNOWN_BUGS, which turns off the target's tolerance of the bug.
    add_executable(${target}_known_bugs ${src} ${_chorus_fuzz_dir}/replay_main.cc)
    target_include_directories(${target}_known_bugs PRIVATE ${_chorus_fuzz_dir})
    target_compile_definitions(${target}_known_bugs PRIVATE CHORUS_FUZZ_KNOWN_BUGS=1)
    target_link_libraries(${target}_known_bugs PRIVATE chorus_core)
    chorus_warnings(${target}_known_bugs)
    if(_chorus_libfuzzer)
      target_link_options(${target}_known_bugs PRIVATE -fsanitize=fuzzer-no-link)
    endif()
    add_test(NAME fuzz_known_bug.${name}
             COMMAND ${target}_known_bugs ${_chorus_fuzz_dir}/known_bugs/${name})
    set_tests_properties(fuzz_known_bug.${name} PROPERTIES DISABLED TRUE LABELS fuzz)
  endif()

  if(_chorus_libfuzzer)
    add_executable(${target} ${src})
    target_include_directories(${target} PRIVATE ${_chorus_fuzz_dir})
    target_link_libraries(${target} PRIVATE chorus_core)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
    chorus_warnings(${target})
    list(APPEND _chorus_fuzzers ${target})
  endif()
endforeach()
if(_chorus_fuzzers)
  add_custom_target(chorus_fuzzers DEPENDS ${_chorus_fuzzers})
endif()

add_executable(chorus_fuzz_seeds EXCLUDE_FROM_ALL ${_chorus_fuzz_dir}/make_seeds.cc)
target_link_libraries(chorus_fuzz_seeds PRIVATE chorus_internal)
chorus_warnings(chorus_fuzz_seeds)
if(_chorus_libfuzzer)
  target_link_options(chorus_fuzz_seeds PRIVATE -fsanitize=fuzzer-no-link)
endif()
