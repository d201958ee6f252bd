// segment: clusters texts (customer descriptions, tickets, ...) by embedding. The texts are embedded with a
// registered embedder, clustered by spherical k-means in cosine space (retrieval/kmeans.h: k-means++ seeding
// from `seed`, FAISS Lloyd iterations; `k: auto` picks k by silhouette), and each cluster is described by its
// most characteristic words (share of its members using a word minus that share in the other clusters) and
// its representative (the member closest to the centroid). Deterministic for a seed; runs inline.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chains/extractive_text.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "inference/embedder_registry.h"
#include "retrieval/kmeans.h"

namespace catena::chains {
namespace {

constexpr int64_t kMaxItems = 4096;
constexpr int64_t kMaxK = 64;

struct Item {
  std::string text;
  tmpl::Value id;  // undefined when the item has none
};

struct Settings {
  std::vector<Item> items;
  std::string embedder;
  int64_t k = 0;  // 0 = auto
  int64_t k_min = 2;
  int64_t k_max = 8;
  int64_t seed = 42;
  int64_t restarts = 4;
  int64_t label_terms = 5;
};

absl::StatusOr<std::vector<Item>> ItemsFrom(const tmpl::Value& params) {
  CATENA_ASSIGN_OR_RETURN(tmpl::Value list, nodes::GetList(params, "items"));
  CATENA_ASSIGN_OR_RETURN(std::string text_field, nodes::GetString(params, "text_field", "text"));
  CATENA_ASSIGN_OR_RETURN(std::string id_field, nodes::GetString(params, "id_field", "id"));
  if (list.list().items.empty()) return absl::InvalidArgumentError("segment got no items to cluster");
  if (static_cast<int64_t>(list.list().items.size()) > kMaxItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("items holds ", list.list().items.size(), " items; at most ", kMaxItems));
  }
  std::vector<Item> items;
  for (size_t i = 0; i < list.list().items.size(); ++i) {
    const tmpl::Value& entry = list.list().items[i];
    Item item;
    const tmpl::Value* text = &entry;
    if (entry.is_map()) {
      text = entry.map().Find(text_field);
      if (const tmpl::Value* id = entry.map().Find(id_field); id != nullptr && !id->is_none()) item.id = *id;
    }
    if (text == nullptr || !text->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("items[", i, "] must be a string or a mapping with a string '", text_field, "' field"));
    }
    if (absl::StripAsciiWhitespace(text->string_value()).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("items[", i, "] has an empty text"));
    }
    item.text = text->string_value();
    items.push_back(std::move(item));
  }
  return items;
}

absl::StatusOr<Settings> SettingsFrom(const tmpl::Value& params) {
  Settings settings;
  CATENA_ASSIGN_OR_RETURN(settings.items, ItemsFrom(params));
  CATENA_ASSIGN_OR_RETURN(settings.embedder, nodes::GetString(params, "embedder"));
  const tmpl::Value* k = nodes::FindParam(params, "k");
  if (k != nullptr && !(k->is_string() && k->string_value() == "auto")) {
    CATENA_ASSIGN_OR_RETURN(settings.k, nodes::GetInt(params, "k", 0, 1, kMaxK));
  }
  CATENA_ASSIGN_OR_RETURN(settings.k_min, nodes::GetInt(params, "k_min", 2, 2, kMaxK));
  CATENA_ASSIGN_OR_RETURN(settings.k_max, nodes::GetInt(params, "k_max", 8, 2, kMaxK));
  if (settings.k_max < settings.k_min) return absl::InvalidArgumentError("parameter 'k_max' must be >= 'k_min'");
  CATENA_ASSIGN_OR_RETURN(settings.seed, nodes::GetInt(params, "seed", 42, 0, int64_t{1} << 53));
  CATENA_ASSIGN_OR_RETURN(settings.restarts, nodes::GetInt(params, "restarts", 4, 1, 32));
  CATENA_ASSIGN_OR_RETURN(settings.label_terms, nodes::GetInt(params, "label_terms", 5, 0, 50));
  return settings;
}

size_t DistinctTexts(const std::vector<Item>& items) {
  std::set<std::string> texts;
  for (const Item& item : items) texts.insert(item.text);
  return texts.size();
}

// The clustering of `unit` (normalized rows) with the chosen k, and the silhouette per k tried.
struct Choice {
  retrieval::KMeansResult result;
  double silhouette = 0;
  std::vector<std::pair<int, double>> scores;
};

absl::StatusOr<Choice> Cluster(const Settings& settings, const std::vector<float>& unit, int dimension) {
  const int64_t distinct = static_cast<int64_t>(DistinctTexts(settings.items));
  retrieval::KMeansOptions options{.seed = static_cast<uint64_t>(settings.seed),
                                   .restarts = static_cast<int>(settings.restarts)};
  Choice choice;
  if (settings.k > 0) {
    if (settings.k > distinct) {
      return absl::InvalidArgumentError(
          absl::StrCat("k = ", settings.k, " but the items hold only ", distinct, " distinct texts"));
    }
    options.k = static_cast<int>(settings.k);
    CATENA_ASSIGN_OR_RETURN(choice.result, retrieval::SphericalKMeans(unit, dimension, options));
    choice.silhouette = retrieval::CosineSilhouette(unit, dimension, choice.result.assignments, options.k);
    return choice;
  }
  const int64_t k_max = std::min(settings.k_max, distinct - 1);
  if (k_max < settings.k_min) {
    return absl::InvalidArgumentError(absl::StrCat("k: auto tries k in ", settings.k_min, "..", settings.k_max,
                                                   " and needs more than k distinct texts; the items hold ", distinct));
  }
  bool first = true;
  for (int64_t k = settings.k_min; k <= k_max; ++k) {
    options.k = static_cast<int>(k);
    CATENA_ASSIGN_OR_RETURN(retrieval::KMeansResult result, retrieval::SphericalKMeans(unit, dimension, options));
    const double silhouette = retrieval::CosineSilhouette(unit, dimension, result.assignments, options.k);
    choice.scores.emplace_back(options.k, silhouette);
    if (first || silhouette > choice.silhouette + 1e-9) {
      choice.result = std::move(result);
      choice.silhouette = silhouette;
      first = false;
    }
  }
  return choice;
}

// Member indices per cluster, clusters ordered by size (largest first) then by their first member.
std::vector<std::vector<int>> OrderedClusters(const retrieval::KMeansResult& result) {
  std::vector<std::vector<int>> clusters(result.k);
  for (size_t i = 0; i < result.assignments.size(); ++i) clusters[result.assignments[i]].push_back(static_cast<int>(i));
  std::erase_if(clusters, [](const std::vector<int>& members) { return members.empty(); });
  std::stable_sort(clusters.begin(), clusters.end(), [](const auto& a, const auto& b) {
    return a.size() != b.size() ? a.size() > b.size() : a.front() < b.front();
  });
  return clusters;
}

// Words of a text worth using as labels: folded, no stop words, at least 3 letters, not only digits.
std::set<std::string> LabelWords(const std::string& text) {
  std::set<std::string> words;
  for (std::string& word : Words(text)) {
    if (word.size() < 3 || IsStopWord(word)) continue;
    if (std::all_of(word.begin(), word.end(), [](char c) { return absl::ascii_isdigit(c); })) continue;
    words.insert(std::move(word));
  }
  return words;
}

// The `count` words whose share of members using them most exceeds their share in the other clusters.
std::vector<std::string> CharacteristicTerms(const std::vector<std::set<std::string>>& words,
                                             const std::vector<int>& members, int count) {
  std::map<std::string, int> inside, total;
  for (const auto& item_words : words) {
    for (const auto& word : item_words) ++total[word];
  }
  for (int member : members) {
    for (const auto& word : words[member]) ++inside[word];
  }
  const double size = static_cast<double>(members.size());
  const double rest = static_cast<double>(words.size() - members.size());
  const int min_count = std::min<int>(2, static_cast<int>(members.size()));
  std::vector<std::tuple<double, int, std::string>> ranked;  // (-score, -inside, word)
  for (const auto& [word, n] : inside) {
    const double score = n / size - (rest > 0 ? (total[word] - n) / rest : 0.0);
    if (n >= min_count && score > 0) ranked.emplace_back(-score, -n, word);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> terms;
  for (size_t i = 0; i < ranked.size() && static_cast<int>(terms.size()) < count; ++i) {
    terms.push_back(std::get<2>(ranked[i]));
  }
  return terms;
}

tmpl::Value ClusterValue(const Settings& settings, const std::vector<std::set<std::string>>& words,
                         const std::vector<float>& unit, int dimension, const retrieval::KMeansResult& result,
                         const std::vector<int>& members, int id) {
  const int centroid = result.assignments[members.front()];
  const float* center = result.centroids.data() + static_cast<size_t>(centroid) * dimension;
  int representative = members.front();
  double best = -2, cohesion = 0;
  std::vector<tmpl::Value> indices, ids;
  for (int member : members) {
    double cosine = 0;
    for (int j = 0; j < dimension; ++j) cosine += static_cast<double>(unit[member * dimension + j]) * center[j];
    cohesion += cosine;
    if (cosine > best + 1e-12) {
      best = cosine;
      representative = member;
    }
    indices.emplace_back(member);
    if (!settings.items[member].id.is_undefined()) ids.push_back(settings.items[member].id);
  }
  const std::vector<std::string> terms = CharacteristicTerms(words, members, static_cast<int>(settings.label_terms));
  std::vector<tmpl::Value> term_values(terms.begin(), terms.end());
  tmpl::Value rep = nodes::MakeDict({{"index", representative}, {"text", settings.items[representative].text}});
  if (!settings.items[representative].id.is_undefined()) rep.map().Set("id", settings.items[representative].id);
  tmpl::Value cluster = nodes::MakeDict(
      {{"id", id},
       {"size", static_cast<int64_t>(members.size())},
       {"members", tmpl::Value::List(std::move(indices))},
       {"terms", tmpl::Value::List(std::move(term_values))},
       {"label", absl::StrJoin(
                     std::vector<std::string>(terms.begin(), terms.begin() + std::min<size_t>(3, terms.size())), ", ")},
       {"representative", std::move(rep)},
       {"cohesion", cohesion / static_cast<double>(members.size())}});
  if (!ids.empty()) cluster.map().Set("ids", tmpl::Value::List(std::move(ids)));
  return cluster;
}

absl::StatusOr<tmpl::Value> Segment(NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().embedders, "embedders"));
  CATENA_ASSIGN_OR_RETURN(Settings settings, SettingsFrom(call.params()));
  CATENA_ASSIGN_OR_RETURN(auto embedder, call.services().embedders->Find(settings.embedder));
  std::vector<std::string> texts;
  for (const Item& item : settings.items) texts.push_back(item.text);
  CATENA_ASSIGN_OR_RETURN(inference::Embeddings embeddings,
                          embedder->Embed(texts, inference::EmbedInputKind::kDocument));
  const std::vector<float> unit = retrieval::NormalizeRows(embeddings.values, embeddings.dimension);
  CATENA_ASSIGN_OR_RETURN(Choice choice, Cluster(settings, unit, embeddings.dimension));
  std::vector<std::set<std::string>> words;
  for (const Item& item : settings.items) words.push_back(LabelWords(item.text));
  const std::vector<std::vector<int>> clusters = OrderedClusters(choice.result);
  std::vector<tmpl::Value> cluster_values, assignments(settings.items.size());
  for (size_t c = 0; c < clusters.size(); ++c) {
    cluster_values.push_back(
        ClusterValue(settings, words, unit, embeddings.dimension, choice.result, clusters[c], static_cast<int>(c)));
    for (int member : clusters[c]) assignments[member] = tmpl::Value(static_cast<int64_t>(c));
  }
  std::vector<tmpl::Value> scores;
  for (const auto& [k, silhouette] : choice.scores)
    scores.push_back(nodes::MakeDict({{"k", k}, {"silhouette", silhouette}}));
  return nodes::MakeDict({{"clusters", tmpl::Value::List(std::move(cluster_values))},
                          {"assignments", tmpl::Value::List(std::move(assignments))},
                          {"k", static_cast<int64_t>(clusters.size())},
                          {"silhouette", choice.silhouette},
                          {"scores", tmpl::Value::List(std::move(scores))},
                          {"inertia", choice.result.inertia},
                          {"embedder", embedder->info().name}});
}

void CheckK(const NodeSpec& spec, NodeCompileContext& context) {
  const SpecValue* k = nodes::FindField(spec.with, "k");
  if (k == nullptr) return;
  if (nodes::IsLiteralString(*k) && k->string_value != "auto") {
    context.Error(k->pos, absl::StrCat("parameter 'k' must be an int or \"auto\", got '", k->string_value, "'"));
  }
  nodes::CheckLiteralRange(spec, context, "k", 1, kMaxK);
}

}  // namespace

std::unique_ptr<NodeType> NewSegmentNodeType() {
  NodeTypeInfo info{
      .name = "segment",
      .summary =
          "Clusters texts by embedding (spherical k-means) and labels each cluster with its characteristic words.",
      .params = {{"items", FieldType::kList, true, false, "", "Texts, or mappings with a text field (at most 4096)."},
                 {"text_field", FieldType::kString, false, false, "text", "Field holding the text of mapping items."},
                 {"id_field", FieldType::kString, false, false, "id", "Field of mapping items listed in `ids`."},
                 {"embedder", FieldType::kString, false, false, "\"\"", "Embedder name; empty = the default one."},
                 {"k", FieldType::kAny, false, false, "auto",
                  "Clusters, 1..64, or auto (best silhouette in k_min..k_max)."},
                 {"k_min", FieldType::kInt, false, false, "2", "Smallest k tried by auto."},
                 {"k_max", FieldType::kInt, false, false, "8", "Largest k tried by auto (at most distinct texts - 1)."},
                 {"seed", FieldType::kInt, false, false, "42",
                  "Seed of the k-means++ seeding; same seed, same clusters."},
                 {"restarts", FieldType::kInt, false, false, "4", "Seedings tried per k (1..32); lowest inertia wins."},
                 {"label_terms", FieldType::kInt, false, false, "5", "Characteristic words kept per cluster."}},
      .outputs = {{"clusters", FieldType::kList,
                   "[{id, size, members (indices), ids, terms, label, representative {index, id, text}, cohesion}], "
                   "largest first."},
                  {"assignments", FieldType::kList, "The cluster id of each item, in input order."},
                  {"k", FieldType::kInt, "Number of clusters."},
                  {"silhouette", FieldType::kNumber, "Mean silhouette (cosine distance) of the clustering."},
                  {"scores", FieldType::kList, "With k auto: [{k, silhouette}] for each k tried."},
                  {"inertia", FieldType::kNumber, "Sum of 1 - cos(item, its centroid)."},
                  {"embedder", FieldType::kString, "Name of the embedder used."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec& spec, NodeCompileContext& ctx) {
    CheckK(spec, ctx);
    nodes::CheckLiteralRange(spec, ctx, "restarts", 1, 32);
    return nodes::MakeSyncNode(Segment);
  });
}

}  // namespace catena::chains
