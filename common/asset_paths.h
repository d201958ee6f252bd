// Where Catena finds npm assets (tokenizer files, chat templates, word vectors) and keeps derived caches,
// outside the repository. Used by catenad (embedders) and by tests. Reads the environment; thread-safe.
#pragma once

#include <filesystem>

namespace catena {

// $CATENA_ASSET_DIR when set and non-empty, else $HOME/.cache/catena/assets (scripts/fetch-assets.sh fills it).
std::filesystem::path DefaultAssetDir();

// $CATENA_CACHE_DIR when set and non-empty, else $HOME/.cache/catena (e.g. converted word-vector tables).
std::filesystem::path DefaultCacheDir();

}  // namespace catena
