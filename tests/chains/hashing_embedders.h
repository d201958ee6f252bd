// An EmbedderRegistry holding only the built-in hashing embedder (its default dimension), for node tests that
// need real embeddings without a model or an asset download.
#pragma once

#include <catch2/catch.hpp>

#include <memory>

#include "inference/embedder_registry.h"
#include "inference/hashing_embedder.h"

namespace catena::chains::testing {

inline std::shared_ptr<inference::EmbedderRegistry> HashingEmbedders() {
  auto registry = std::make_shared<inference::EmbedderRegistry>();
  auto hashing = inference::HashingEmbedder::Create();
  REQUIRE(hashing.ok());
  REQUIRE(registry->Register(std::shared_ptr<const inference::Embedder>(std::move(*hashing))).ok());
  return registry;
}

}  // namespace catena::chains::testing
