# Installs the engine libraries, the plugin (libcrdex.so + crdex.h), their
# public headers, a CMake package and crdex.pc, so another project can
# find_package(crdex) and link crdex::hooks (or any library below it) or
# crdex::plugin, or ask `pkg-config crdex` for the plugin.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Every library a consumer may link, exported as crdex::<folder>.
set(crdex_exported_libraries crdex_fhir crdex_config crdex_cards crdex_smart crdex_cdex crdex_hooks crdex_plugin)
foreach(library fhir config cards smart cdex hooks)
  set_target_properties(crdex_${library} PROPERTIES EXPORT_NAME ${library})
endforeach()
install(TARGETS ${crdex_exported_libraries}
  EXPORT crdexTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(folder fhir config cards smart-launch cdex hooks plugin)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(EXPORT crdexTargets NAMESPACE crdex:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/crdex)

# The package's find_dependency calls: one per library the static targets
# link (Threads, simdjson, OpenSSL, CURL, SQLite3, libpq through pkg-config).
set(crdex_openssl_major 3)
configure_file(${PROJECT_SOURCE_DIR}/cmake/crdexConfig.cmake.in ${PROJECT_BINARY_DIR}/crdexConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/crdexConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/crdexConfig.cmake ${PROJECT_BINARY_DIR}/crdexConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/crdex)

# crdex.pc locates itself (${pcfiledir}), so it stays right under any
# `cmake --install --prefix`.
file(RELATIVE_PATH crdex_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/plugin/crdex.pc.in ${PROJECT_BINARY_DIR}/crdex.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/crdex.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
