// Quickstart of the C++ SDK (the example of sdk/cpp/README.md, kept in step with it): create a collection,
// upsert, search, then stream a run of the pipeline "qa". Usage: catena-sdk-example [host:port].
#include <iostream>

#include "catena/catena.h"

namespace v1 = catena::v1;

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "localhost:50051";
  auto client = catena::sdk::Client::Create({.address = address, .tenant = "acme",
                                             .timeout = absl::Seconds(10)}).value();
  // Unary: StatusOr<message>.
  v1::CreateCollectionRequest create;
  create.set_name("docs");
  create.mutable_spec()->set_dimension(384);
  if (auto created = client->retrieval().CreateCollection(create); !created.ok()) {
    std::cerr << created.status() << "\n";   // e.g. ALREADY_EXISTS: collection 'docs' already exists
  }
  v1::UpsertRequest upsert;
  upsert.set_collection("docs");
  auto* doc = upsert.add_documents();
  doc->set_id("card");
  doc->set_text("A lost card is blocked in the app.");
  client->retrieval().Upsert(upsert).value();   // every document has an id: retried on UNAVAILABLE
  v1::SearchRequest search;
  search.set_collection("docs");
  search.set_query("lost card");
  const v1::SearchResponse found = client->retrieval().Search(search).value();
  for (const auto& hit : found.hits()) {
    std::cout << hit.document().id() << " " << hit.score() << "\n";
  }

  // Server streaming: Next() until nullopt, then status(); per-call deadline in CallOptions.
  v1::RunRequest run;
  run.set_pipeline("qa");
  (*run.mutable_inputs()->mutable_fields())["question"].set_string_value("where is my card?");
  auto events = client->pipelines().RunStream(run, {.timeout = absl::Seconds(60)});
  while (auto event = events.Next()) {
    if (event->has_token()) std::cout << event->token().text_delta() << std::flush;
  }
  std::cout << "\n";
  if (!events.status().ok()) std::cerr << events.status() << "\n";
}
