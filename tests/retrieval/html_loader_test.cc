#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "retrieval/document_loader.h"

namespace catena::retrieval {
namespace {

// The text LoadDocument extracts from `html`, or "" when it yields no document.
std::string HtmlText(const std::string& html) {
  auto documents = LoadDocument("page.html", html, {});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() <= 1);
  return documents->empty() ? "" : (*documents)[0].text;
}

TEST_CASE("html text drops scripts styles comments and svg and keeps block structure", "[unit]") {
  const std::string html =
      "<!DOCTYPE html>\n<html><head><title>Caf&eacute;  &amp;\n Bar</title>\n"
      "<style>body { color: red; }</style>\n"
      "<script>var x = \"<p>not text</p>\"; if (a < b) {}</script>\n"
      "</head>\n<body>\n<!-- a comment <p>hidden</p> -->\n"
      "<h1>Menu   of\n the day</h1>\n"
      "<p>Coffee &mdash; &#8364;2 &lt;hot&gt; &#x1F600; &copy;2024&nbsp;us</p>\n"
      "<ul><li>Tea<li>Juice</ul>\n"
      "<div>Line one<br>Line two</div>\n"
      "<noscript>enable js</noscript><svg><text>svg text</text></svg>\n"
      "<p>Unclosed <b>bold\n";
  auto documents = LoadDocument("https://example.com/menu.html?x=1", html, {});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 1);
  const LoadedDocument& document = (*documents)[0];
  CHECK(document.text ==
        "Menu of the day\n\n"
        "Coffee \u2014 \u20AC2 <hot> \U0001F600 \u00A92024 us\n\n"
        "Tea\nJuice\n\n"
        "Line one\nLine two\n\n"
        "Unclosed bold");
  CHECK(document.metadata == nlohmann::json{{"title", "Caf\u00E9 & Bar"}});
  CHECK(document.source == "https://example.com/menu.html?x=1");
  CHECK(document.position.empty());
}

TEST_CASE("html character references decode once and unknown ones stay literal", "[unit]") {
  CHECK(HtmlText("<p>&amp;lt; &unknown; AT&T &amp &#0; &#150; &#x110000; &#65&#66; &# x</p>") ==
        "&lt; &unknown; AT&T & \uFFFD \u2013 \uFFFD AB &# x");
  CHECK(HtmlText("<p>&Eacute;t&eacute; &alpha;&beta; &hellip; &rsquo;</p>") ==
        "\u00C9t\u00E9 \u03B1\u03B2 \u2026 \u2019");
}

TEST_CASE("html tables preformatted text and upper-case tags keep their layout", "[unit]") {
  CHECK(HtmlText("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>") == "a b\nc d");
  CHECK(HtmlText("<pre>line 1\n  line 2</pre>after") == "line 1\nline 2\n\nafter");
  CHECK(HtmlText("<P>One</P><SCRIPT>x</SCRIPT ><p>Two") == "One\n\nTwo");
}

TEST_CASE("malformed html degrades to text instead of failing", "[unit]") {
  CHECK(HtmlText("<p>a < b and c > d</p>") == "a < b and c > d");
  CHECK(HtmlText("<div class=\"x>y\" data-a='1>2'>quoted</div>") == "quoted");
  CHECK(HtmlText("<p>text<!-- never closed <p>gone") == "text");
  CHECK(HtmlText("<p>kept</p><script>alert(1)") == "kept");
  CHECK(HtmlText("<p>cut <a href='x") == "cut");
  CHECK(HtmlText("</") == "</");
  CHECK(HtmlText("<html><body></body></html>").empty());
}

TEST_CASE("random markup soup never crashes and yields valid utf-8 text", "[unit]") {
  const std::vector<std::string> pieces = {"<",  ">",      "/",      "!",    "-",   "&",    "#",  ";",
                                           "x",  "1",      "a",      "p",    " ",   "\"",   "'",  "=",
                                           "\n", "\u00E9", "script", "<!--", "-->", "&amp", "&#x"};
  std::mt19937 random(42);
  for (int i = 0; i < 2000; ++i) {
    std::string html;
    const size_t count = random() % 60;
    for (size_t k = 0; k < count; ++k) html += pieces[random() % pieces.size()];
    auto documents = LoadDocument("soup.html", html, {});
    REQUIRE(documents.ok());
    for (const LoadedDocument& document : *documents) {
      INFO(html);
      CHECK(GuessMimeType("", document.text) == "text/plain");
    }
  }
}

TEST_CASE("html content is sniffed without an extension", "[unit]") {
  CHECK(GuessMimeType("download", "\xEF\xBB\xBF  <!DOCTYPE HTML><p>x") == "text/html");
  CHECK(GuessMimeType("download", "<html lang=en>") == "text/html");
  CHECK(GuessMimeType("page.HTM", "plain") == "text/html");
}

}  // namespace
}  // namespace catena::retrieval
