#pragma once
// The plugin as a host sees it: libcrdex.so opened with dlopen (never linked),
// every crdex_* function found with dlsym. Tests exercise the real shared
// object, its version script and its soname, not the object files behind it.

#include <memory>
#include <string>

#include "crdex/crdex.h"

namespace crdex::test {

// One function pointer per exported function, named without the crdex_ prefix.
struct PluginApi {
  decltype(&crdex_init) init;
  decltype(&crdex_shutdown) shutdown;
  decltype(&crdex_abi_version) abi_version;
  decltype(&crdex_version_string) version_string;
  decltype(&crdex_feature_available) feature_available;
  decltype(&crdex_last_error_message) last_error_message;
  decltype(&crdex_status_name) status_name;
  decltype(&crdex_engine_create) engine_create;
  decltype(&crdex_engine_destroy) engine_destroy;
  decltype(&crdex_engine_discovery) engine_discovery;
  decltype(&crdex_engine_evaluate) engine_evaluate;
  decltype(&crdex_engine_replace_rules) engine_replace_rules;
  decltype(&crdex_engine_reload_rules) engine_reload_rules;
  decltype(&crdex_engine_fill_prefetch) engine_fill_prefetch;
  decltype(&crdex_engine_cdex_create_task) engine_cdex_create_task;
  decltype(&crdex_engine_cdex_fulfil_task) engine_cdex_fulfil_task;
  decltype(&crdex_engine_smart_launch_create) engine_smart_launch_create;
  decltype(&crdex_engine_smart_launch_resolve) engine_smart_launch_resolve;
  decltype(&crdex_result_status) result_status;
  decltype(&crdex_result_http_status) result_http_status;
  decltype(&crdex_result_json) result_json;
  decltype(&crdex_result_operation_outcome) result_operation_outcome;
  decltype(&crdex_result_message) result_message;
  decltype(&crdex_result_free) result_free;
};

// dlopen on construction, dlclose on destruction; throws std::runtime_error
// (naming the library and the dlerror) when the library or a symbol is missing.
class PluginLibrary {
 public:
  explicit PluginLibrary(const std::string& path = plugin_path());
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const PluginApi& api() const { return api_; }

  // The libcrdex.so built with the tests (its path is fixed at compile time).
  static std::string plugin_path();

 private:
  void* handle_ = nullptr;
  PluginApi api_{};
};

// A result owned by the test, freed through the plugin that made it.
struct ResultDeleter {
  decltype(&crdex_result_free) free;
  void operator()(crdex_result* result) const { free(result); }
};
using ResultPtr = std::unique_ptr<crdex_result, ResultDeleter>;

// The calling thread's number of threads in this process (/proc/self/task).
size_t thread_count();

}  // namespace crdex::test
