#include "transport/rudp/RudpOptions.h"

namespace pigeon::transport::rudp {

std::string_view arqSchemeName(ArqScheme scheme) {
  switch (scheme) {
    case ArqScheme::kStopAndWait:
      return "stop-and-wait";
    case ArqScheme::kGoBackN:
      return "go-back-n";
    case ArqScheme::kSelectiveRepeat:
      return "selective-repeat";
  }
  return "unknown";
}

std::string_view deliveryModeName(DeliveryMode mode) {
  switch (mode) {
    case DeliveryMode::kOrdered:
      return "ordered";
    case DeliveryMode::kUnordered:
      return "unordered";
  }
  return "unknown";
}

std::optional<ArqScheme> parseArqScheme(std::string_view text) {
  for (ArqScheme s : {ArqScheme::kStopAndWait, ArqScheme::kGoBackN, ArqScheme::kSelectiveRepeat}) {
    if (text == arqSchemeName(s)) return s;
  }
  return std::nullopt;
}

std::optional<DeliveryMode> parseDeliveryMode(std::string_view text) {
  for (DeliveryMode m : {DeliveryMode::kOrdered, DeliveryMode::kUnordered}) {
    if (text == deliveryModeName(m)) return m;
  }
  return std::nullopt;
}

bool isArqScheme(std::uint8_t value) { return value >= 1 && value <= 3; }
bool isDeliveryMode(std::uint8_t value) { return value >= 1 && value <= 2; }

}  // namespace pigeon::transport::rudp
