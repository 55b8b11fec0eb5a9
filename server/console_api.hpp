#pragma once
// The web console (docs/console.md): the clinician's and the payer's views,
// static HTML, CSS and JavaScript modules served under /console/ from a
// folder installed with the binary (share/crdex/console beside bin/, or
// --console-dir). The files are read once at start-up into memory and only
// those names are served: a request names a file, never a path, so there is
// nothing to traverse. Every file goes out with a strict
// Content-Security-Policy (scripts, styles and data only from crdex itself).
//
// The console's data calls go to crdex's own JSON APIs with the user's
// credential; the two endpoints added for it, under the hook calls' policy
// (cds_client): GET /console/api/codes lists the order codes the loaded rules
// know (for the EHR view's code search), GET /console/api/patients lists the
// patients of the FHIR server named by --console-fhir-server
// (console_patients.hpp; without it: 404 with an OperationOutcome, and the
// page offers the example patients only).

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api_module.hpp"
#include "console_patients.hpp"
#include "crdex/hooks/engine.hpp"

namespace crdex::server {

struct FrontState;
struct ServerOptions;

class ConsoleApi : public ApiModule {
 public:
  struct File {
    std::string content_type;
    std::string body;
  };

  // Reads the console files of `dir` (regular files with a console-safe name
  // and a known type, nothing below it); `problem` says why none could be read.
  static std::shared_ptr<ConsoleApi> load(const std::filesystem::path& dir,
                                          std::shared_ptr<const hooks::Engine> engine, std::string& problem);

  std::vector<Route> routes() const override;

  size_t file_count() const { return files_.size(); }

  // Turns GET /console/api/patients on (off: 404).
  void set_patient_search(ConsolePatientSearch search) { patient_search_ = std::move(search); }

  // The media type served for a file name ("" when not served), and whether
  // the name may be served at all (letters, digits, '-', '_', one '.').
  static std::string content_type_of(std::string_view name);
  static bool servable_name(std::string_view name);

 private:
  ApiAnswer file(const std::string& name) const;
  ApiAnswer codes() const;
  ApiAnswer patients(const Pistache::Http::Request& request) const;

  std::map<std::string, File, std::less<>> files_;
  std::shared_ptr<const hooks::Engine> engine_;
  std::optional<ConsolePatientSearch> patient_search_;
};

// The console's folder: --console-dir, else share/crdex/console beside the
// executable's bin/. Adds the module when the folder has an index.html; a
// missing default folder only turns the console off (logged), a missing
// --console-dir or an unusable --console-fhir-server is an error (false).
bool configure_console(const ServerOptions& options, FrontState& state);

}  // namespace crdex::server
