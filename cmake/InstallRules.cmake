# Installs the engine libraries, their public headers and a CMake package, so
# another project can find_package(crdex) and link crdex::hooks.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS crdex_fhir crdex_config crdex_cards crdex_hooks
  EXPORT crdexTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(folder fhir config cards hooks)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(EXPORT crdexTargets NAMESPACE crdex:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/crdex)

file(WRITE ${PROJECT_BINARY_DIR}/crdexConfig.cmake
  "include(CMakeFindDependencyMacro)\nfind_dependency(simdjson)\nfind_dependency(OpenSSL 3)\nfind_dependency(SQLite3)\n"
  "include(\${CMAKE_CURRENT_LIST_DIR}/crdexTargets.cmake)\n")
write_basic_package_version_file(${PROJECT_BINARY_DIR}/crdexConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/crdexConfig.cmake ${PROJECT_BINARY_DIR}/crdexConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/crdex)
