// Exported engine functions: create/destroy, discovery, evaluation and rule
// replacement, each a thin C shell over crdex::hooks::Engine.

#include <memory>
#include <string>
#include <string_view>

#include "abi_guard.hpp"
#include "crdex/crdex.h"
#include "engine_config.hpp"
#include "library_state.hpp"
#include "plugin_engine.hpp"
#include "result.hpp"

using namespace crdex;
using namespace crdex::plugin;

namespace {

// (pointer, length) inputs: NULL is acceptable only with length 0.
bool valid_input(const char* data, size_t length) { return data || length == 0; }

crdex_status config_status(std::string_view config_json) {
  return parses_as_json(config_json) ? CRDEX_E_CONFIG : CRDEX_E_BAD_JSON;
}

std::string payer_count(const config::RuleCatalog& rules) {
  return std::to_string(rules.payers().size()) + " payer rule set(s)";
}

// Loads `config_json` and swaps the rules in; the engine's lock keeps the
// directory remembered for reload consistent with the rules in force.
crdex_status replace_from_config(crdex_engine& engine, std::string_view config_json) {
  auto config = load_engine_config(config_json);
  if (!config) {
    engine.host.log(CRDEX_LOG_ERROR, "rules not replaced: " + config.error().message);
    return fail(config_status(config_json), config.error().message);
  }
  const std::string loaded = payer_count(*config->rules);
  {
    std::lock_guard lock(engine.rules_mutex);
    engine.engine.replace_rules(std::move(config->rules));
    engine.rules_dir = std::move(config->rules_dir);
  }
  engine.host.log(CRDEX_LOG_INFO, "rules replaced: " + loaded);
  return CRDEX_OK;
}

}  // namespace

extern "C" {

CRDEX_API crdex_status crdex_engine_create(const crdex_host* host, const char* config_json, size_t config_len,
                                           crdex_engine** out_engine) noexcept {
  return guard([&] {
    if (!out_engine) return fail(CRDEX_E_INVALID_ARGUMENT, "crdex_engine_create: out_engine is NULL");
    *out_engine = nullptr;
    if (!library_initialized()) return fail(CRDEX_E_NOT_INITIALIZED, "call crdex_init before creating an engine");
    if (!config_json) return fail(CRDEX_E_INVALID_ARGUMENT, "crdex_engine_create: config_json is NULL");

    auto binding = HostBinding::from(host);
    if (!binding) return fail(CRDEX_E_BAD_STRUCT, binding.error().message);
    auto config = load_engine_config(view(config_json, config_len));
    if (!config) {
      binding->log(CRDEX_LOG_ERROR, "engine not created: " + config.error().message);
      return fail(config_status(view(config_json, config_len)), config.error().message);
    }
    const std::string loaded = payer_count(*config->rules);
    auto engine = std::make_unique<crdex_engine>(*binding, std::move(config->rules), std::move(config->rules_dir),
                                                 std::move(config->fill));
    if (auto counted = engine_created(); counted != CRDEX_OK) return counted;
    engine->host.log(CRDEX_LOG_INFO, "engine created with " + loaded);
    *out_engine = engine.release();
    return CRDEX_OK;
  });
}

CRDEX_API void crdex_engine_destroy(crdex_engine* engine) noexcept {
  if (!engine) return;
  delete engine;  // the engine owns no threads, so nothing outlives this
  engine_destroyed();
}

CRDEX_API crdex_status crdex_engine_discovery(const crdex_engine* engine, crdex_result** out_result) noexcept {
  return guard([&] {
    if (out_result) *out_result = nullptr;
    if (!engine) return refuse(CRDEX_E_INVALID_ARGUMENT, 400, "crdex_engine_discovery: engine is NULL", out_result);
    return deliver(success_result(engine->engine.discovery()), out_result);
  });
}

CRDEX_API crdex_status crdex_engine_evaluate(const crdex_engine* engine, const char* service_id,
                                             size_t service_id_len, const char* request_json, size_t request_len,
                                             crdex_result** out_result) noexcept {
  return guard([&] {
    if (out_result) *out_result = nullptr;
    if (!engine) return refuse(CRDEX_E_INVALID_ARGUMENT, 400, "crdex_engine_evaluate: engine is NULL", out_result);
    if (!service_id || !valid_input(request_json, request_len))
      return refuse(CRDEX_E_INVALID_ARGUMENT, 400,
                    "crdex_engine_evaluate: service_id is NULL or request_json is NULL with a non-zero length",
                    out_result);
    auto answer = engine->engine.call_service(view(service_id, service_id_len), view(request_json, request_len));
    if (answer.status >= 200 && answer.status < 300) return deliver(success_result(std::move(answer.body)), out_result);
    return deliver(engine_failure_result(answer.status, std::move(answer.body)), out_result);
  });
}

CRDEX_API crdex_status crdex_engine_fill_prefetch(const crdex_engine* engine, const char* service_id,
                                                  size_t service_id_len, const char* request_json, size_t request_len,
                                                  crdex_result** out_result) noexcept {
  return guard([&] {
    if (out_result) *out_result = nullptr;
    if (!engine) return refuse(CRDEX_E_INVALID_ARGUMENT, 400, "crdex_engine_fill_prefetch: engine is NULL", out_result);
    if (!service_id || !valid_input(request_json, request_len))
      return refuse(CRDEX_E_INVALID_ARGUMENT, 400,
                    "crdex_engine_fill_prefetch: service_id is NULL or request_json is NULL with a non-zero length",
                    out_result);
    auto answer = engine->engine.fill_prefetch(view(service_id, service_id_len), view(request_json, request_len));
    if (answer.status >= 200 && answer.status < 300) return deliver(success_result(std::move(answer.body)), out_result);
    return deliver(engine_failure_result(answer.status, std::move(answer.body)), out_result);
  });
}

CRDEX_API crdex_status crdex_engine_replace_rules(crdex_engine* engine, const char* config_json,
                                                  size_t config_len) noexcept {
  return guard([&] {
    if (!engine || !config_json)
      return fail(CRDEX_E_INVALID_ARGUMENT, "crdex_engine_replace_rules: engine or config_json is NULL");
    return replace_from_config(*engine, view(config_json, config_len));
  });
}

CRDEX_API crdex_status crdex_engine_reload_rules(crdex_engine* engine) noexcept {
  return guard([&] {
    if (!engine) return fail(CRDEX_E_INVALID_ARGUMENT, "crdex_engine_reload_rules: engine is NULL");
    std::lock_guard lock(engine->rules_mutex);
    if (!engine->rules_dir)
      return fail(CRDEX_E_CONFIG, "the engine's rules were given inline: there is no rules_dir to reload");
    auto rules = config::RuleCatalog::load_directory(*engine->rules_dir);
    if (!rules) {
      engine->host.log(CRDEX_LOG_ERROR, "rules not reloaded: " + rules.error().message);
      return fail(CRDEX_E_CONFIG, rules.error().message);
    }
    engine->host.log(CRDEX_LOG_INFO, "rules reloaded from " + engine->rules_dir->string() + ": " + payer_count(**rules));
    engine->engine.replace_rules(std::move(rules).value());
    return CRDEX_OK;
  });
}

}  // extern "C"
