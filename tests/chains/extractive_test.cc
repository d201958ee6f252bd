// The extractive answer model: text analysis (folding, stemming, stop words, sentences, language), passage
// parsing, answer composition on crafted prompts, and the ChatModel contract (streaming, limits, errors).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chains/extractive_chat_model.h"
#include "chains/extractive_text.h"

namespace catena::chains {
namespace {

using Strings = std::vector<std::string>;

TEST_CASE("folding lowercases and removes French accents", "[unit]") {
  CHECK(FoldText("Carte BLOQUÉE à l'étranger, cœur ça") == "carte bloquee a l'etranger, coeur ca");
  CHECK(Words("L'opposition: 24h/24, 7j/7!") == Strings{"l", "opposition", "24h", "24", "7j", "7"});
}

TEST_CASE("stemming maps inflections of a word to one stem", "[unit]") {
  CHECK(Stem("blocking") == Stem("block"));
  CHECK(Stem("blocked") == Stem("block"));
  CHECK(Stem("limits") == Stem("limited"));
  CHECK(Stem("cartes") == Stem("carte"));
  CHECK(Stem("payments") == Stem("payment"));
  CHECK(Stem("virements") == Stem("virement"));
  CHECK(Stem("fee") == "fee");  // stems keep at least 3 characters
}

TEST_CASE("content terms drop English and French stop words", "[unit]") {
  CHECK(ContentTerms("How do I block my card?") == Strings{"block", "card"});
  CHECK(ContentTerms("Comment faire opposition sur ma carte ?") == Strings{"opposition", "cart"});
  CHECK(ContentTerms("what is the").empty());
}

TEST_CASE("language detection counts stop words", "[unit]") {
  CHECK(DetectLanguage("How do I block my card?") == TextLanguage::kEnglish);
  CHECK(DetectLanguage("Comment faire opposition sur ma carte ?") == TextLanguage::kFrench);
  CHECK(DetectLanguage("Quel est le plafond ?") == TextLanguage::kFrench);
  CHECK(DetectLanguage("Carte bloquée") == TextLanguage::kFrench);  // no stop words: accents decide
  CHECK(DetectLanguage("Card blocked") == TextLanguage::kEnglish);
}

TEST_CASE("sentences split at final punctuation but not inside numbers or abbreviations", "[unit]") {
  const Strings sentences = SplitSentences(
      "# Fees\n\nA transfer costs 0.1% of the amount. Cards are free! Is it open? Yes, e.g. on Monday.\n"
      "- Listed item without a full stop\n2. Numbered item.\n");
  CHECK(sentences == Strings{"A transfer costs 0.1% of the amount.", "Cards are free!", "Is it open?",
                             "Yes, e.g. on Monday.", "Listed item without a full stop", "Numbered item."});
}

TEST_CASE("passages are the numbered lines and what follows them", "[unit]") {
  const std::string prompt = "Answer from the passages.\n[1] First passage.\nIts second line.\n[2] Second.\n";
  const std::vector<ExtractivePassage> passages = ParsePassages(prompt);
  REQUIRE(passages.size() == 2);
  CHECK(passages[0].number == 1);
  CHECK(passages[0].text == "First passage.\nIts second line.");
  CHECK(passages[1].number == 2);
  CHECK(passages[1].text == "Second.");
  CHECK(TextBeforePassages(prompt) == "Answer from the passages.");
  CHECK(ParsePassages("[x] not a passage\n[0] nor this\n[] nor this").empty());
}

const std::vector<ExtractivePassage>& BankPassages() {
  static const auto* passages = new std::vector<ExtractivePassage>{
      {1, "Branches are open Monday to Friday from 9:30am to 5:30pm. All branches are closed on Sundays."},
      {2, "If your card is lost or stolen, block it at once in the app under Cards, then Block card. "
          "A replacement card arrives within 5 business days; it costs 10 EUR."},
      {3, "SEPA transfers are free. The standard limit for transfers in the app is 5,000 EUR per day."},
      {4, "Si votre carte est perdue ou volée, faites opposition dans l'application, dans Cartes, puis Faire "
          "opposition. L'opposition est immédiate et définitive."}};
  return *passages;
}

TEST_CASE("the answer cites the passage that holds the best sentence", "[unit]") {
  const ExtractiveAnswer answer = ComposeExtractiveAnswer("How do I block my lost card?", BankPassages());
  REQUIRE(answer.supported);
  REQUIRE(answer.citations == std::vector<int>{2});
  CHECK(answer.text == "If your card is lost or stolen, block it at once in the app under Cards, then Block card [2].");
}

TEST_CASE("sentences from several passages keep passage order, each with its own citation", "[unit]") {
  const ExtractiveAnswer answer =
      ComposeExtractiveAnswer("What is the daily transfer limit, and when are branches open?", BankPassages());
  REQUIRE(answer.citations == std::vector<int>{1, 3});
  CHECK(answer.text ==
        "Branches are open Monday to Friday from 9:30am to 5:30pm [1]. "
        "The standard limit for transfers in the app is 5,000 EUR per day [3].");
}

TEST_CASE("a French question is answered from the French passage", "[unit]") {
  const ExtractiveAnswer answer = ComposeExtractiveAnswer("Comment faire opposition sur ma carte perdue ?", BankPassages());
  REQUIRE(answer.supported);
  REQUIRE(!answer.citations.empty());
  for (int citation : answer.citations) CHECK(citation == 4);
  CHECK(answer.text.find("faites opposition dans l'application") != std::string::npos);
}

TEST_CASE("an unsupported question gets a plain no-answer in its language", "[unit]") {
  const ExtractiveAnswer english = ComposeExtractiveAnswer("Do you offer cryptocurrency trading?", BankPassages());
  CHECK_FALSE(english.supported);
  CHECK(english.citations.empty());
  CHECK(english.text == "I could not find an answer to this question in the documents provided.");
  const ExtractiveAnswer french = ComposeExtractiveAnswer("Proposez-vous des assurances pour animaux ?", BankPassages());
  CHECK_FALSE(french.supported);
  CHECK(french.text == "Je n'ai trouvé aucune réponse à cette question dans les documents fournis.");
  CHECK_FALSE(ComposeExtractiveAnswer("How do I block my card?", {}).supported);
  CHECK_FALSE(ComposeExtractiveAnswer("what is it?", BankPassages()).supported);
}

TEST_CASE("PII placeholders are not question terms", "[unit]") {
  CHECK(RemovePlaceholders("mail [EMAIL_1], card [CARD_2 ****1111] or [IBAN_10]!") == "mail  , card   or  !");
  // Not placeholders: citations, lowercase labels, a label without a number, an unclosed bracket.
  for (const char* kept : {"see [1]", "[email_1]", "[EMAIL]", "[EMAIL_1", "[CARD_1 ****]", "[_1]"}) {
    CHECK(RemovePlaceholders(kept) == kept);
  }
  const ExtractiveAnswer answer =
      ComposeExtractiveAnswer("I lost my card [CARD_1 ****1111], reach me at [EMAIL_1] or [PHONE_1]", BankPassages());
  REQUIRE(answer.supported);
  CHECK(answer.citations == std::vector<int>{2});
}

TEST_CASE("answers are deterministic", "[unit]") {
  const std::string first = ComposeExtractiveAnswer("When are branches open?", BankPassages()).text;
  for (int i = 0; i < 5; ++i) CHECK(ComposeExtractiveAnswer("When are branches open?", BankPassages()).text == first);
  CHECK(first.find("[1]") != std::string::npos);
}

ChatRequest BankRequest(std::string question) {
  std::string system = "Answer only from the passages below and cite them as [n].\n";
  for (const ExtractivePassage& p : BankPassages()) system += "[" + std::to_string(p.number) + "] " + p.text + "\n";
  return ChatRequest{.model = "extractive",
                     .messages = {{.role = "system", .content = system},
                                  {.role = "user", .content = "Hello"},
                                  {.role = "assistant", .content = "Hi, how can I help?"},
                                  {.role = "user", .content = std::move(question)}}};
}

struct Streamed {
  std::string deltas;
  absl::StatusOr<ChatResult> result = absl::UnknownError("not done");
};

Streamed Run(ExtractiveChatModel& model, ChatRequest request) {
  Streamed out;
  model.Chat(
      std::move(request), [&](std::string_view delta) { out.deltas += delta; },
      [&](absl::StatusOr<ChatResult> result) { out.result = std::move(result); });
  return out;
}

TEST_CASE("the model answers the last user message from the system message's passages", "[unit]") {
  ExtractiveChatModel model;
  CHECK(model.HasModel("extractive"));
  CHECK_FALSE(model.HasModel("test"));
  const Streamed out = Run(model, BankRequest("How much does a replacement card cost?"));
  REQUIRE(out.result.ok());
  CHECK(out.result->text == "A replacement card arrives within 5 business days; it costs 10 EUR [2].");
  CHECK(out.deltas == out.result->text);
  CHECK(out.result->finish_reason == "stop");
  CHECK(out.result->usage.completion_tokens == 13);
}

TEST_CASE("the model honours max_tokens and stop strings", "[unit]") {
  ExtractiveChatModel model;
  ChatRequest request = BankRequest("How much does a replacement card cost?");
  request.max_tokens = 3;
  Streamed out = Run(model, request);
  REQUIRE(out.result.ok());
  CHECK(out.result->text == "A replacement card");
  CHECK(out.result->finish_reason == "length");
  request.max_tokens = 256;
  request.stop = {";"};
  out = Run(model, request);
  REQUIRE(out.result.ok());
  CHECK(out.result->text == "A replacement card arrives within 5 business days");
}

TEST_CASE("the model refuses JSON schemas and other model names", "[unit]") {
  ExtractiveChatModel model;
  ChatRequest request = BankRequest("How do I block my card?");
  request.json_schema = R"({"type": "object"})";
  Streamed out = Run(model, request);
  CHECK(out.result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.deltas.empty());
  request = BankRequest("How do I block my card?");
  request.model = "other";
  out = Run(model, request);
  CHECK(out.result.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("passages in the user message work for single-message prompts", "[unit]") {
  ExtractiveChatModel model;
  ChatRequest request{.model = "extractive",
                      .messages = {{.role = "user",
                                    .content = "What is the daily transfer limit?\n[1] Branches open at 9am.\n"
                                               "[2] The standard limit for transfers in the app is 5,000 EUR "
                                               "per day."}}};
  auto answer = model.AnswerFor(request);
  REQUIRE(answer.ok());
  CHECK(answer->citations == std::vector<int>{2});
}

}  // namespace
}  // namespace catena::chains
