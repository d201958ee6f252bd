#include "chains/pipeline_globals.h"

#include "absl/status/statusor.h"
#include "chains/extractive_text.h"

namespace catena::chains {
namespace {

// detect_language(text, default="en"): "fr" or "en" by stop-word counts (chains/extractive_text.h); `default`
// when the text holds no stop word of either language.
absl::StatusOr<tmpl::Value> DetectLanguageGlobal(const tmpl::CallArgs& args) {
  const tmpl::Value* text = args.positional.empty() ? nullptr : &args.positional[0];
  const tmpl::Value* fallback = args.positional.size() > 1 ? &args.positional[1] : nullptr;
  for (const auto& [name, value] : args.keyword) {
    if (name == "text" && text == nullptr) {
      text = &value;
    } else if (name == "default" && fallback == nullptr) {
      fallback = &value;
    } else {
      return absl::InvalidArgumentError("detect_language() takes (text, default=\"en\")");
    }
  }
  if (text == nullptr || !text->is_string() || args.positional.size() > 2 ||
      (fallback != nullptr && !fallback->is_string())) {
    return absl::InvalidArgumentError("detect_language() takes a string and an optional default language code");
  }
  const std::string& value = text->string_value();
  bool any_stop_word = false;
  for (const std::string& word : Words(value)) any_stop_word = any_stop_word || IsStopWord(word);
  if (!any_stop_word) return fallback != nullptr ? *fallback : tmpl::Value("en");
  return tmpl::Value(DetectLanguage(value) == TextLanguage::kFrench ? "fr" : "en");
}

}  // namespace

const std::map<std::string, tmpl::Value>& PipelineGlobals() {
  static const auto* const globals = new std::map<std::string, tmpl::Value>{
      {"detect_language", tmpl::Value::Function("detect_language", DetectLanguageGlobal)},
  };
  return *globals;
}

bool IsPipelineGlobal(std::string_view name) { return PipelineGlobals().contains(std::string(name)); }

}  // namespace catena::chains
