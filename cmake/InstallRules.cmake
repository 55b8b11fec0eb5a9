# Installs the engine libraries, the plugin (libcrdex.so + crdex.h), their
# public headers, a CMake package and crdex.pc, so another project can
# find_package(crdex) and link crdex::hooks or crdex::plugin, or ask
# `pkg-config crdex` for the plugin.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS crdex_fhir crdex_config crdex_cards crdex_hooks crdex_plugin
  EXPORT crdexTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(folder fhir config cards hooks plugin)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(EXPORT crdexTargets NAMESPACE crdex:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/crdex)

file(WRITE ${PROJECT_BINARY_DIR}/crdexConfig.cmake
  "include(CMakeFindDependencyMacro)\nfind_dependency(simdjson)\nfind_dependency(OpenSSL 3)\nfind_dependency(CURL)\nfind_dependency(SQLite3)\n"
  "include(\${CMAKE_CURRENT_LIST_DIR}/crdexTargets.cmake)\n")
write_basic_package_version_file(${PROJECT_BINARY_DIR}/crdexConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/crdexConfig.cmake ${PROJECT_BINARY_DIR}/crdexConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/crdex)

# crdex.pc locates itself (${pcfiledir}), so it stays right under any
# `cmake --install --prefix`.
file(RELATIVE_PATH crdex_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/plugin/crdex.pc.in ${PROJECT_BINARY_DIR}/crdex.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/crdex.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
