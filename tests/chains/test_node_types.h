// Small node types for the chain front-end tests (the built-in types live in chains/nodes/ and are tested
// there). They exercise what the compiler offers node types: parameter declarations, lazy parameters,
// routes, nested bodies and problems reported by a type's own Compile. Immutable; thread-safe.
#pragma once

#include <memory>
#include <utility>

#include "chains/compiled_pipeline.h"
#include "chains/node_type.h"

namespace catena::chains::testing {

// t.echo {text (req string), repeat: int} -> {text}
// t.retrieve {collection (req string), query (req string), k: int, filter: string} -> {documents, scores, count}
// t.router {routes (req, lazy list of {when?, to})} -> {next}
// t.open {source?} -> any field (open outputs)
// t.transform: any parameter, any output field
// t.count {count (req int 1..1000), label: string, body (req, lazy map; sees item, index), until (lazy)}
//   -> {results, count}
// t.chat {model: string, prompt (req string), temperature: number, stream: bool, stop: list, schema: map}
//   -> {text, usage}
// t.agent: always reports that it is provided by another component.
const NodeRegistry& TestRegistry();

// What t.count compiles to: the nested pipeline of its body, for tests to inspect.
class BodyNode : public NodeImpl {
 public:
  explicit BodyNode(std::shared_ptr<const CompiledPipeline> body) : body_(std::move(body)) {}
  void Start(NodeCall& call) const override { call.Finish(call.params()); }
  const CompiledPipeline& body() const { return *body_; }

 private:
  std::shared_ptr<const CompiledPipeline> body_;
};

}  // namespace catena::chains::testing
