# cmake -P check: the dynamic symbols libcrdex.so defines must be exactly the
# committed list (tests/plugin/exported_symbols.txt), and its soname must be
# libcrdex.so.1. Adding a function means adding it to the list in the same
# commit; a symbol appearing from nowhere (libstdc++, OpenSSL, simdjson,
# RapidJSON) fails here.
#   -D NM=... -D READELF=... -D LIBRARY=... -D EXPECTED=...
execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY} OUTPUT_VARIABLE nm_output RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIBRARY}")
endif()
string(REPLACE "\n" ";" lines "${nm_output}")
set(actual "")
foreach(line IN LISTS lines)
  # "<address> <type> <name>[@@VERSION]"; keep type and name.
  if(line MATCHES "^[0-9a-fA-F]+ ([A-Za-z]) (.+)$")
    list(APPEND actual "${CMAKE_MATCH_1} ${CMAKE_MATCH_2}")
  endif()
endforeach()
list(SORT actual)
file(STRINGS ${EXPECTED} expected)
list(SORT expected)
if(NOT actual STREQUAL expected)
  list(JOIN actual "\n" actual_text)
  message(FATAL_ERROR "libcrdex.so exports differ from ${EXPECTED}; it exports:\n${actual_text}")
endif()

execute_process(COMMAND ${READELF} -d ${LIBRARY} OUTPUT_VARIABLE dynamic)
if(NOT dynamic MATCHES "Library soname: \\[libcrdex\\.so\\.1\\]")
  message(FATAL_ERROR "libcrdex.so has no soname libcrdex.so.1:\n${dynamic}")
endif()
if(dynamic MATCHES "pistache")
  message(FATAL_ERROR "libcrdex.so must not depend on Pistache:\n${dynamic}")
endif()
message(STATUS "${LIBRARY}: exports and soname as committed")
