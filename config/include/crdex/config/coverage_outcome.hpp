#pragma once
// CoverageOutcome: what a payer asserts about one order, in the terms of the
// Da Vinci CRD coverage-information extension (ext-coverage-information), plus
// the card the payer wants a clinician to see.
//
// Field names follow the extension's sub-extension urls, so a rule author can
// read the CRD guide and this struct side by side. Codes are validated against
// the CRD value sets when a rule set is loaded; builders can trust them.

#include <optional>

#include "crdex/config/boxed.hpp"
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/coding.hpp"

namespace crdex::config {

// The code system CRD uses for coverage-assertion reasons and detail codes.
inline constexpr const char* kCrdTempSystem = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp";

struct Reason {
  fhir::Coding coding;  // may be empty when only text is given
  std::string text;
};

// One `detail` sub-extension: a category, a coded name and a typed value.
struct CoverageDetail {
  std::string category;  // cat-limitation | cat-decisional | cat-other
  fhir::Coding code;
  std::string value_key;   // valueBoolean | valueString | valueUrl | valueQuantity | valuePeriod
  std::string value_json;  // the value as minified JSON, written through unchanged
  std::string qualification;
};

struct CardLink {
  std::string label;
  std::string url;  // absolute
};

// The card a rule asks for. Summary < 140 characters; topic is a code of
// http://terminology.hl7.org/CodeSystem/cdshooks-card-type.
struct CardTemplate {
  std::string summary;
  std::string detail;  // GitHub-flavoured markdown
  std::string indicator = "info";
  std::string topic = "coverage-info";
  std::vector<CardLink> links;
};

// Propose Alternate Request (CRD): orders the payer prefers, one suggestion each.
struct AlternativeOption {
  std::string label;
  fhir::Coding code;
};
struct AlternativesTemplate {
  std::string summary;
  std::string detail;
  std::string indicator = "info";
  std::string topic = "therapy-alternatives-opt";  // or therapy-alternatives-req
  std::vector<AlternativeOption> options;
};

// Identify Additional Orders (CRD): companion or prerequisite orders to add.
struct CompanionOrder {
  std::string label;
  std::string resource_type = "ServiceRequest";  // ServiceRequest | DeviceRequest | MedicationRequest
  fhir::Coding code;
};
struct CompanionsTemplate {
  std::string summary;
  std::string detail;
  std::string indicator = "info";
  std::string topic = "clinical-reminder";
  std::vector<CompanionOrder> orders;
};

// Request Form Completion (CRD): a Task asking someone to fill in a form.
struct FormTemplate {
  std::string summary;
  std::string detail;
  std::string indicator = "info";
  std::string topic = "coverage-info";
  std::string label;
  std::string questionnaire;                         // canonical URL
  std::string after_completion = "prior-auth-include";  // CRD after-completion action
  // The Questionnaire itself (minified JSON), when the payer ships it: the
  // card then also creates it on the EHR unless the EHR already has it
  // (`davinci-crd.if-none-exist`, CRD dev-19/20). `questionnaire_search` is
  // the query that finds it: "url=<canonical>[&version=<version>]".
  std::string questionnaire_resource;
  std::string questionnaire_search;
};

// Launch SMART Application (CRD): a link the EHR launches as a SMART app.
struct SmartAppTemplate {
  std::string summary;
  std::string detail;
  std::string indicator = "info";
  std::string topic = "coverage-info";
  std::string label;
  std::string url;          // the app's launch URL (absolute)
  std::string app_context;  // passed to the app in the token response
};

struct CoverageOutcome {
  std::string covered;  // covered | not-covered | conditional | indeterminate
  std::string pa_needed;
  std::vector<std::string> doc_needed;
  std::vector<std::string> doc_purpose;
  std::vector<std::string> info_needed;
  std::vector<fhir::Coding> billing_codes;
  std::vector<Reason> reasons;
  std::vector<CoverageDetail> details;
  std::vector<std::string> questionnaires;  // canonical URLs
  std::string satisfied_pa_id;
  std::string expiry_date;  // FHIR date
  // Card templates, boxed: most rules have none (see boxed.hpp).
  Boxed<CardTemplate> card;  // Instructions, or External Reference when it has links
  Boxed<AlternativesTemplate> alternatives;
  Boxed<CompanionsTemplate> companions;
  Boxed<FormTemplate> form;
  Boxed<SmartAppTemplate> smart_app;

  // The card topics this outcome can produce (for discovery's options).
  std::vector<std::string> card_topics() const;
};

// The outcome crdex reports when it could not evaluate (CRD resp-43):
// covered = indeterminate with reason `technical` and an explanation.
CoverageOutcome technical_failure_outcome(std::string explanation);

// The outcome for an order that carries no usable code (no coding with both
// system and code, or text only): nothing to determine coverage from, so no
// positive assertion. CRD's `conditional` ("a decision cannot be made without
// more information (more detailed code, …)") for covered and pa-needed, with
// info-needed and reason `detail-code` and an explanation (docs/rules.md).
CoverageOutcome undetermined_without_code_outcome(std::string explanation);

// The outcome for a Coverage the payer does not consider active (CRD resp-45).
CoverageOutcome inactive_coverage_outcome(std::string explanation);

// not-covered with a CRD coverage-assertion reason crdex states itself:
// no-member-found (resp-44), no-active-coverage or coverage-not-found (resp-45).
CoverageOutcome not_covered_outcome(std::string_view reason_code, std::string explanation);

}  // namespace crdex::config
