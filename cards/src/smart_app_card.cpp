// Launch SMART Application: a link the EHR opens as a SMART app, carrying the
// payer's appContext (not for DTR, which coverage information reaches).
#include "response_types.hpp"

namespace crdex::cards::detail {

Card smart_app_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                    const config::SmartAppTemplate& app) {
  Card card = card_from(payer, order, app);
  card.links.push_back({app.label, app.url, "smart", app.app_context});
  return card;
}

}  // namespace crdex::cards::detail
