// Test helper that writes small valid PDFs (Helvetica text, one content stream per page, exact xref
// offsets), since no PDF tool is installed. Used by the PDF loader tests. Pure functions.
#pragma once

#include <string>
#include <vector>

namespace catena::retrieval::testing {

struct TestPdfOptions {
  // Document information Title; omitted when empty.
  std::string title;
  // Adds a Standard security handler whose password check fails for the empty password (a locked PDF).
  bool encrypted = false;
};

// A PDF with one page per entry of `pages`; each page shows its lines (split at '\n') top to bottom.
// An empty entry makes a page without text.
std::string MakeTestPdf(const std::vector<std::string>& pages, const TestPdfOptions& options = {});

}  // namespace catena::retrieval::testing
