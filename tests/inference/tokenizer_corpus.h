// The deterministic conformance corpus for tokenizer_conformance_test.cc: our own seed texts in many
// languages and scripts, emoji (ZWJ sequences, skin tones, flags), code, whitespace runs, numbers, control and
// combining characters, characters outside the BMP, and seeded random recombinations of them. Header-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace catena::inference::testing {

inline const std::vector<std::string>& SeedTexts() {
  static const std::vector<std::string> seeds = {
      "The quick brown fox jumps over the lazy dog.",
      "It's a truth universally acknowledged; they'll say we'd've known, I'm sure you're right.",
      "IT'S LOUD, ISN'T IT? THEY'RE HERE AND WE'VE GOT TO GO.",
      "Tokenizers split text into pieces: words, sub-words and bytes.",
      "grabbed",
      "           grabbed",
      "Le cœur a ses raisons que la raison ne connaît point. Où est l'hôtel ? Ça coûte 12,50 €.",
      "Über den Wolken muss die Freiheit wohl grenzenlos sein. Straße, Größe, Mädchen, Äpfel.",
      "Съешь же ещё этих мягких французских булок, да выпей чаю. Привет, мир!",
      "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Καλημέρα κόσμε! ΣΊΣΥΦΟΣ",
      "我能吞下玻璃而不伤身体。今天天气很好，我们去公园散步吧。",
      "私はガラスを食べられます。それは私を傷つけません。カタカナとひらがな、漢字。",
      "나는 유리를 먹을 수 있어요. 그래도 아프지 않아요. 안녕하세요!",
      "أنا قادر على أكل الزجاج و هذا لا يؤلمني. مرحبا بالعالم",
      "मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती. नमस्ते दुनिया",
      "ฉันกินกระจกได้ แต่มันไม่ทำให้ฉันเจ็บ สวัสดีชาวโลก",
      "אני יכול לאכול זכוכית וזה לא מזיק לי. שלום עולם",
      "Tôi có thể ăn thủy tinh mà không hại gì. Xin chào thế giới!",
      "Mogę jeść szkło i mi nie szkodzi. Zażółć gęślą jaźń.",
      "Hello 👋 world 🌍! Family: 👨‍👩‍👧‍👦, thumbs 👍🏽👍🏿, flags 🇫🇷🇯🇵, heart ❤️‍🔥, llama 🦙.",
      "🦙Ꙋ",
      "Ꙋ🦙",
      "Math: 𝔸𝕓𝕔 𝑥² + 𝑦² = 𝑧², 𝟙𝟚𝟛; old italic 𐌀𐌁𐌂; cuneiform 𒀀𒀁; emoji 😀😃😄.",
      "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
      "int main(int argc, char** argv) {\n\tstd::vector<int> v{1, 2, 3};\n\treturn v.size() > 0 ? 0 : -1;\n}\n",
      "const x = async () => { await fetch(`https://example.com/api?q=${encodeURIComponent(s)}`); };",
      "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
      "<div class=\"note\">&amp; &lt;tag&gt; <br/></div> <!-- comment -->",
      "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
      "   leading spaces and trailing spaces   ",
      "tabs\tand\t\ttabs\t\t\tand newlines\n\n\nand CRLF\r\nline\rreturn",
      "\n",
      " \n",
      "\ttabs\t\t\t\tout here",
      "ax\n####\nboo",
      "multiple     spaces      between       words",
      "\u00a0non-breaking\u00a0space, ideographic\u3000space, thin\u2009space, line\u2028separator, next\u0085line",
      "zero\u200bwidth\u200cjoiners\u200dand\ufeffBOM",
      "Numbers: 0 7 42 123 1234 12345 123456 1234567 3.14159 -273.15 1e-9 0xFF 1,000,000 ٣٤٥ ४५६ ½ Ⅻ",
      "Phone +1 (555) 010-9999, date 2024-02-29T23:59:59Z, IP 192.168.0.1, version v1.2.3-rc.4",
      "control\x01" "chars\x02" "and\x7f" "delete\x1b[31mred\x1b[0m bell\x07 nul\x1f end",
      "Accents: café naïve résumé coöperate façade jalapeño Ångström Øresund Ñandú",
      "Combining: e\u0301 a\u0308 o\u0302 n\u0303 Z\u0351\u0352\u0353a\u0354l\u0355g\u0356o",
      "Punctuation!!! ??? ... --- ,,, ;;; ::: ((( ))) [[[ ]]] {{{ }}} «quotes» “smart” ‘single’ — – …",
      "Symbols: © ® ™ § ¶ † ‡ • ° ± × ÷ ∞ ≈ ≠ ≤ ≥ ∑ ∏ √ ∫ ∂ ∇ ∈ ∉ ⊂ ⊃ ∪ ∩ ← → ↑ ↓ ⇒ ⇔",
      "Currency: $100 €200 £300 ¥400 ₹500 ₽600 ₩700 ₿0.001",
      "Mixed scripts: Hello Привет 你好 こんにちは 안녕 مرحبا שלום नमस्ते สวัสดี Γειά",
      "camelCaseIdentifier snake_case_identifier SCREAMING_CASE kebab-case PascalCase",
      "URL: https://www.example.org/path/to/page.html?query=value&other=1#fragment",
      "email@example.com, user.name+tag@sub.domain.co.uk",
      "I'll've y'all'd've 'tis 'twas rock'n'roll o'clock",
      "A\u0130\u0131 \u017ftop STRASSE \u1e9e \u01c5 \u2126 \u212a",
      "Yes. No. Maybe? Definitely! Okay...",
      "sehr geehrte Damen und Herren, wir freuen uns",
      "i like strawberries",
      "the cat sat on the mat",
      "hello world this is a test of the tokenizer",
      "unaffable running jumped happily",
      "fill the <mask> here and   <mask>then <|user|>  hello <|user|>\n x <mask><mask> <|user|><mask>",
      "<s> special </s> tokens <|begin_of_text|> and <|eot_id|> [CLS] [SEP] <|endoftext|>",
      "",
      " ",
      "a",
      "  ",
      "\r\n\r\n",
  };
  return seeds;
}

// Seeded, platform-independent generator (SplitMix64).
class CorpusRandom {
 public:
  explicit CorpusRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

inline std::string RandomNumber(CorpusRandom& random) {
  std::string number;
  const size_t length = 1 + random.Below(25);
  for (size_t i = 0; i < length; ++i) number.push_back(static_cast<char>('0' + random.Below(10)));
  return number;
}

inline std::string RandomWhitespace(CorpusRandom& random) {
  static const std::vector<std::string> pieces = {" ", " ", " ", "\t", "\n", "\r\n", "\r", "\u3000", "\u00a0",
                                                   "\u2003", "\v", "\f", "\u0085", "\u2029"};
  std::string out;
  const size_t length = 1 + random.Below(6);
  for (size_t i = 0; i < length; ++i) out += pieces[random.Below(pieces.size())];
  return out;
}

// A slice of a seed cut at a character boundary.
inline std::string RandomSlice(CorpusRandom& random, const std::string& text) {
  if (text.empty()) return text;
  auto boundary = [&](size_t pos) {
    while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    return pos;
  };
  const size_t begin = boundary(random.Below(text.size()));
  const size_t end = boundary(begin + random.Below(text.size() - begin + 1));
  return text.substr(begin, end - begin);
}

inline std::vector<std::string> ConformanceCorpus(size_t generated = 1200) {
  std::vector<std::string> corpus = SeedTexts();
  const auto& seeds = SeedTexts();
  CorpusRandom random(20240229);
  for (size_t n = 0; n < generated; ++n) {
    std::string text;
    const size_t parts = 1 + random.Below(5);
    for (size_t p = 0; p < parts; ++p) {
      switch (random.Below(6)) {
        case 0: text += RandomNumber(random); break;
        case 1: text += RandomWhitespace(random); break;
        case 2: text += RandomSlice(random, seeds[random.Below(seeds.size())]); break;
        default: text += seeds[random.Below(seeds.size())]; break;
      }
      if (random.Below(3) == 0) text += RandomWhitespace(random);
    }
    corpus.push_back(std::move(text));
  }
  return corpus;
}

}  // namespace catena::inference::testing
