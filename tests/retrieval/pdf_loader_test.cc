#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "retrieval/document_loader.h"
#include "tests/retrieval/test_pdf.h"

namespace catena::retrieval {
namespace {

using testing::MakeTestPdf;

TEST_CASE("the test pdf helper writes xref offsets that point at each object", "[unit]") {
  const std::string pdf = MakeTestPdf({"one", "two"});
  const size_t xref = std::stoul(pdf.substr(pdf.rfind("startxref\n") + 10));
  REQUIRE(pdf.compare(xref, 5, "xref\n") == 0);
  // Subsection "0 8": the free entry, then objects 1..7, each entry exactly 20 bytes.
  const size_t entries = pdf.find('\n', xref + 5) + 1;
  for (int object = 1; object <= 7; ++object) {
    const size_t offset = std::stoul(pdf.substr(entries + 20 * object, 10));
    CHECK(pdf.compare(offset, std::to_string(object).size() + 6, std::to_string(object) + " 0 obj") == 0);
  }
}

TEST_CASE("pdf pages load as one document each with their page number", "[unit]") {
  const std::string pdf = MakeTestPdf({"Alpha page one\nsecond (line) here", "", "Gamma page three"});
  auto documents = LoadDocument("report.pdf", pdf, {});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 2);  // The empty second page is left out.
  CHECK((*documents)[0].text == "Alpha page one\nsecond (line) here");
  CHECK((*documents)[0].position == "page 1");
  CHECK((*documents)[0].source == "report.pdf");
  CHECK((*documents)[1].text == "Gamma page three");
  CHECK((*documents)[1].position == "page 3");
  CHECK((*documents)[1].metadata.empty());
}

TEST_CASE("pdf content is recognized without an extension and its title becomes metadata", "[unit]") {
  const std::string pdf = MakeTestPdf({"Body text"}, {.title = "Quarterly Report"});
  CHECK(GuessMimeType("blob", pdf) == "application/pdf");
  auto documents = LoadDocument("blob", pdf, {});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 1);
  CHECK((*documents)[0].metadata == nlohmann::json{{"title", "Quarterly Report"}});
}

TEST_CASE("corrupt and truncated pdfs are clear errors", "[unit]") {
  const std::string pdf = MakeTestPdf({"Some text"});
  for (const std::string& bad : {std::string("%PDF-1.4\nthis is not really a pdf\n"), pdf.substr(0, 40)}) {
    auto documents = LoadDocument("broken.pdf", bad, {});
    REQUIRE_FALSE(documents.ok());
    CHECK(documents.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(documents.status().message()), Catch::Contains("broken.pdf") && Catch::Contains("PDF"));
  }
}

TEST_CASE("an encrypted pdf that needs a password is an error", "[unit]") {
  auto documents = LoadDocument("secret.pdf", MakeTestPdf({"hidden"}, {.encrypted = true}), {});
  REQUIRE_FALSE(documents.ok());
  CHECK_THAT(std::string(documents.status().message()), Catch::Contains("secret.pdf: PDF is encrypted"));
}

}  // namespace
}  // namespace catena::retrieval
