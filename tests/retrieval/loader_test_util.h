// Shared by the loader tests: load content and REQUIRE success, showing the status when it fails.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "retrieval/document_loader.h"

namespace catena::retrieval {

inline std::vector<LoadedDocument> MustLoad(const std::string& source, const std::string& content,
                                            const LoaderOptions& options = {}) {
  auto documents = LoadDocument(source, content, options);
  INFO(documents.status().ToString());
  REQUIRE(documents.ok());
  return *std::move(documents);
}

}  // namespace catena::retrieval
