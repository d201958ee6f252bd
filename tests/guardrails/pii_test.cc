// PII detection, redaction and restoration: checksums against published test numbers, positive and negative
// cases per detector (look-alike ids, dates, amounts, versions), placeholders and restoration.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "guardrails/pii_checks.h"
#include "guardrails/pii_detector.h"
#include "guardrails/pii_vault.h"

namespace catena::guardrails {
namespace {

std::unique_ptr<PiiDetector> Detector(PiiOptions options = {}) {
  auto detector = PiiDetector::Create(std::move(options));
  REQUIRE(detector.ok());
  return *std::move(detector);
}

// "LABEL:text" for each finding.
std::vector<std::string> Findings(std::string_view text, const PiiDetector& detector) {
  std::vector<std::string> out;
  for (const PiiMatch& m : detector.Find(text)) {
    out.push_back(std::string(m.label) + ":" + std::string(text.substr(m.begin, m.end - m.begin)));
  }
  return out;
}

std::vector<std::string> Findings(std::string_view text) { return Findings(text, *Detector()); }

TEST_CASE("Luhn accepts published test card numbers and rejects a changed digit", "[unit]") {
  CHECK(LuhnValid("4111111111111111"));
  CHECK(LuhnValid("5555555555554444"));
  CHECK(LuhnValid("378282246310005"));
  CHECK_FALSE(LuhnValid("4111111111111112"));
  CHECK_FALSE(LuhnValid("4000123456789010"));
  CHECK_FALSE(LuhnValid("41x1"));
}

TEST_CASE("IBAN check accepts valid IBANs of several countries and rejects bad ones", "[unit]") {
  for (const char* iban : {"DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606",
                           "NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957",
                           "ES9121000418450200051332", "IT60X0542811101000000123456", "NO9386011117947"}) {
    INFO(iban);
    CHECK(IbanValid(iban));
  }
  CHECK_FALSE(IbanValid("DE89370400440532013001"));   // check digits wrong
  CHECK_FALSE(IbanValid("GB82WEST12345698765433"));
  CHECK_FALSE(IbanValid("DE8937040044053201300"));    // one short for DE
  CHECK_FALSE(IbanValid("XX89370400440532013000"));   // no such country
  CHECK(IbanLength("DE") == 22);
  CHECK(IbanLength("NO") == 15);
  CHECK(IbanLength("US") == 0);
}

TEST_CASE("card numbers are found with spaces, dashes or none, only when Luhn and issuer agree", "[unit]") {
  CHECK(Findings("pay with 4111 1111 1111 1111 today") == std::vector<std::string>{"CARD:4111 1111 1111 1111"});
  CHECK(Findings("card 5555-5555-5555-4444.") == std::vector<std::string>{"CARD:5555-5555-5555-4444"});
  CHECK(Findings("amex 3782 822463 10005") == std::vector<std::string>{"CARD:3782 822463 10005"});
  CHECK(Findings("4012888888881881") == std::vector<std::string>{"CARD:4012888888881881"});
  CHECK(Findings("(2223003122003222)") == std::vector<std::string>{"CARD:2223003122003222"});
  CHECK(Findings("4111 1111 1111 1112").empty());                 // Luhn fails
  CHECK(Findings("ref 1234567812345670").empty());                // Luhn passes, no issuer starts with 1
  CHECK(Findings("4111-1111 1111-1111").empty());                 // mixed separators
  CHECK(Findings("ORD-4111111111111111").empty());                // part of an id
  CHECK(Findings("id 4111111111111111abc").empty());
}

TEST_CASE("IBANs are found compact or grouped and invalid ones are left alone", "[unit]") {
  CHECK(Findings("IBAN: DE89 3704 0044 0532 0130 00, thanks") ==
        std::vector<std::string>{"IBAN:DE89 3704 0044 0532 0130 00"});
  CHECK(Findings("to GB82WEST12345698765432.") == std::vector<std::string>{"IBAN:GB82WEST12345698765432"});
  CHECK(Findings("FR14 2004 1010 0505 0001 3M02 606 EUR") ==
        std::vector<std::string>{"IBAN:FR14 2004 1010 0505 0001 3M02 606"});
  CHECK(Findings("NO93 8601 1117 947") == std::vector<std::string>{"IBAN:NO93 8601 1117 947"});
  CHECK(Findings("DE89 3704 0044 0532 0130 01").empty());
  CHECK(Findings("XDE89370400440532013000").empty());
}

TEST_CASE("e-mail addresses are found and a trailing full stop is not part of them", "[unit]") {
  CHECK(Findings("write to Jane.Doe+bank@mail.example.co.uk.") ==
        std::vector<std::string>{"EMAIL:Jane.Doe+bank@mail.example.co.uk"});
  CHECK(Findings("john1985@example.com") == std::vector<std::string>{"EMAIL:john1985@example.com"});
  CHECK(Findings("user@localhost and @mention and a@b.c").empty());
}

TEST_CASE("phone numbers in international and national formats are found", "[unit]") {
  CHECK(Findings("call +49 30 1234 5678 now") == std::vector<std::string>{"PHONE:+49 30 1234 5678"});
  CHECK(Findings("+1 (555) 123-4567") == std::vector<std::string>{"PHONE:+1 (555) 123-4567"});
  CHECK(Findings("(555) 123-4567") == std::vector<std::string>{"PHONE:(555) 123-4567"});
  CHECK(Findings("555.123.4567") == std::vector<std::string>{"PHONE:555.123.4567"});
  CHECK(Findings("06 12 34 56 78") == std::vector<std::string>{"PHONE:06 12 34 56 78"});
  CHECK(Findings("Tel:0612345678") == std::vector<std::string>{"PHONE:0612345678"});
  CHECK(Findings("0044 20 7946 0958") == std::vector<std::string>{"PHONE:0044 20 7946 0958"});
  CHECK(Findings("+447946095800") == std::vector<std::string>{"PHONE:+447946095800"});
}

TEST_CASE("dates, amounts, order ids, versions and times are not phone numbers", "[unit]") {
  for (const char* text : {"on 2024-01-15 at 10:30", "15.01.2024", "01/15/2024", "12/31/2024 0800",
                           "EUR 1.234.567", "$ 1234567890", "total 1,234,567.89", "order #0612345678",
                           "ORD-0612345678", "v1.2.3.4", "unix 1700000000", "1700000000000",
                           "pages 123-456", "zip 10115 Berlin", "ISBN 978-3-16-148410-0",
                           "42", "€0612345678"}) {
    INFO(text);
    CHECK(Findings(text).empty());
  }
}

TEST_CASE("a run of numbers is split at spaces into a phone and a card", "[unit]") {
  CHECK(Findings("+33 6 12 34 56 78 4111 1111 1111 1111") ==
        std::vector<std::string>{"PHONE:+33 6 12 34 56 78", "CARD:4111 1111 1111 1111"});
}

TEST_CASE("detectors can be switched off and patterns and dictionaries added", "[unit]") {
  PiiOptions options;
  options.phone = false;
  options.patterns = {{"CUSTOMER_ID", "CU-[0-9]{6}"}};
  options.dictionary = {"Jane Smith", "Acme"};
  auto detector = Detector(options);
  CHECK(Findings("Jane SMITH of acme (CU-123456) +49 30 1234 5678; Acmeville", *detector) ==
        std::vector<std::string>{"TERM:Jane SMITH", "TERM:acme", "CUSTOMER_ID:CU-123456"});
}

TEST_CASE("bad patterns and labels are rejected naming the entry", "[unit]") {
  PiiOptions bad_regex;
  bad_regex.patterns = {{"OK", "x"}, {"ID", "([0-9]"}};
  auto a = PiiDetector::Create(bad_regex);
  REQUIRE_FALSE(a.ok());
  CHECK(a.status().message().find("patterns[1].regex: invalid regular expression") != std::string::npos);
  PiiOptions bad_label;
  bad_label.patterns = {{"lower", "x"}};
  auto b = PiiDetector::Create(bad_label);
  REQUIRE_FALSE(b.ok());
  CHECK(b.status().message().find("patterns[0].label 'lower'") != std::string::npos);
}

TEST_CASE("redaction uses stable placeholders and keeps the last four card digits", "[unit]") {
  auto detector = Detector();
  PiiVault vault;
  Redaction first = vault.Redact(*detector, "Card 4111 1111 1111 1111, mail a@example.com, again A@Example.com");
  CHECK(first.text == "Card [CARD_1 ****1111], mail [EMAIL_1], again [EMAIL_1]");
  CHECK(first.counts == std::map<std::string, int>{{"CARD", 1}, {"EMAIL", 2}});
  Redaction second = vault.Redact(*detector, "4111-1111-1111-1111 and b@example.com");
  CHECK(second.text == "[CARD_1 ****1111] and [EMAIL_2]");
  CHECK(vault.size() == 3);
  CHECK(vault.Redact(*detector, "nothing here").text == "nothing here");
}

TEST_CASE("restoration puts originals back, keeps chosen kinds masked and ignores unknown placeholders",
          "[unit]") {
  auto detector = Detector();
  PiiVault vault;
  vault.Redact(*detector, "Card 4111 1111 1111 1111 of a@example.com, IBAN DE89370400440532013000");
  const std::string answer = "Sent to [EMAIL_1] for [CARD_1 ****1111] ([CARD_1]); [IBAN_1]; [EMAIL_9]; [x]";
  CHECK(vault.Restore(answer) ==
        "Sent to a@example.com for 4111 1111 1111 1111 (4111 1111 1111 1111); DE89370400440532013000; "
        "[EMAIL_9]; [x]");
  CHECK(vault.Restore(answer, {"CARD"}) ==
        "Sent to a@example.com for [CARD_1 ****1111] ([CARD_1]); DE89370400440532013000; [EMAIL_9]; [x]");
}

}  // namespace
}  // namespace catena::guardrails
