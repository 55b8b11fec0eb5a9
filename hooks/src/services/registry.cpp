#include <array>

#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks {

std::span<const ServiceDescriptor* const> all_services() {
  static const std::array<const ServiceDescriptor*, 6> services{
      &order_sign_service(),       &order_select_service(),    &order_dispatch_service(),
      &appointment_book_service(), &encounter_start_service(), &encounter_discharge_service()};
  return services;
}

const ServiceDescriptor* find_service(std::string_view id) {
  for (const ServiceDescriptor* service : all_services())
    if (service->id == id) return service;
  return nullptr;
}

}  // namespace crdex::hooks
