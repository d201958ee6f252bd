// Luhn, card issuer prefixes and the IBAN mod-97 check (ISO 13616); see pii_checks.h.
#include "guardrails/pii_checks.h"

#include <cstring>

namespace catena::guardrails {
namespace {

// ISO 13616 registry lengths, "CCnn" sorted by country code.
constexpr const char* kIbanLengths[] = {
    "AD24", "AE23", "AL28", "AT20", "AZ28", "BA20", "BE16", "BG22", "BH22", "BI27", "BR29", "BY28", "CH21",
    "CR22", "CY28", "CZ24", "DE22", "DJ27", "DK18", "DO28", "EE20", "EG29", "ES24", "FI18", "FK18", "FO18",
    "FR27", "GB22", "GE22", "GI23", "GL18", "GR27", "GT28", "HR21", "HU28", "IE22", "IL23", "IQ23", "IS26",
    "IT27", "JO30", "KW30", "KZ20", "LB28", "LC32", "LI21", "LT20", "LU20", "LV21", "LY25", "MC27", "MD24",
    "ME22", "MK19", "MN20", "MR27", "MT31", "MU30", "NI28", "NL18", "NO15", "OM23", "PK24", "PL28", "PS29",
    "PT25", "QA29", "RO24", "RS22", "RU33", "SA24", "SC31", "SD18", "SE24", "SI19", "SK24", "SM27", "SO23",
    "ST25", "SV28", "TL23", "TN24", "TR26", "UA29", "VA22", "VG24", "XK20"};

bool Between(std::string_view digits, int length, int low, int high) {
  int value = 0;
  for (int i = 0; i < length; ++i) value = value * 10 + (digits[i] - '0');
  return value >= low && value <= high;
}

bool LengthIn(size_t n, size_t low, size_t high) { return n >= low && n <= high; }

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.size() < 2) return false;
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (d < 0 || d > 9) return false;
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool CardPrefixPlausible(std::string_view d) {
  const size_t n = d.size();
  if (n < 13 || n > 19) return false;
  switch (d[0]) {
    case '4': return n == 13 || n == 16 || n == 19;                                   // Visa
    case '5': return Between(d, 2, 51, 55) ? n == 16 : Between(d, 2, 50, 59);         // Mastercard, Maestro
    case '2': return Between(d, 4, 2221, 2720) && n == 16;                            // Mastercard 2-series
    case '3':
      if (Between(d, 2, 34, 34) || Between(d, 2, 37, 37)) return n == 15;             // Amex
      if (Between(d, 4, 3528, 3589)) return LengthIn(n, 16, 19);                      // JCB
      return (Between(d, 3, 300, 305) || Between(d, 2, 36, 36) || Between(d, 2, 38, 39)) &&
             LengthIn(n, 14, 19);                                                     // Diners
    case '6': return LengthIn(n, 16, 19);  // Discover, UnionPay, Maestro 6x
    default: return false;
  }
}

int IbanLength(std::string_view country) {
  if (country.size() != 2) return 0;
  size_t low = 0;
  size_t high = sizeof(kIbanLengths) / sizeof(kIbanLengths[0]);
  while (low < high) {
    const size_t mid = (low + high) / 2;
    const int cmp = std::strncmp(kIbanLengths[mid], country.data(), 2);
    if (cmp == 0) return (kIbanLengths[mid][2] - '0') * 10 + (kIbanLengths[mid][3] - '0');
    if (cmp < 0) low = mid + 1; else high = mid;
  }
  return 0;
}

bool IbanValid(std::string_view iban) {
  if (iban.size() < 15 || static_cast<int>(iban.size()) != IbanLength(iban.substr(0, 2))) return false;
  if (iban[2] < '0' || iban[2] > '9' || iban[3] < '0' || iban[3] > '9') return false;
  int remainder = 0;
  for (size_t k = 0; k < iban.size(); ++k) {
    const char c = iban[(k + 4) % iban.size()];  // the first four characters move to the end
    if (c >= '0' && c <= '9') {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

}  // namespace catena::guardrails
