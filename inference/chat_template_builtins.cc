// Jinja sources of the built-in chat formats (used when a GGUF file has no tokenizer.chat_template), and the
// vocabulary test that picks one, in the spirit of llama.cpp's fallbacks: Llama-3 header tokens, Mistral/Llama-2
// [INST] tokens, else ChatML. Written for Catena from the public descriptions of these prompt formats.
#include <algorithm>

#include "inference/chat_template.h"

namespace catena::inference {
namespace {

// ChatML; with tools, the Hermes/Qwen convention (<tools> in the system turn, <tool_call> in answers).
constexpr std::string_view kChatMl = R"JINJA(
{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages and messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- '# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' }}
    {{- 'You are provided with function signatures within <tools></tools> XML tags:\n<tools>' }}
    {%- for tool in tools %}
        {{- '\n' + tool | tojson }}
    {%- endfor %}
    {{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within ' }}
    {{- '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}' }}
    {{- '\n</tool_call><|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if not (tools and loop.first and message.role == 'system') %}
        {{- '<|im_start|>' + message.role + '\n' + message.content }}
        {%- for call in message.tool_calls | default([]) %}
            {%- if message.content or not loop.first %}
                {{- '\n' }}
            {%- endif %}
            {{- '<tool_call>\n{"name": "' + call.function.name + '", "arguments": ' }}
            {{- call.function.arguments | tojson + '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
)JINJA";

// Llama-3: header tokens; tools are listed in the system turn, tool results are ipython turns.
constexpr std::string_view kLlama3 = R"JINJA(
{{- bos_token }}
{%- if tools %}
    {{- '<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n\n' }}
    {{- 'You have access to the following functions. To call a function, respond with JSON in the format ' }}
    {{- '{"name": function name, "parameters": dictionary of argument name and its value}.\n\n' }}
    {%- for tool in tools %}
        {{- tool | tojson(indent=4) + '\n\n' }}
    {%- endfor %}
    {%- if messages and messages[0].role == 'system' %}
        {{- messages[0].content | trim }}
    {%- endif %}
    {{- '<|eot_id|>' }}
{%- endif %}
{%- for message in messages %}
    {%- if not (tools and loop.first and message.role == 'system') %}
        {%- set role = 'ipython' if message.role == 'tool' else message.role %}
        {{- '<|start_header_id|>' + role + '<|end_header_id|>\n\n' + message.content | trim }}
        {%- for call in message.tool_calls | default([]) %}
            {{- '{"name": "' + call.function.name + '", "parameters": ' + call.function.arguments | tojson + '}' }}
        {%- endfor %}
        {{- '<|eot_id|>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
)JINJA";

// Llama-2-chat / Mistral-instruct: the system prompt goes into the first [INST]; roles must alternate.
constexpr std::string_view kLlama2 = R"JINJA(
{%- if messages and messages[0].role == 'system' %}
    {%- set system_text = messages[0].content %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set system_text = '' %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- for message in loop_messages %}
    {%- if message.role not in ['user', 'assistant'] %}
        {{- raise_exception("The [INST] chat format has no '" + message.role + "' messages") }}
    {%- endif %}
    {%- if (message.role == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message.role == 'user' %}
        {{- bos_token + '[INST] ' }}
        {%- if loop.first and system_text %}
            {{- '<<SYS>>\n' + system_text + '\n<</SYS>>\n\n' }}
        {%- endif %}
        {{- message.content | trim + ' [/INST]' }}
    {%- else %}
        {{- ' ' + message.content | trim + ' ' + eos_token }}
    {%- endif %}
{%- endfor %}
)JINJA";

bool HasToken(std::span<const std::string> tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

}  // namespace

std::string_view ChatTemplate::BuiltinSource(BuiltinChatFormat format) {
  switch (format) {
    case BuiltinChatFormat::kLlama3:
      return kLlama3;
    case BuiltinChatFormat::kLlama2:
      return kLlama2;
    case BuiltinChatFormat::kChatMl:
      break;
  }
  return kChatMl;
}

BuiltinChatFormat ChatTemplate::GuessFormat(std::span<const std::string> tokens) {
  if (HasToken(tokens, "<|start_header_id|>") && HasToken(tokens, "<|eot_id|>")) return BuiltinChatFormat::kLlama3;
  if (HasToken(tokens, "<|im_start|>")) return BuiltinChatFormat::kChatMl;
  if (HasToken(tokens, "[INST]")) return BuiltinChatFormat::kLlama2;
  return BuiltinChatFormat::kChatMl;
}

}  // namespace catena::inference
