#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "retrieval/document_loader.h"
#include "tests/retrieval/loader_test_util.h"
#include "tests/retrieval/test_pdf.h"
#include "tests/support/temp_dir.h"

namespace catena::retrieval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("mime types come from the extension, then from the content", "[unit]") {
  CHECK(GuessMimeType("notes.TXT", "") == "text/plain");
  CHECK(GuessMimeType("a/b/guide.markdown", "") == "text/markdown");
  CHECK(GuessMimeType("readme.md", "%PDF-1.4") == "text/markdown");
  CHECK(GuessMimeType("https://host/x.pdf#page=2", "") == "application/pdf");
  CHECK(GuessMimeType("https://host/data.csv?download=1", "") == "text/csv");
  CHECK(GuessMimeType("items.json", "") == "application/json");
  CHECK(GuessMimeType("log.ndjson", "") == "application/x-ndjson");
  CHECK(GuessMimeType("log.jsonl", "") == "application/x-ndjson");
  CHECK(GuessMimeType("dir.v2/README", "hello \xC3\xA9") == "text/plain");
  CHECK(GuessMimeType(".bashrc", "export A=1") == "text/plain");
  CHECK(GuessMimeType("logo.png", "\x89PNG\r\n\x1a\n") == "application/octet-stream");
  CHECK(GuessMimeType("blob", std::string("text\0with nul", 13)) == "application/octet-stream");
}

TEST_CASE("plain text drops the bom and normalizes line endings", "[unit]") {
  const std::vector<LoadedDocument> documents = MustLoad("n.txt", "\xEF\xBB\xBFOne\r\nTwo\rThree\n");
  REQUIRE(documents.size() == 1);
  CHECK(documents[0].text == "One\nTwo\nThree\n");
  CHECK(documents[0].source == "n.txt");
  CHECK(documents[0].position.empty());
  CHECK(documents[0].metadata == json::object());
  CHECK(MustLoad("blank.txt", " \n\t\n").empty());
}

TEST_CASE("invalid utf-8 text is an error naming the byte offset", "[unit]") {
  const std::vector<std::pair<std::string, size_t>> cases = {{"ok\xFF", 2},
                                                             {"\xEF\xBB\xBF"
                                                              "ab\xC3",
                                                              5},
                                                             {"\xC0\xAF", 0},
                                                             {"x\xED\xA0\x80", 1},
                                                             {"\xF4\x90\x80\x80", 0}};
  for (const auto& [content, offset] : cases) {
    auto documents = LoadDocument("bad.txt", content, {});
    REQUIRE_FALSE(documents.ok());
    CHECK(documents.status().message() == "bad.txt: invalid UTF-8 at byte offset " + std::to_string(offset));
  }
}

TEST_CASE("markdown front matter becomes metadata and leaves the text", "[unit]") {
  const std::vector<LoadedDocument> documents =
      MustLoad("post.md", "---\ntitle: Hello\nversion: \"2\"\ncount: 3\nnested: {a: [1, x]}\n---\n\n# Other\nBody\n");
  REQUIRE(documents.size() == 1);
  CHECK(documents[0].text == "# Other\nBody\n");
  CHECK(documents[0].metadata == json::parse(R"({"title": "Hello", "version": "2", "count": 3,
                                                 "nested": {"a": [1, "x"]}})"));
}

TEST_CASE("markdown title comes from the first level-1 heading outside code", "[unit]") {
  CHECK(MustLoad("a.md", "Intro\n\n```\n# fake\n```\n## Sub\n# Real Title #\n")[0].metadata ==
        json{{"title", "Real Title"}});
  CHECK(MustLoad("b.md", "My Doc\n======\n\ntext")[0].metadata == json{{"title", "My Doc"}});
  CHECK(MustLoad("c.md", "no heading\n#hashtag\n")[0].metadata == json::object());
  const std::vector<LoadedDocument> rule = MustLoad("d.md", "---\njust a rule\n---\nbody");
  CHECK(rule[0].text == "---\njust a rule\n---\nbody");
}

TEST_CASE("malformed markdown front matter names its line", "[unit]") {
  auto documents = LoadDocument("bad.md", "---\ntitle: ok\nlist: [unclosed\n---\nbody", {});
  REQUIRE_FALSE(documents.ok());
  CHECK_THAT(std::string(documents.status().message()), Catch::StartsWith("bad.md: front matter line"));
}

TEST_CASE("an explicit mime type overrides the guess", "[unit]") {
  LoaderOptions options;
  options.mime_type = "Text/HTML; charset=utf-8";
  CHECK(MustLoad("notes.txt", "<p>a &amp; b</p>", options)[0].text == "a & b");
  options.mime_type = "image/png";
  auto documents = LoadDocument("x", "data", options);
  REQUIRE_FALSE(documents.ok());
  CHECK(documents.status().message() == "x: unsupported mime type 'image/png'");
}

TEST_CASE("load file reports missing, directory and unreadable paths", "[unit]") {
  catena::testing::TempDir dir("loader-test");
  auto missing = LoadFile(dir.path() / "nope.txt", {});
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("nope.txt"));
  CHECK(LoadFile(dir.path(), {}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(LoadFile("/dev/null", {}).status().message() == "not a regular file: /dev/null");
  const fs::path secret = dir.Write("secret.txt", "hidden");
  fs::permissions(secret, fs::perms::none);
  if (geteuid() != 0) {  // root reads anything.
    auto denied = LoadFile(secret, {});
    CHECK(denied.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(denied.status().message()), Catch::Contains("secret.txt"));
  }
}

TEST_CASE("load paths loads good files and reports each bad one by name", "[unit]") {
  catena::testing::TempDir dir("loader-test");
  dir.Write("a_good.txt", "good text");
  dir.Write("b_doc.pdf", testing::MakeTestPdf({"pdf page text"}));
  dir.Write("c_image.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff", 17));
  dir.Write("d_broken.pdf", "%PDF-1.4\n1 0 obj garbage");
  dir.Write("e_bad.jsonl", "{\"text\": \"ok\"}\n{bad\n");
  dir.Write("sub/f_nested.md", "# Nested\n\nbody");
  dir.Write(".hidden.txt", "secret");
  dir.Write(".git/config.txt", "secret");
  const std::vector<fs::path> paths = {dir.path(), dir.path() / "missing.txt"};
  const DirectoryLoad load = LoadPaths(paths, {});
  std::vector<std::string> texts, sources, failed;
  for (const LoadedDocument& document : load.documents) {
    texts.push_back(document.text);
    sources.push_back(fs::path(document.source).lexically_relative(dir.path()).string());
  }
  for (const LoadFailure& failure : load.failures) {
    failed.push_back(fs::path(failure.path).filename().string());
    CHECK_THAT(std::string(failure.status.message()), Catch::Contains(failure.path));
  }
  CHECK(texts == std::vector<std::string>{"good text", "pdf page text", "# Nested\n\nbody"});
  CHECK(sources == std::vector<std::string>{"a_good.txt", "b_doc.pdf", "sub/f_nested.md"});
  REQUIRE(failed == std::vector<std::string>{"c_image.png", "d_broken.pdf", "e_bad.jsonl", "missing.txt"});
  CHECK_THAT(std::string(load.failures[0].status.message()), Catch::Contains("unsupported content"));
  CHECK_THAT(std::string(load.failures[2].status.message()), Catch::Contains("line 2"));
  CHECK(load.failures[3].status.code() == absl::StatusCode::kNotFound);
}

TEST_CASE("loaders give the same results when called from several threads at once", "[unit]") {
  const std::string pdf = testing::MakeTestPdf({"first page", "second page"});
  const std::string html = "<title>T</title><p>one</p><p>two &amp; three</p>";
  std::vector<std::thread> threads;
  std::atomic<int> mismatches = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto pages = LoadDocument("a.pdf", pdf, {});
        auto page = LoadDocument("b.html", html, {});
        if (!pages.ok() || pages->size() != 2 || (*pages)[1].text != "second page") ++mismatches;
        if (!page.ok() || page->size() != 1 || (*page)[0].text != "one\n\ntwo & three") ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == 0);
}

TEST_CASE("random and damaged input in every format gives documents or errors, never a crash", "[unit]") {
  const std::vector<std::string> pieces = {
      "\"",      ",",        "\n",    "\r\n",    "{",    "}",      "[",           "]",         ":",
      "text",    "\"text\"", "---\n", "# ",      "<p>",  "</p>",   "<script>",    "&amp;",     "&#",
      "```",     "a",        "1",     "2.5",     "true", "\u00E9", "\xFF",        " ",         "%PDF-1.4\n",
      "1 0 obj", "endobj",   "xref",  "trailer", "<<",   ">>",     "/Type /Page", "title: x\n"};
  const std::vector<std::string> mime_types = {"text/plain",       "text/markdown",        "text/html",      "text/csv",
                                               "application/json", "application/x-ndjson", "application/pdf"};
  const std::string pdf = testing::MakeTestPdf({"page one", "page two"});
  std::mt19937 random(7);
  for (int i = 0; i < 2100; ++i) {
    LoaderOptions options;
    options.mime_type = mime_types[i % mime_types.size()];
    std::string content;
    if (i % 3 == 0 && options.mime_type == "application/pdf") {
      content = pdf.substr(0, random() % pdf.size());  // Truncated, with a byte flipped.
      if (!content.empty()) content[random() % content.size()] ^= static_cast<char>(1 + random() % 255);
    } else {
      for (size_t k = random() % 40; k > 0; --k) content += pieces[random() % pieces.size()];
    }
    auto documents = LoadDocument("fuzz", content, options);
    INFO(options.mime_type << ": " << content);
    if (!documents.ok()) {
      CHECK_THAT(std::string(documents.status().message()), Catch::StartsWith("fuzz: "));
      continue;
    }
    for (const LoadedDocument& document : *documents) {
      CHECK(LoadDocument("utf8 check", document.text, {.mime_type = "text/plain"}).ok());
      CHECK(document.text.find_first_not_of(" \t\r\n") != std::string::npos);
    }
  }
}

TEST_CASE("the fixture directory loads every text format", "[unit]") {
  const std::vector<fs::path> paths = {fs::path(CATENA_SOURCE_DIR) / "tests/retrieval/data/loaders"};
  const DirectoryLoad load = LoadPaths(paths, {});
  CHECK(load.failures.empty());
  std::vector<std::string> texts;
  for (const LoadedDocument& document : load.documents) texts.push_back(document.text);
  REQUIRE(load.documents.size() == 9);
  CHECK(texts[0] == "Event A");
  CHECK(load.documents[2].metadata == json::parse(R"({"title": "Installation Guide", "tags": ["setup", "linux"],
                                                       "version": 2, "draft": false})"));
  CHECK(texts[2] == "# Installing Catena\n\nRun the installer.\n\n```sh\n# not a title\n./install.sh\n```\n");
  CHECK(load.documents[4].metadata == json{{"rank", 2}});
  CHECK(texts[5] == "Plain notes.\nSecond line.\n");
  CHECK(texts[6] == "Version 1.2\n\nFaster & smaller.");
  CHECK(load.documents[6].metadata == json{{"title", "Release Notes"}});
  CHECK(texts[7] == "Bonjour le monde");
  CHECK(load.documents[8].metadata == json{{"id", 2}, {"lang", "en"}});
  CHECK(load.documents[8].position == "row 2");
}

}  // namespace
}  // namespace catena::retrieval
