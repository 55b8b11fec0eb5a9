#include "plugin/plugin_library.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <stdexcept>

namespace crdex::test {

namespace {

template <class Function>
void find(void* handle, const char* name, Function& out) {
  void* symbol = dlsym(handle, name);
  if (!symbol) throw std::runtime_error(std::string("libcrdex: missing symbol ") + name);
  out = reinterpret_cast<Function>(symbol);
}

}  // namespace

std::string PluginLibrary::plugin_path() { return CRDEX_PLUGIN_PATH; }

PluginLibrary::PluginLibrary(const std::string& path) {
  // RTLD_LOCAL as a careful host would: nothing of ours joins the global scope.
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw std::runtime_error("cannot load " + path + ": " + dlerror());
#define CRDEX_FIND(name) find(handle_, "crdex_" #name, api_.name)
  try {
    CRDEX_FIND(init);
    CRDEX_FIND(shutdown);
    CRDEX_FIND(abi_version);
    CRDEX_FIND(version_string);
    CRDEX_FIND(feature_available);
    CRDEX_FIND(last_error_message);
    CRDEX_FIND(status_name);
    CRDEX_FIND(engine_create);
    CRDEX_FIND(engine_destroy);
    CRDEX_FIND(engine_discovery);
    CRDEX_FIND(engine_evaluate);
    CRDEX_FIND(engine_replace_rules);
    CRDEX_FIND(engine_reload_rules);
    CRDEX_FIND(engine_fill_prefetch);
    CRDEX_FIND(engine_cdex_create_task);
    CRDEX_FIND(engine_cdex_fulfil_task);
    CRDEX_FIND(engine_smart_launch_create);
    CRDEX_FIND(engine_smart_launch_resolve);
    CRDEX_FIND(result_status);
    CRDEX_FIND(result_http_status);
    CRDEX_FIND(result_json);
    CRDEX_FIND(result_operation_outcome);
    CRDEX_FIND(result_message);
    CRDEX_FIND(result_free);
  } catch (...) {
    dlclose(handle_);
    throw;
  }
#undef CRDEX_FIND
}

PluginLibrary::~PluginLibrary() { dlclose(handle_); }

size_t thread_count() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

}  // namespace crdex::test
