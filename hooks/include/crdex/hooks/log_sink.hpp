#pragma once
// The engine's one way to say something happened that no answer shows: a
// coverage-information invariant broken at run time (the answer carries
// indeterminate + technical instead), an order whose assessment failed. The
// engine has no logger of its own: crdex-server points the sink at spdlog,
// the plugin at its host's log callback; without a sink nothing is logged.
// Messages never hold access tokens or request bodies.

#include <functional>
#include <string_view>

namespace crdex::hooks {

enum class LogLevel { debug, info, warning, error };

// Called on the thread that evaluates the hook; must be thread-safe when the
// engine is called from several threads. Must not throw.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace crdex::hooks
