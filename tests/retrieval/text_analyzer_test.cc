#include "retrieval/text_analyzer.h"

#include <catch2/catch.hpp>

namespace catena::retrieval {
namespace {

using Terms = std::vector<std::string>;

TEST_CASE("the analyzer lowercases, splits on punctuation and drops english stop words", "[unit]") {
  const TextAnalyzer analyzer;
  CHECK(analyzer.Analyze("The Quick, brown FOX's café — ÉCOLE naïve!") ==
        Terms{"quick", "brown", "fox", "café", "école", "naïve"});
  CHECK(analyzer.Analyze("covid19 costs 3.14") == Terms{"covid19", "costs", "3", "14"});
  CHECK(analyzer.Analyze("").empty());
  CHECK(analyzer.Analyze("the and of").empty());
  CHECK(TextAnalyzer({"en", false}).Analyze("The end") == Terms{"the", "end"});
}

TEST_CASE("the analyzer folds case in latin extended, greek and cyrillic", "[unit]") {
  const TextAnalyzer analyzer({"xx", true});
  CHECK(analyzer.Analyze("ŁÓDŹ Ćwierć İstanbul") == Terms{"łódź", "ćwierć", "istanbul"});
  CHECK(analyzer.Analyze("ΟΔΟΣ Αθήνα οδός") == Terms{"οδοσ", "αθήνα", "οδόσ"});
  CHECK(analyzer.Analyze("Привет, МИР! Ёлка") == Terms{"привет", "мир", "ёлка"});
}

TEST_CASE("the analyzer splits cjk into single characters and keeps other scripts as words", "[unit]") {
  const TextAnalyzer analyzer;
  CHECK(analyzer.Analyze("東京タワーへ") == Terms{"東", "京", "タ", "ワ", "ー", "へ"});
  CHECK(analyzer.Analyze("한국어 abc") == Terms{"한", "국", "어", "abc"});
  CHECK(analyzer.Analyze("مرحبا بالعالم") == Terms{"مرحبا", "بالعالم"});
  CHECK(analyzer.Analyze("שלום עולם") == Terms{"שלום", "עולם"});
  CHECK(analyzer.Analyze("नमस्ते दुनिया") == Terms{"नमस्ते", "दुनिया"});
}

TEST_CASE("the analyzer skips invalid utf-8 and overlong terms", "[unit]") {
  const TextAnalyzer analyzer;
  CHECK(analyzer.Analyze("ab\xff"
                         "cd \xc0\xaf x\xe2\x82") == Terms{"ab", "cd", "x"});
  CHECK(analyzer.Analyze("\xed\xa0\x80zz") == Terms{"zz"});  // Encoded surrogate.
  CHECK(analyzer.Analyze(std::string(65, 'a') + " ok") == Terms{"ok"});
  CHECK(analyzer.Analyze(std::string(64, 'a')) == Terms{std::string(64, 'a')});
}

TEST_CASE("stop word lists exist for the documented languages only", "[unit]") {
  for (const char* language : {"en", "de", "fr", "es", "it", "pt", "nl"}) CHECK(HasStopWordList(language));
  CHECK_FALSE(HasStopWordList("xx"));
  CHECK(TextAnalyzer({"de", true}).Analyze("Der Hund und die Katze") == Terms{"hund", "katze"});
  CHECK(TextAnalyzer({"fr", true}).Analyze("Le chat et la souris") == Terms{"chat", "souris"});
  CHECK(TextAnalyzer({"xx", true}).Analyze("the cat") == Terms{"the", "cat"});
}

}  // namespace
}  // namespace catena::retrieval
