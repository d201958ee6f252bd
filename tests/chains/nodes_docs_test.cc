// docs/pipeline-nodes.md against the registry: every built-in type has a section listing each parameter and
// output. `chains_test "[.docs]"` prints the reference tables generated from NodeTypeInfo.
#include <catch2/catch.hpp>

#include <iostream>

#include "chains/node_type.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

std::string TypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kInt: return "int";
    case FieldType::kNumber: return "number";
    case FieldType::kBool: return "bool";
    case FieldType::kList: return "list";
    case FieldType::kMap: return "map";
    default: return "any";
  }
}

// The section of one type as the reference writes it.
std::string Tables(const NodeTypeInfo& info) {
  std::string out = "## `" + info.name + "`\n\n" + info.summary + "\n\n";
  if (!info.params.empty()) {
    out += "| Parameter | Type | Required | Default | Description |\n|---|---|---|---|---|\n";
    for (const ParamInfo& p : info.params) {
      out += "| `" + p.name + "` | " + TypeName(p.type) + (p.lazy ? " (lazy)" : "") + " | " +
             (p.required ? "yes" : "no") + " | " + (p.default_text.empty() ? "" : p.default_text) + " | " +
             p.description + " |\n";
    }
    out += "\n";
  }
  if (!info.outputs.empty()) {
    out += "| Output | Type | Description |\n|---|---|---|\n";
    for (const OutputInfo& o : info.outputs) {
      out += "| `" + o.name + "` | " + TypeName(o.type) + " | " + o.description + " |\n";
    }
    out += "\n";
  }
  return out;
}

TEST_CASE("print the node reference tables", "[.docs]") {
  for (const NodeType* type : NodeRegistry::BuiltIn().All()) std::cout << Tables(type->info());
}

TEST_CASE("docs/pipeline-nodes.md documents every parameter and output of every built-in type", "[unit]") {
  const std::string doc = catena::testing::ReadFile(std::string(CATENA_SOURCE_DIR) + "/docs/pipeline-nodes.md");
  REQUIRE_FALSE(doc.empty());
  for (const NodeType* type : NodeRegistry::BuiltIn().All()) {
    const NodeTypeInfo& info = type->info();
    const size_t start = doc.find("## `" + info.name + "`");
    INFO(info.name);
    REQUIRE(start != std::string::npos);
    const size_t end = doc.find("\n## ", start + 1);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    for (const ParamInfo& p : info.params) {
      INFO(p.name);
      CHECK_THAT(section, Catch::Contains("| `" + p.name + "` | " + TypeName(p.type)));
    }
    for (const OutputInfo& o : info.outputs) {
      INFO(o.name);
      CHECK_THAT(section, Catch::Contains("| `" + o.name + "` | " + TypeName(o.type)));
    }
  }
}

}  // namespace
}  // namespace catena::chains
