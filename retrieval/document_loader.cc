// LoadDocument's dispatch by mime type, file reading and directory walking; the per-format parsers live in
// retrieval/loaders/.
#include "retrieval/document_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "retrieval/loaders/loaders.h"

namespace catena::retrieval {
namespace {

namespace fs = std::filesystem;

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The lower-cased extension of a path or URL ("" when none); a URL's query and fragment are ignored.
std::string Extension(std::string_view source) {
  if (source.find("://") != std::string_view::npos) source = source.substr(0, source.find_first_of("?#"));
  const size_t slash = source.find_last_of("/\\");
  const std::string_view name = slash == std::string_view::npos ? source : source.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return ToLower(name.substr(dot));
}

std::string_view MimeForExtension(const std::string& extension) {
  if (extension == ".txt" || extension == ".text") return kMimeText;
  if (extension == ".md" || extension == ".markdown") return kMimeMarkdown;
  if (extension == ".html" || extension == ".htm" || extension == ".xhtml") return kMimeHtml;
  if (extension == ".pdf") return kMimePdf;
  if (extension == ".csv") return kMimeCsv;
  if (extension == ".json") return kMimeJson;
  if (extension == ".jsonl" || extension == ".ndjson") return kMimeJsonl;
  return {};
}

std::string_view SniffMime(std::string_view content) {
  if (content.starts_with("%PDF-")) return kMimePdf;
  std::string_view head = loaders::StripBom(content.substr(0, 1024));
  head.remove_prefix(std::min(head.find_first_not_of(" \t\r\n\f"), head.size()));
  const std::string lower = ToLower(head.substr(0, 14));
  if (lower.starts_with("<!doctype html") || lower.starts_with("<html")) return kMimeHtml;
  if (content.find('\0') == std::string_view::npos && !loaders::FindInvalidUtf8(content)) return kMimeText;
  return kMimeUnknown;
}

// The canonical mime type for a caller-supplied one: lower-cased, parameters dropped, aliases resolved.
std::string CanonicalMime(std::string_view mime_type) {
  std::string mime = ToLower(loaders::Trim(mime_type.substr(0, mime_type.find(';'))));
  if (mime == "text/x-markdown") return std::string(kMimeMarkdown);
  if (mime == "application/xhtml+xml") return std::string(kMimeHtml);
  if (mime == "application/x-pdf") return std::string(kMimePdf);
  if (mime == "application/csv") return std::string(kMimeCsv);
  if (mime == "application/jsonl" || mime == "application/x-jsonlines" || mime == "application/ndjson") {
    return std::string(kMimeJsonl);
  }
  return mime;
}

absl::StatusOr<std::vector<LoadedDocument>> Dispatch(const std::string& mime, std::string_view content,
                                                     const LoaderOptions& options) {
  if (mime == kMimeText) return loaders::LoadText(content);
  if (mime == kMimeMarkdown) return loaders::LoadMarkdown(content);
  if (mime == kMimeHtml) return loaders::LoadHtml(content);
  if (mime == kMimePdf) return loaders::LoadPdf(content);
  if (mime == kMimeCsv) return loaders::LoadCsv(content, options);
  if (mime == kMimeJson) return loaders::LoadJson(content, options);
  if (mime == kMimeJsonl) return loaders::LoadJsonl(content, options);
  if (mime == kMimeUnknown) {
    return absl::InvalidArgumentError("unsupported content: not PDF, HTML or UTF-8 text (binary data?)");
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported mime type '", mime, "'"));
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found)
    return absl::NotFoundError(absl::StrCat("no such file: ", path.string()));
  if (status.type() == fs::file_type::directory) {
    return absl::InvalidArgumentError(absl::StrCat("is a directory, not a file: ", path.string()));
  }
  if (!error && status.type() != fs::file_type::regular) {
    return absl::InvalidArgumentError(absl::StrCat("not a regular file: ", path.string()));
  }
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int code = errno;
    const std::string message = absl::StrCat("cannot open ", path.string(), ": ", std::strerror(code));
    if (code == EACCES || code == EPERM) return absl::PermissionDeniedError(message);
    if (code == ENOENT) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  std::string content;
  char buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) content.append(buffer, n);
  if (std::ferror(file.get())) {
    return absl::UnavailableError(absl::StrCat("cannot read ", path.string(), ": ", std::strerror(errno)));
  }
  return content;
}

bool IsHidden(const fs::path& path) { return path.filename().string().starts_with("."); }

// The regular files under `root`, sorted, hidden entries skipped; walk errors become failures.
std::vector<fs::path> ListFiles(const fs::path& root, std::vector<LoadFailure>& failures) {
  std::vector<fs::path> files;
  std::error_code error;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (IsHidden(it->path())) {
      if (it->is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(error)) files.push_back(it->path());
  }
  if (error) {
    failures.push_back({root.string(), absl::UnavailableError(absl::StrCat("cannot list directory ", root.string(),
                                                                           ": ", error.message()))});
  }
  std::sort(files.begin(), files.end());
  return files;
}

void LoadInto(const fs::path& file, const LoaderOptions& options, DirectoryLoad& result) {
  absl::StatusOr<std::vector<LoadedDocument>> documents = LoadFile(file, options);
  if (!documents.ok()) {
    result.failures.push_back({file.string(), documents.status()});
    return;
  }
  for (LoadedDocument& document : *documents) result.documents.push_back(std::move(document));
}

}  // namespace

std::string GuessMimeType(std::string_view source, std::string_view content) {
  const std::string_view by_extension = MimeForExtension(Extension(source));
  return std::string(by_extension.empty() ? SniffMime(content) : by_extension);
}

absl::StatusOr<std::vector<LoadedDocument>> LoadDocument(std::string_view source, std::string_view content,
                                                         const LoaderOptions& options) {
  const std::string mime =
      options.mime_type.empty() ? GuessMimeType(source, content) : CanonicalMime(options.mime_type);
  absl::StatusOr<std::vector<LoadedDocument>> documents = Dispatch(mime, content, options);
  if (!documents.ok()) {
    return source.empty() ? documents.status() : Annotate(documents.status(), std::string(source));
  }
  for (LoadedDocument& document : *documents) document.source = std::string(source);
  return documents;
}

absl::StatusOr<std::vector<LoadedDocument>> LoadFile(const fs::path& path, const LoaderOptions& options) {
  CATENA_ASSIGN_OR_RETURN(const std::string content, ReadFile(path));
  return LoadDocument(path.string(), content, options);
}

DirectoryLoad LoadPaths(std::span<const fs::path> paths, const LoaderOptions& options) {
  DirectoryLoad result;
  for (const fs::path& path : paths) {
    std::error_code error;
    if (!fs::is_directory(path, error)) {
      LoadInto(path, options, result);
      continue;
    }
    for (const fs::path& file : ListFiles(path, result.failures)) LoadInto(file, options, result);
  }
  return result;
}

}  // namespace catena::retrieval
