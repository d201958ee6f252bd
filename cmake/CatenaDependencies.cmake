# Third-party packages, all from Debian 12 (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 QUIET)
find_package(Catch2 2 REQUIRED)
include(Catch)

find_program(CATENA_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
find_program(CATENA_PROTOC protoc REQUIRED)

# Storage, vector search and document loaders. FAISS's config needs OpenMP found first.
find_package(OpenMP REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(faiss CONFIG REQUIRED)
find_package(BLAS REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(POPPLER_CPP REQUIRED IMPORTED_TARGET poppler-cpp)
# SQL tools of agents (CMake's own FindSQLite3: target SQLite::SQLite3).
find_package(SQLite3 REQUIRED)
# hnswlib is header-only (Debian libhnswlib-dev installs /usr/include/hnswlib).
find_path(CATENA_HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
add_library(catena_hnswlib INTERFACE)
target_include_directories(catena_hnswlib SYSTEM INTERFACE ${CATENA_HNSWLIB_INCLUDE_DIR})
