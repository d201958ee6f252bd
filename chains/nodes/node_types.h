// Factories of the built-in node types, one per file under chains/nodes/ (NodeRegistry::BuiltIn in
// builtin_nodes.cc adds each once; tests and the agents component may add them to their own registries).
// Every returned type is immutable and thread-safe.
#pragma once

#include <memory>

#include "chains/node_type.h"

namespace catena::chains {

// prompt: assembles chat messages (system, history, messages, user) and their joined text.
std::unique_ptr<NodeType> NewPromptNodeType();
// llm.chat: one chat call to services().models, streamed as token events.
std::unique_ptr<NodeType> NewLlmChatNodeType();
// llm.generate: one raw-prompt completion (no chat template).
std::unique_ptr<NodeType> NewLlmGenerateNodeType();
// embed: vectors of a text or of a list of texts.
std::unique_ptr<NodeType> NewEmbedNodeType();
// segment: clusters texts by embedding and labels the clusters.
std::unique_ptr<NodeType> NewSegmentNodeType();
// retrieve: searches a collection (dense, sparse or hybrid) and emits the retrieved documents.
std::unique_ptr<NodeType> NewRetrieveNodeType();
// memory.load: the conversation context of a session.
std::unique_ptr<NodeType> NewMemoryLoadNodeType();
// memory.save: appends messages to a session (created when missing).
std::unique_ptr<NodeType> NewMemorySaveNodeType();
// memory.facts: reads (and optionally sets) a user's facts.
std::unique_ptr<NodeType> NewMemoryFactsNodeType();
// router: chooses which of its route targets run.
std::unique_ptr<NodeType> NewRouterNodeType();
// transform: every `with` field becomes an output field.
std::unique_ptr<NodeType> NewTransformNodeType();
// map: runs a nested body once per item, with bounded concurrency.
std::unique_ptr<NodeType> NewMapNodeType();
// loop: runs a nested body until a condition holds or max_iterations.
std::unique_ptr<NodeType> NewLoopNodeType();
// subpipeline: runs a stored pipeline by name.
std::unique_ptr<NodeType> NewSubpipelineNodeType();
// output.json: parses, validates and (once, with a model) repairs JSON text.
std::unique_ptr<NodeType> NewOutputJsonNodeType();
// handoff.human: interrupts the run for a human decision.
std::unique_ptr<NodeType> NewHandoffHumanNodeType();

// Extension points of the agents component (guards): registered so files naming them get a clear problem.
// `tool` and `agent` are agents/ node types (agents/node_types.h).
std::unique_ptr<NodeType> NewGuardPiiRedactNodeType();
std::unique_ptr<NodeType> NewGuardInjectionNodeType();
std::unique_ptr<NodeType> NewGuardTopicNodeType();
std::unique_ptr<NodeType> NewGuardGroundingNodeType();

}  // namespace catena::chains
