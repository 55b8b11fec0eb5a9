#include "outcome_parser.hpp"

#include <algorithm>
#include <cctype>

#include "crdex/config/coverage_invariants.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "value_sets.hpp"

namespace crdex::config::detail {

using fhir::JsonNode;

namespace {

template <size_t N>
std::string checked_code(const JsonNode& node, const std::array<std::string_view, N>& value_set) {
  const auto code = node.as_non_empty_string();
  if (!contains(value_set, code)) {
    std::string allowed;
    for (auto c : value_set) allowed.append(allowed.empty() ? "" : ", ").append(c);
    node.fail("is \"" + std::string(code) + "\"; allowed: " + allowed);
  }
  return std::string(code);
}

template <size_t N>
std::vector<std::string> checked_codes(const JsonNode& parent, std::string_view key,
                                       const std::array<std::string_view, N>& value_set) {
  std::vector<std::string> out;
  auto node = parent.find(key);
  if (!node) return out;
  for (const auto& item : node->items()) out.push_back(checked_code(item, value_set));
  if (out.empty()) node->fail("must not be an empty array (leave it out instead)");
  return out;
}

bool is_absolute_url(std::string_view s) { return s.starts_with("https://") || s.starts_with("http://"); }

Reason parse_reason(const JsonNode& node) {
  reject_unknown_keys(node, {"system", "code", "display", "text"});
  Reason reason;
  reason.text = node.string_or_empty("text");
  if (node.find("code")) reason.coding = parse_coding(node, true);
  if (reason.coding.code.empty() && reason.text.empty()) node.fail("needs a code, a text, or both");
  const bool standard = reason.coding.system == kCrdTempSystem && contains(kReasonCodes, reason.coding.code);
  if (!standard && reason.text.empty())  // crd-ci-q7
    node.fail("uses a code outside the CRD coverage-assertion reasons, so it needs a \"text\" (crd-ci-q7)");
  return reason;
}

CoverageDetail parse_detail(const JsonNode& node) {
  reject_unknown_keys(node, {"category", "code", "value", "qualification"});
  CoverageDetail detail;
  detail.category = checked_code(node.at("category"), kDetailCategories);
  detail.code = parse_coding(node.at("code").expect_object(), true);
  const JsonNode value = node.at("value").expect_object();
  static constexpr std::array<std::string_view, 5> kValueKinds{"boolean", "string", "url", "quantity", "period"};
  reject_unknown_keys(value, {"boolean", "string", "url", "quantity", "period"});
  for (auto kind : kValueKinds) {
    auto v = value.find(kind);
    if (!v) continue;
    if (!detail.value_key.empty()) value.fail("must hold exactly one of boolean, string, url, quantity, period");
    if (kind == "boolean") v->as_bool();
    if (kind == "string" || kind == "url") v->as_non_empty_string();
    if (kind == "url" && !is_absolute_url(v->as_string())) v->fail("must be an absolute http(s) URL");
    if (kind == "quantity" || kind == "period") v->expect_object();
    std::string key = "value";
    key.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(kind.front()))));
    key.append(kind.substr(1));
    detail.value_key = key;
    detail.value_json = fhir::minified(v->element());
  }
  if (detail.value_key.empty()) value.fail("must hold one of boolean, string, url, quantity, period");
  detail.qualification = node.string_or_empty("qualification");
  return detail;
}

// Fields every card template shares: summary (< 140), detail, indicator, topic.
template <class Template>
void parse_card_text(const JsonNode& node, Template& card) {
  card.summary = node.at("summary").as_non_empty_string();
  if (card.summary.size() >= 140) node.at("summary").fail("must be shorter than 140 characters (CDS Hooks)");
  card.detail = node.string_or_empty("detail");
  if (auto indicator = node.find("indicator")) card.indicator = checked_code(*indicator, kIndicators);
  if (auto topic = node.find("topic")) card.topic = checked_code(*topic, kCardTopics);
}

CardTemplate parse_card(const JsonNode& node) {
  node.expect_object();
  reject_unknown_keys(node, {"summary", "detail", "indicator", "topic", "links"});
  CardTemplate card;
  parse_card_text(node, card);
  if (auto links = node.find("links")) {
    for (const auto& link : links->items()) {
      reject_unknown_keys(link, {"label", "url"});
      CardLink out{std::string(link.at("label").as_non_empty_string()),
                   std::string(link.at("url").as_non_empty_string())};
      if (!is_absolute_url(out.url)) link.at("url").fail("must be an absolute http(s) URL");
      card.links.push_back(std::move(out));
    }
  }
  return card;
}

AlternativesTemplate parse_alternatives(const JsonNode& node) {
  node.expect_object();
  reject_unknown_keys(node, {"summary", "detail", "indicator", "topic", "options"});
  AlternativesTemplate t;
  parse_card_text(node, t);
  if (t.topic != "therapy-alternatives-opt" && t.topic != "therapy-alternatives-req")
    node.at("topic").fail("must be therapy-alternatives-opt or therapy-alternatives-req");
  for (const auto& option : node.at("options").items()) {
    reject_unknown_keys(option, {"label", "code"});
    t.options.push_back({std::string(option.at("label").as_non_empty_string()),
                         parse_coding(option.at("code"), false)});
  }
  if (t.options.empty()) node.at("options").fail("must offer at least one alternative");
  return t;
}

CompanionsTemplate parse_companions(const JsonNode& node) {
  node.expect_object();
  reject_unknown_keys(node, {"summary", "detail", "indicator", "topic", "orders"});
  CompanionsTemplate t;
  parse_card_text(node, t);
  for (const auto& order : node.at("orders").items()) {
    reject_unknown_keys(order, {"label", "resourceType", "code"});
    CompanionOrder companion{std::string(order.at("label").as_non_empty_string()), "ServiceRequest",
                             parse_coding(order.at("code"), false)};
    if (auto type = order.find("resourceType")) {
      companion.resource_type = type->as_non_empty_string();
      if (companion.resource_type != "ServiceRequest" && companion.resource_type != "DeviceRequest" &&
          companion.resource_type != "MedicationRequest")
        type->fail("must be ServiceRequest, DeviceRequest or MedicationRequest");
    }
    t.orders.push_back(std::move(companion));
  }
  if (t.orders.empty()) node.at("orders").fail("must name at least one order");
  return t;
}

FormTemplate parse_form(const JsonNode& node) {
  node.expect_object();
  reject_unknown_keys(node, {"summary", "detail", "indicator", "topic", "label", "questionnaire", "afterCompletion",
                             "questionnaireResource"});
  FormTemplate t;
  parse_card_text(node, t);
  t.label = node.at("label").as_non_empty_string();
  t.questionnaire = node.at("questionnaire").as_non_empty_string();
  if (!is_absolute_url(t.questionnaire)) node.at("questionnaire").fail("must be an absolute canonical URL");
  if (auto after = node.find("afterCompletion")) {
    static constexpr std::array<std::string_view, 3> kAfterCompletion{"prior-auth-include", "initial-claim-include",
                                                                      "all-claims-include"};
    t.after_completion = checked_code(*after, kAfterCompletion);
  }
  if (auto resource = node.find("questionnaireResource")) {
    resource->expect_object();
    if (resource->at("resourceType").as_string() != "Questionnaire")
      resource->at("resourceType").fail("must be \"Questionnaire\"");
    const auto url = resource->at("url").as_non_empty_string();
    const auto version = resource->string_or_empty("version");
    // The canonical may name a version ("url|2"); the resource must be that one.
    std::string_view canonical = t.questionnaire;
    std::string_view wanted_version;
    if (const auto bar = canonical.find('|'); bar != std::string_view::npos) {
      wanted_version = canonical.substr(bar + 1);
      canonical = canonical.substr(0, bar);
    }
    if (url != canonical) resource->at("url").fail("must be the form's questionnaire canonical " + std::string(canonical));
    if (!wanted_version.empty() && version != wanted_version)
      resource->fail("must be version " + std::string(wanted_version) + " of the questionnaire");
    t.questionnaire_resource = fhir::minified(resource->element());
    t.questionnaire_search = "url=" + std::string(url);
    if (!version.empty()) t.questionnaire_search += "&version=" + std::string(version);
  }
  return t;
}

SmartAppTemplate parse_smart_app(const JsonNode& node) {
  node.expect_object();
  reject_unknown_keys(node, {"summary", "detail", "indicator", "topic", "label", "url", "appContext"});
  SmartAppTemplate t;
  parse_card_text(node, t);
  t.label = node.at("label").as_non_empty_string();
  t.url = node.at("url").as_non_empty_string();
  if (!is_absolute_url(t.url)) node.at("url").fail("must be an absolute http(s) URL");
  t.app_context = node.string_or_empty("appContext");
  return t;
}

// The coverage-information invariants, checked once at load so that nothing
// crdex emits can break them.
void check_invariants(const JsonNode& node, const CoverageOutcome& o) {
  if (auto violation = find_invariant_violation(o)) node.fail(*violation);
}

}  // namespace

void reject_unknown_keys(const JsonNode& node, std::initializer_list<std::string_view> allowed) {
  node.expect_object();
  for (auto field : node.element().get_object()) {
    if (std::find(allowed.begin(), allowed.end(), field.key) != allowed.end()) continue;
    std::string names;
    for (auto a : allowed) names.append(names.empty() ? "" : ", ").append(a);
    throw fhir::JsonShapeError(fhir::child_path(node.path(), field.key),
                               fhir::child_path(node.path(), field.key) + " is not a known field; known: " + names);
  }
}

fhir::Coding parse_coding(const JsonNode& node, bool system_optional) {
  node.expect_object();
  fhir::Coding coding;
  if (system_optional && !node.find("system"))
    coding.system = kCrdTempSystem;
  else
    coding.system = node.at("system").as_non_empty_string();
  coding.code = node.at("code").as_non_empty_string();
  coding.display = node.string_or_empty("display");
  return coding;
}

CoverageOutcome parse_outcome(const JsonNode& node, const std::function<void(const fhir::JsonShapeError&)>& report) {
  node.expect_object();
  CoverageOutcome o;
  bool fields_ok = true;
  const auto field = [&](auto&& read) {
    try {
      read();
    } catch (const fhir::JsonShapeError& e) {
      fields_ok = false;
      report(e);
    }
  };
  field([&] {
    reject_unknown_keys(node, {"covered", "pa-needed", "doc-needed", "doc-purpose", "info-needed", "billingCode",
                               "reason", "detail", "questionnaire", "satisfied-pa-id", "expiry-date", "card",
                               "alternatives", "companions", "form", "smartApp"});
  });
  field([&] { o.covered = checked_code(node.at("covered"), kCovered); });
  field([&] {
    if (auto pa = node.find("pa-needed")) o.pa_needed = checked_code(*pa, kPaNeeded);
  });
  field([&] { o.doc_needed = checked_codes(node, "doc-needed", kDocNeeded); });
  field([&] { o.doc_purpose = checked_codes(node, "doc-purpose", kDocPurpose); });
  field([&] { o.info_needed = checked_codes(node, "info-needed", kInfoNeeded); });
  if (auto codes = node.find("billingCode"))
    for (const auto& c : codes->items()) field([&] { o.billing_codes.push_back(parse_coding(c, false)); });
  if (auto reasons = node.find("reason"))
    for (const auto& r : reasons->items()) field([&] { o.reasons.push_back(parse_reason(r)); });
  if (auto details = node.find("detail"))
    for (const auto& d : details->items()) field([&] { o.details.push_back(parse_detail(d)); });
  if (auto questionnaires = node.find("questionnaire")) {
    for (const auto& q : questionnaires->items()) {
      field([&] {
        if (!is_absolute_url(q.as_non_empty_string())) q.fail("must be an absolute canonical URL");
        o.questionnaires.emplace_back(q.as_string());
      });
    }
  }
  field([&] { o.satisfied_pa_id = node.string_or_empty("satisfied-pa-id"); });
  field([&] {
    if (auto expiry = node.find("expiry-date")) {
      if (!fhir::is_fhir_date(expiry->as_string())) expiry->fail("must be a date, YYYY-MM-DD");
      o.expiry_date = expiry->as_string();
    }
  });
  field([&] {
    if (auto card = node.find("card")) o.card = parse_card(*card);
  });
  field([&] {
    if (auto alternatives = node.find("alternatives")) o.alternatives = parse_alternatives(*alternatives);
  });
  field([&] {
    if (auto companions = node.find("companions")) o.companions = parse_companions(*companions);
  });
  field([&] {
    if (auto form = node.find("form")) o.form = parse_form(*form);
  });
  field([&] {
    if (auto smart_app = node.find("smartApp")) o.smart_app = parse_smart_app(*smart_app);
  });
  if (!fields_ok) return o;  // the invariants of half-read fields would only mislead
  field([&] {
    if (o.form && !o.questionnaires.empty())
      node.at("form").fail("asks for a form task while the outcome already sends the clinician to DTR "
                           "(questionnaire); use one or the other (CRD resp-59)");
  });
  field([&] { check_invariants(node, o); });
  return o;
}

}  // namespace crdex::config::detail
