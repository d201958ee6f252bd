// Checksums and format tables behind the PII detectors: the Luhn check of payment card numbers, the issuer
// prefixes a card number may start with, and the IBAN mod-97 check with its per-country lengths. Pure
// functions over ASCII text; thread-safe.
#pragma once

#include <string_view>

namespace catena::guardrails {

// True when `digits` (ASCII digits only, at least 2) passes the Luhn check.
bool LuhnValid(std::string_view digits);
// True when `digits` starts like a number of a known card scheme (Visa, Mastercard, Amex, Discover, JCB,
// Diners, UnionPay, Maestro) and has a length that scheme issues (13-19).
bool CardPrefixPlausible(std::string_view digits);
// The IBAN length of the two-letter country `country` ("DE" -> 22), or 0 when it has no IBAN format.
int IbanLength(std::string_view country);
// True when `iban` (compact: no spaces, upper case) has its country's length and passes the mod-97 check.
bool IbanValid(std::string_view iban);

}  // namespace catena::guardrails
