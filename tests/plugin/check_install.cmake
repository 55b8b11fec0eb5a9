# cmake -P check: `cmake --install` into a scratch prefix gives a host what
# docs/plugin.md promises: crdex.h, libcrdex.so.1, crdex.pc and the CMake
# package; a consumer project builds and runs against it both ways, and a C++
# consumer links the engine libraries (crdex::hooks ...) from the package.
#   -D BUILD_DIR=... -D WORK_DIR=... -D CONSUMER_DIR=... -D GENERATOR=...
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
  OUTPUT_QUIET RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "cmake --install failed")
endif()
foreach(file include/crdex/crdex.h)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
file(GLOB_RECURSE sonames ${prefix}/*/libcrdex.so.1)
file(GLOB_RECURSE pc_files ${prefix}/*/crdex.pc)
if(NOT sonames OR NOT pc_files)
  message(FATAL_ERROR "libcrdex.so.1 or crdex.pc not installed under ${prefix}")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
get_filename_component(lib_dir ${sonames} DIRECTORY)

foreach(way CMAKE_PACKAGE PKG_CONFIG)
  set(build ${WORK_DIR}/consumer-${way})
  set(use_pkg_config OFF)
  if(way STREQUAL "PKG_CONFIG")
    set(use_pkg_config ON)
  endif()
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir}
      ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${build} -G ${GENERATOR}
      -DCMAKE_PREFIX_PATH=${prefix} -DUSE_PKG_CONFIG=${use_pkg_config}
    RESULT_VARIABLE failed OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(failed)
    message(FATAL_ERROR "${way}: the consumer does not configure:\n${out}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} RESULT_VARIABLE failed OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(failed)
    message(FATAL_ERROR "${way}: the consumer does not build:\n${out}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${lib_dir} ${build}/consumer
    RESULT_VARIABLE failed OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(failed OR NOT out MATCHES "ABI 1\\.1")
    message(FATAL_ERROR "${way}: the consumer does not run:\n${out}")
  endif()
  message(STATUS "${way}: ${out}")
endforeach()

# The engine libraries through the CMake package: crdex::hooks with
# crdex::cdex and crdex::smart, their dependencies found by the package.
execute_process(COMMAND ${WORK_DIR}/consumer-CMAKE_PACKAGE/engine_consumer
  RESULT_VARIABLE failed OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(failed OR NOT out MATCHES "engine: order-sign, cdex: linked, smart: Y3JkZXg")
  message(FATAL_ERROR "the engine consumer (crdex::hooks) does not run:\n${out}")
endif()
message(STATUS "ENGINE: ${out}")
