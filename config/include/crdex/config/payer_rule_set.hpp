#pragma once
// A payer's published rule set (schema "crdex-rules/1"): who the payer is, how
// to recognise it in a Coverage, what it says when no rule matches, and rules
// that map order codes to coverage outcomes. docs/rules.md is the author's guide.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/config/coverage_outcome.hpp"
#include "crdex/config/member_records.hpp"
#include "crdex/fhir/coding.hpp"

namespace crdex::config {

inline constexpr const char* kRuleSchemaV1 = "crdex-rules/1";

struct Identifier {
  std::string system;
  std::string value;
};

// How a Coverage.payor entry names this payer. Any one match identifies it.
struct PayerIdentity {
  std::vector<std::string> references;  // "Organization/acme-payer" (absolute URLs match by type/id)
  std::vector<Identifier> identifiers;  // payor.identifier system + value
  std::vector<std::string> displays;    // payor.display, compared exactly
};

// Codes a condition accepts: exact codes, prefixes ("A04" for HCPCS A0425..)
// and inclusive ranges of equal-length codes (CPT "70010".."76499"). Named
// code groups of the rule set are expanded into this when the set is read.
struct CodePrefix {
  std::string system;
  std::string prefix;
};
struct CodeRange {
  std::string system;
  std::string low;   // inclusive, same length as high
  std::string high;  // inclusive
};
struct CodeSelection {
  std::vector<fhir::Coding> codes;
  std::vector<CodePrefix> prefixes;
  std::vector<CodeRange> ranges;

  bool empty() const { return codes.empty() && prefixes.empty() && ranges.empty(); }
  bool matches(std::string_view system, std::string_view code) const;
};

// An inclusive numeric bound pair; either side may be open.
struct NumericRange {
  std::optional<double> min;
  std::optional<double> max;

  bool set() const { return min || max; }
  bool contains(double value) const { return (!min || value >= *min) && (!max || value <= *max); }
};

struct CoverageClassValue {
  std::string type;   // Coverage.class.type code: plan, group, subgroup, rxgroup, ...
  std::string value;  // Coverage.class.value
};

// Every condition of a rule's `when`; an absent condition accepts every order.
// docs/rules.md explains each with an example.
struct RuleConditions {
  CodeSelection codes;                      // order codes (the catalog's index key)
  std::vector<std::string> resource_types;  // empty = every order type
  NumericRange patient_age;                 // whole years, from prefetch Patient.birthDate
  std::vector<std::string> genders;         // Patient.gender
  std::vector<CoverageClassValue> coverage_classes;  // any one matches
  std::vector<fhir::Coding> coverage_types;          // Coverage.type codings
  CodeSelection diagnoses;                  // order reasonCode or a prefetch Condition
  NumericRange quantity;                    // order quantity
  NumericRange supply_days;                 // MedicationRequest expected supply duration, days
  NumericRange repeats;                     // refills / repeat count
  std::vector<std::string> requesters;      // NPIs or "Practitioner/id" references
  std::vector<std::string> performers;      // NPIs or references
  std::vector<std::string> places_of_service;  // CMS place-of-service codes
  std::vector<std::string> location_states;    // Location.address.state
  std::string effective_from;               // YYYY-MM-DD, inclusive
  std::string effective_to;                 // YYYY-MM-DD, inclusive
};

struct Rule {
  std::string id;
  std::string description;
  // Higher wins when several rules match one order; equal priorities fall back
  // to the order of declaration (earlier wins).
  int priority = 0;
  RuleConditions when;
  CoverageOutcome outcome;
};

// What the payer wants pushed to it when something happens at the provider
// (CDex P2: provider-initiated, encounter-based; docs/rules.md "push").
// `on` names the event; `send` selects resources of the event notification;
// `destination` names a --destinations entry of the provider's crdex.
struct PushRule {
  std::string id;           // unique in the set; part of each push's idempotency key
  std::string on;           // "encounter-discharge" | "result-final"
  std::string resource_type;  // what to send: "DocumentReference", "DiagnosticReport", ...
  // Its type (DocumentReference.type, DiagnosticReport/Observation.code) must
  // carry one of these; empty: any resource of that type.
  std::vector<fhir::Coding> codes;
  std::string destination;
  std::string attach_to = "claim";  // the $submit-attachment AttachTo: claim | preauthorization
};

inline constexpr std::string_view kPushEvents[] = {"encounter-discharge", "result-final"};

struct PayerRuleSet {
  std::string source;  // file the set came from, for messages
  // The store's version of this set (1, 2, ...); 0 when read from a file
  // outside the store. Responses name it so every answer is traceable.
  int version = 0;
  std::string payer_id;
  std::string payer_name;  // shown as card source.label (CRD resp-4)
  PayerIdentity identity;
  CoverageOutcome default_outcome;  // applies when no rule matches (CRD hook-16)
  // URL prefixes of the payer's portals for starting prior authorization or
  // checking coverage: no card may link to them (CRD resp-17, resp-23).
  std::vector<std::string> pa_portals;
  // The payer's member records, when it publishes them (docs/rules.md).
  std::optional<MemberRecords> members;
  std::vector<Rule> rules;
  // What to push on which provider event (empty: nothing is pushed).
  std::vector<PushRule> push;
};

}  // namespace crdex::config
