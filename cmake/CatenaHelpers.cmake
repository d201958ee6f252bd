# Helpers that declare Catena targets the same way everywhere.
#   catena_add_library(NAME <component> SRCS ... [PUBLIC_DEPS ...] [DEPS ...])
#     -> target catena_<component>, alias catena::<component>; the repository root is the public include root.
#   catena_add_executable(NAME <name> SRCS ... [DEPS ...])
#   catena_add_test(NAME <name> SRCS ... [DEPS ...] [LABELS ...])
#     -> Catch2 v2 test binary whose test cases are registered one by one with CTest.

set(CATENA_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

function(catena_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;PUBLIC_DEPS;DEPS" ${ARGN})
  set(target catena_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(catena::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${CATENA_WARNINGS}>)
endfunction()

function(catena_add_executable)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE ${CATENA_WARNINGS})
endfunction()

function(catena_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE catena_test_main ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE ${CATENA_WARNINGS})
  target_compile_definitions(${ARG_NAME} PRIVATE
    CATENA_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CATENA_BINARY_DIR="${PROJECT_BINARY_DIR}")
  catch_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
