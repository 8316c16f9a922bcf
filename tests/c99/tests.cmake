# The C header is C99-clean: compile a C file including it with -std=c99 -pedantic -Werror.
add_library(chorus_c99_header_check OBJECT ${CMAKE_CURRENT_LIST_DIR}/header_check.c)
target_include_directories(chorus_c99_header_check PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(chorus_c99_header_check PRIVATE -std=c99 -pedantic -Wall -Wextra -Werror)
