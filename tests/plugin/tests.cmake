# Tuner plugins for tests/unit/tuner_plugin_test.cc (broken and instrumented ones, built from
# tuner_fixture.c), and the paths the test loads them from.
set(_chorus_tuner_fixtures no_symbol null_pointers failing_call disable_all recorder)
set(_chorus_tuner_fixture_targets)
foreach(kind ${_chorus_tuner_fixtures})
  set(t chorus_tuner_fixture_${kind})
  add_library(${t} MODULE ${CMAKE_CURRENT_LIST_DIR}/tuner_fixture.c)
  string(TOUPPER ${kind} _kind)
  string(REPLACE "_" "-" _file ${kind})
  set_target_properties(${t} PROPERTIES
    OUTPUT_NAME chorus-tuner-fixture-${_file}
    LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/test-plugins
    C_STANDARD 99
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${t} PRIVATE FIXTURE_${_kind})
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(${t} PRIVATE -pedantic)
  chorus_warnings(${t})
  list(APPEND _chorus_tuner_fixture_targets ${t})
endforeach()

if(TARGET tuner_plugin_test AND TARGET chorus_tuner_example)
  add_dependencies(tuner_plugin_test chorus_tuner_example ${_chorus_tuner_fixture_targets})
  target_compile_definitions(tuner_plugin_test PRIVATE
    CHORUS_TUNER_EXAMPLE_PATH="$<TARGET_FILE:chorus_tuner_example>"
    CHORUS_TUNER_FIXTURE_DIR="${PROJECT_BINARY_DIR}/test-plugins")
endif()
