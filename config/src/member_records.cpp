#include "crdex/config/member_records.hpp"

#include <algorithm>

namespace crdex::config {

bool MemberCoverage::active_on(std::string_view today) const {
  if (status != "active") return false;
  if (!start.empty() && today < start) return false;
  return end.empty() || today <= end;
}

const MemberRecord* MemberRecords::find(std::string_view member_id) const {
  for (const auto& record : records)
    if (record.member_id == member_id) return &record;
  return nullptr;
}

namespace {

// Every class the EHR states that the record also has a value for must agree.
bool agrees(const MemberCoverage& coverage, const std::vector<std::pair<std::string, std::string>>& classes) {
  return std::all_of(classes.begin(), classes.end(), [&](const auto& stated) {
    return std::none_of(coverage.classes.begin(), coverage.classes.end(), [&](const auto& held) {
      return held.type == stated.first && held.value != stated.second;
    });
  });
}

}  // namespace

MembershipCheck check_membership(const MemberRecords& records, std::string_view member_id,
                                 const std::vector<std::pair<std::string, std::string>>& classes,
                                 std::string_view today) {
  using Result = MembershipCheck::Result;
  const std::string where = records.member_id_system.empty()
                                ? std::string("Coverage.subscriberId")
                                : "the Coverage identifier of system " + records.member_id_system;
  if (member_id.empty()) return {Result::no_member_found, "The Coverage gives no member id (" + where + ").", nullptr};
  const MemberRecord* member = records.find(member_id);
  if (!member)
    return {Result::no_member_found,
            "The payer has no member with id " + std::string(member_id) + " (" + where + ").", nullptr};

  std::vector<const MemberCoverage*> active;
  for (const auto& coverage : member->coverages)
    if (coverage.active_on(today)) active.push_back(&coverage);
  if (active.empty())
    return {Result::no_active_coverage, "The payer's records show no coverage active on " + std::string(today) +
                                            " for member " + std::string(member_id) + ".",
            nullptr};
  if (active.size() == 1) return {Result::matched, {}, active.front()};

  std::vector<const MemberCoverage*> agreeing;
  for (const auto* coverage : active)
    if (agrees(*coverage, classes)) agreeing.push_back(coverage);
  if (agreeing.size() == 1) return {Result::matched, {}, agreeing.front()};
  return {Result::coverage_not_found,
          "The payer holds " + std::to_string(active.size()) + " active coverages for member " +
              std::string(member_id) + " and the Coverage's plan/group classes " +
              (agreeing.empty() ? "match none of them." : "do not single one out."),
          nullptr};
}

}  // namespace crdex::config
