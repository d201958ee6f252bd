// JsonText (json_text.h): comma placement and string escaping, with UTF-8 validation.
#include "agents/json_text.h"

#include "absl/strings/str_cat.h"
#include "common/template/text.h"

namespace catena::agents {

void AppendJsonString(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  size_t plain = 0;  // text[plain, i) needs no escaping and is not copied yet: copied in one append
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text.data() + plain, i - plain);
    if (c >= 0x80) {
      const size_t length = tmpl::text::ValidUtf8Length(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.data() + i, length);
        i += length;
      }
      plain = i;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    plain = ++i;
  }
  out.append(text.data() + plain, i - plain);
  out += '"';
}

void JsonText::Value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

void JsonText::Key(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  AppendJsonString(out_, key);
  out_ += ':';
  after_key_ = true;
}

void JsonText::String(std::string_view text) {
  Value();
  AppendJsonString(out_, text);
}

void JsonText::Int(int64_t value) {
  Value();
  absl::StrAppend(&out_, value);
}

void JsonText::Bool(bool value) {
  Value();
  out_ += value ? "true" : "false";
}

void JsonText::Null() {
  Value();
  out_ += "null";
}

}  // namespace catena::agents
