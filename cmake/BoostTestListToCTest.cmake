# Turns `<test binary> --list_content` into add_test() lines (see
# BoostTestDiscovery.cmake). Content lines are indented four spaces per suite
# level and end with '*' when the case is enabled.
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --list_content
  RESULT_VARIABLE result
  OUTPUT_VARIABLE listing_out
  ERROR_VARIABLE listing)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list_content failed (${result}): ${listing}${listing_out}")
endif()
string(APPEND listing "${listing_out}")
string(REPLACE "\n" ";" lines "${listing}")

set(content "# Generated from ${TEST_EXECUTABLE} --list_content\n")
set(stack "")
set(previous_name "")
set(previous_depth -1)
set(previous_enabled FALSE)

macro(_emit_previous_if_leaf depth)
  if(previous_depth GREATER_EQUAL 0 AND NOT ${depth} GREATER previous_depth AND previous_enabled)
    list(JOIN stack "/" path)
    string(APPEND content
      "add_test([=[${TEST_PREFIX}:${path}]=] [==[${TEST_EXECUTABLE}]==] [=[--run_test=${path}]=] --color_output=no --log_level=message)\n"
      "set_tests_properties([=[${TEST_PREFIX}:${path}]=] PROPERTIES WORKING_DIRECTORY [==[${WORKING_DIR}]==])\n")
    if(FIXTURE)
      string(APPEND content
        "set_tests_properties([=[${TEST_PREFIX}:${path}]=] PROPERTIES FIXTURES_REQUIRED [=[${FIXTURE}]=])\n")
    endif()
  endif()
endmacro()

foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  set(indent_length 0)
  if(line MATCHES "^( +)")
    string(LENGTH "${CMAKE_MATCH_1}" indent_length)
  endif()
  math(EXPR depth "${indent_length} / 4")
  string(STRIP "${line}" name)
  set(enabled FALSE)
  if(name MATCHES "\\*$")
    set(enabled TRUE)
    string(REGEX REPLACE "\\*$" "" name "${name}")
  endif()
  _emit_previous_if_leaf(${depth})
  # Keep the suite path above this line, then push this name.
  list(LENGTH stack stack_length)
  while(stack_length GREATER depth)
    list(POP_BACK stack)
    list(LENGTH stack stack_length)
  endwhile()
  list(APPEND stack "${name}")
  set(previous_depth ${depth})
  set(previous_enabled ${enabled})
endforeach()
_emit_previous_if_leaf(0)

file(WRITE "${CTEST_FILE}" "${content}")
