// PDF loading through poppler-cpp: one document per page with text, position "page N" (1-based), and the
// document's Title as "title" metadata when it has one. poppler's diagnostics are silenced once per process.
#include <climits>
#include <exception>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "poppler/cpp/poppler-document.h"
#include "poppler/cpp/poppler-global.h"
#include "poppler/cpp/poppler-page.h"
#include "retrieval/loaders/loaders.h"

namespace catena::retrieval::loaders {
namespace {

void SilencePoppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string ToUtf8(const poppler::ustring& text) {
  const poppler::byte_array bytes = text.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// Page text with newlines normalized, form feeds dropped, trailing spaces and blank edges removed.
std::string CleanPageText(std::string_view raw) {
  std::string out;
  const std::string normalized = NormalizeNewlines(raw);
  for (std::string_view line : SplitLines(normalized)) {
    std::string kept;
    for (char c : TrimRight(line)) {
      if (c != '\f') kept += c;
    }
    if (!out.empty() || !IsBlank(kept)) out += std::string(TrimRight(kept)) + '\n';
  }
  return std::string(TrimRight(out));
}

absl::StatusOr<std::vector<LoadedDocument>> ExtractPages(const poppler::document& pdf) {
  std::vector<LoadedDocument> documents;
  const std::string title(Trim(ToUtf8(pdf.get_title())));
  const int pages = pdf.pages();
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(pdf.create_page(i));
    if (page == nullptr) return absl::InvalidArgumentError(absl::StrCat("PDF page ", i + 1, " is unreadable"));
    std::string text = CleanPageText(ToUtf8(page->text(poppler::rectf(), poppler::page::raw_order_layout)));
    if (text.empty()) continue;
    LoadedDocument document;
    document.text = std::move(text);
    document.position = absl::StrCat("page ", i + 1);
    if (!title.empty()) document.metadata["title"] = title;
    documents.push_back(std::move(document));
  }
  return documents;
}

}  // namespace

absl::StatusOr<std::vector<LoadedDocument>> LoadPdf(std::string_view content) {
  if (content.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat("PDF of ", content.size(), " bytes is too large"));
  }
  SilencePoppler();
  try {
    // poppler reads `content` in place; it outlives `pdf`.
    std::unique_ptr<poppler::document> pdf(
        poppler::document::load_from_raw_data(content.data(), static_cast<int>(content.size())));
    if (pdf == nullptr) return absl::InvalidArgumentError("not a readable PDF (corrupt or truncated)");
    if (pdf->is_locked()) return absl::InvalidArgumentError("PDF is encrypted and needs a password");
    return ExtractPages(*pdf);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("PDF could not be read: ", e.what()));
  }
}

}  // namespace catena::retrieval::loaders
