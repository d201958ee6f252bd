#include "tests/retrieval/test_pdf.h"

#include <cstdio>

namespace catena::retrieval::testing {
namespace {

// A PDF literal string: backslash, parentheses escaped.
std::string PdfString(const std::string& text) {
  std::string out = "(";
  for (char c : text) {
    if (c == '\\' || c == '(' || c == ')') out += '\\';
    out += c;
  }
  return out + ")";
}

std::string ContentStream(const std::string& page) {
  if (page.empty()) return "";
  std::string stream = "BT\n/F1 12 Tf\n14 TL\n72 720 Td\n";
  size_t start = 0;
  bool first = true;
  while (start <= page.size()) {
    size_t end = page.find('\n', start);
    if (end == std::string::npos) end = page.size();
    stream += (first ? "" : "T* ") + PdfString(page.substr(start, end - start)) + " Tj\n";
    first = false;
    start = end + 1;
  }
  return stream + "ET\n";
}

std::string Pad10(size_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%010zu", value);
  return buffer;
}

}  // namespace

std::string MakeTestPdf(const std::vector<std::string>& pages, const TestPdfOptions& options) {
  // Objects: 1 catalog, 2 page tree, 3 font, then (page, contents) pairs, then info and encryption.
  std::vector<std::string> objects;
  std::string kids;
  for (size_t i = 0; i < pages.size(); ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  for (size_t i = 0; i < pages.size(); ++i) {
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        "/Contents " +
        std::to_string(5 + 2 * i) + " 0 R >>");
    const std::string stream = ContentStream(pages[i]);
    objects.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "endstream");
  }
  std::string trailer_extra;
  if (!options.title.empty()) {
    objects.push_back("<< /Title " + PdfString(options.title) + " >>");
    trailer_extra += " /Info " + std::to_string(objects.size()) + " 0 R";
  }
  if (options.encrypted) {
    const std::string junk(64, 'A');
    objects.push_back("<< /Filter /Standard /V 1 /R 2 /O <" + junk + "> /U <" + junk + "> /P -44 >>");
    trailer_extra += " /Encrypt " + std::to_string(objects.size()) + " 0 R /ID [<" + std::string(32, 'B') + "> <" +
                     std::string(32, 'B') + ">]";
  }
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t offset : offsets) pdf += Pad10(offset) + " 00000 n \n";
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R" + trailer_extra + " >>\n";
  pdf += "startxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace catena::retrieval::testing
