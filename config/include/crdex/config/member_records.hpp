#pragma once
// Member records a payer publishes with its rules (the optional `members`
// section of a crdex-rules/1 set). With them crdex can tell the EHR what only
// the payer knows: the member is unknown (CRD resp-44, no-member-found), has
// no active coverage or no single matching one (resp-45), or the EHR's
// Coverage disagrees with the payer's record (Update Coverage Records).
// Without them crdex trusts the EHR's Coverage, as before.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::config {

// One coverage the payer holds for a member.
struct MemberCoverage {
  std::string status = "active";  // FHIR Coverage.status
  std::string start;              // YYYY-MM-DD, inclusive; empty = open
  std::string end;                // YYYY-MM-DD, inclusive; empty = open
  struct ClassValue {
    std::string type;  // Coverage.class.type code: plan, group, ...
    std::string value;
    std::string name;  // optional
  };
  std::vector<ClassValue> classes;

  bool active_on(std::string_view today) const;
};

struct MemberRecord {
  std::string member_id;
  std::vector<MemberCoverage> coverages;
};

struct MemberRecords {
  // Where the EHR's Coverage carries the member id: Coverage.identifier with
  // this system, or Coverage.subscriberId when empty.
  std::string member_id_system;
  std::vector<MemberRecord> records;

  const MemberRecord* find(std::string_view member_id) const;
};

// What the payer's records say about the EHR's Coverage.
struct MembershipCheck {
  enum class Result { matched, no_member_found, no_active_coverage, coverage_not_found };
  Result result = Result::matched;
  std::string explanation;                   // for the coverage-information reason text
  const MemberCoverage* coverage = nullptr;  // the payer's record, when matched
};

// `member_id`: what the Coverage says (empty when it says nothing);
// `classes`: the Coverage's class entries (type, value). One active record is
// the member's coverage; among several, the one whose classes agree with every
// class the Coverage states; none or several -> coverage_not_found.
MembershipCheck check_membership(const MemberRecords& records, std::string_view member_id,
                                 const std::vector<std::pair<std::string, std::string>>& classes,
                                 std::string_view today);

}  // namespace crdex::config
