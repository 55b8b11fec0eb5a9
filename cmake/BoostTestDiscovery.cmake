# crdex_discover_boost_tests(<target> [FIXTURE <name>])
#
# Registers one CTest test per Boost.Test case of <target>, so that CTest names
# the failing case. With FIXTURE, every case requires that CTest fixture
# (FIXTURES_REQUIRED: e.g. the suite's one PostgreSQL). After each build the test binary is asked for its cases
# (--list_content, which prints to stderr) and a CTest include file is written;
# CTest reads it when it runs. The same approach as gtest_discover_tests.
set(_crdex_boost_discovery_script ${CMAKE_CURRENT_LIST_DIR}/BoostTestListToCTest.cmake)

function(crdex_discover_boost_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 discover "" "FIXTURE" "")
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND}
      -D "TEST_EXECUTABLE=$<TARGET_FILE:${target}>"
      -D "TEST_PREFIX=${target}"
      -D "CTEST_FILE=${ctest_file}"
      -D "WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
      -D "FIXTURE=${discover_FIXTURE}"
      -P "${_crdex_boost_discovery_script}"
    VERBATIM)
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${ctest_file}")
endfunction()
