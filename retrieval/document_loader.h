// Document loaders: turn files and in-memory content (text, Markdown, HTML, PDF, CSV, JSON, JSONL) into
// LoadedDocument records ready for splitting and indexing. Used by ingestion (CLI, RetrievalService).
// All functions are stateless and may be called from several threads at once (PDF parsing relies on
// poppler's own locking); bad input never throws or crashes, it becomes an absl::Status naming the source
// and the position (row, line, item, byte offset).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace catena::retrieval {

// One unit of loaded text with where it came from.
struct LoadedDocument {
  std::string text;
  // The path or URL it was loaded from.
  std::string source;
  // Where in the source: "page 3" (PDF), "row 12" (CSV, 1-based data row), "line 7" (JSONL),
  // "item 4" (JSON array), "" for whole files.
  std::string position;
  // Typed fields: CSV/JSON fields other than the text; "title" for HTML, Markdown and PDF when found.
  nlohmann::json metadata = nlohmann::json::object();
};

struct LoaderOptions {
  // Empty: guess from the source's extension, then sniff the content (see GuessMimeType).
  std::string mime_type;
  // The CSV column or JSON field holding the text; JSON accepts a dotted path such as "body.text".
  std::string text_field = "text";
  // CSV columns / JSON fields (dotted paths allowed) copied into metadata; empty means all other fields.
  std::vector<std::string> metadata_fields;
};

// Mime types GuessMimeType returns and LoadDocument accepts (aliases such as "text/x-markdown" and
// parameters such as "; charset=utf-8" are accepted too).
inline constexpr std::string_view kMimeText = "text/plain";
inline constexpr std::string_view kMimeMarkdown = "text/markdown";
inline constexpr std::string_view kMimeHtml = "text/html";
inline constexpr std::string_view kMimePdf = "application/pdf";
inline constexpr std::string_view kMimeCsv = "text/csv";
inline constexpr std::string_view kMimeJson = "application/json";
inline constexpr std::string_view kMimeJsonl = "application/x-ndjson";
inline constexpr std::string_view kMimeUnknown = "application/octet-stream";

// The mime type for `source` (path or URL; its extension decides) or, for an unknown extension, for
// `content` ("%PDF-" -> PDF, "<!doctype html"/"<html" -> HTML, valid UTF-8 without NUL bytes -> text);
// kMimeUnknown when nothing fits.
std::string GuessMimeType(std::string_view source, std::string_view content);

// Parses `content` loaded from `source` into documents (options.mime_type, or the guessed type).
// Documents whose text is empty or only whitespace are left out. INVALID_ARGUMENT for unsupported types
// and malformed content; the message starts with `source` and names the position.
absl::StatusOr<std::vector<LoadedDocument>> LoadDocument(std::string_view source, std::string_view content,
                                                         const LoaderOptions& options);

// Reads `path` and loads it like LoadDocument; NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT (a
// directory or other non-regular file) name the path.
absl::StatusOr<std::vector<LoadedDocument>> LoadFile(const std::filesystem::path& path, const LoaderOptions& options);

// A file LoadPaths could not load and why.
struct LoadFailure {
  std::string path;
  absl::Status status;
};

struct DirectoryLoad {
  std::vector<LoadedDocument> documents;
  std::vector<LoadFailure> failures;
};

// Loads every path in order: a file directly (even a hidden one), a directory recursively with its files
// sorted by path and hidden files and directories (name starting with '.') skipped. A file that fails
// (missing, unreadable, unsupported, corrupt) becomes a failure; the others still load.
DirectoryLoad LoadPaths(std::span<const std::filesystem::path> paths, const LoaderOptions& options);

}  // namespace catena::retrieval
