// embed: vectors from services().embedders for one text (`vector`) and/or a list of texts (`vectors`).
#include "absl/strings/str_cat.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "inference/embedder_registry.h"

namespace catena::chains {
namespace {

tmpl::Value VectorValue(std::span<const float> row) {
  std::vector<tmpl::Value> items;
  items.reserve(row.size());
  for (float x : row) items.emplace_back(static_cast<double>(x));
  return tmpl::Value::List(std::move(items));
}

absl::StatusOr<tmpl::Value> Embed(NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().embedders, "embedders"));
  const tmpl::Value& params = call.params();
  CATENA_ASSIGN_OR_RETURN(std::string name, nodes::GetString(params, "embedder"));
  CATENA_ASSIGN_OR_RETURN(auto embedder, call.services().embedders->Find(name));
  const tmpl::Value* text = nodes::FindParam(params, "text");
  if (text != nullptr && !text->is_string()) return nodes::GetString(params, "text").status();
  CATENA_ASSIGN_OR_RETURN(std::vector<std::string> texts, nodes::GetStringList(params, "texts"));
  if (text == nullptr && texts.empty()) return absl::InvalidArgumentError("embed got neither 'text' nor 'texts'");
  if (texts.size() > 4096) return absl::InvalidArgumentError(absl::StrCat("texts holds ", texts.size(), " items; at most 4096"));
  std::vector<std::string> batch = texts;
  if (text != nullptr) batch.push_back(text->string_value());
  CATENA_ASSIGN_OR_RETURN(inference::Embeddings embeddings,
                          embedder->Embed(batch, inference::EmbedInputKind::kDocument));
  tmpl::Value output = nodes::MakeDict({{"dimension", embeddings.dimension}, {"embedder", embedder->info().name}});
  if (text != nullptr) output.map().Set("vector", VectorValue(embeddings.Row(texts.size())));
  if (nodes::FindParam(params, "texts") != nullptr) {
    std::vector<tmpl::Value> rows;
    for (size_t i = 0; i < texts.size(); ++i) rows.push_back(VectorValue(embeddings.Row(i)));
    output.map().Set("vectors", tmpl::Value::List(std::move(rows)));
  }
  return output;
}

}  // namespace

std::unique_ptr<NodeType> NewEmbedNodeType() {
  NodeTypeInfo info{
      .name = "embed",
      .summary = "Embeds one text and/or a list of texts with a registered embedder.",
      .params = {{"embedder", FieldType::kString, false, false, "\"\"", "Embedder name; empty = the default one."},
                 {"text", FieldType::kString, false, false, "", "One text -> `vector`."},
                 {"texts", FieldType::kList, false, false, "", "Texts (at most 4096) -> `vectors`."}},
      .outputs = {{"vector", FieldType::kList, "The vector of `text` (when given)."},
                  {"vectors", FieldType::kList, "One vector per item of `texts` (when given)."},
                  {"dimension", FieldType::kInt, "Vector length."},
                  {"embedder", FieldType::kString, "Name of the embedder used."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec& spec, NodeCompileContext& ctx) {
    nodes::RequireAnyOf(spec, ctx, {"text", "texts"});
    return nodes::MakeSyncNode(Embed);
  });
}

}  // namespace catena::chains
