// Generates the golden files for tests/retrieval/recursive_splitter_golden_test.cc by running LangChain.js's
// RecursiveCharacterTextSplitter (@langchain/textsplitters) over varied inputs and configurations.
//
//   node tests/retrieval/make_splitter_goldens.mjs [node_modules dir]
//
// The node_modules dir defaults to ~/.cache/catena/assets/node_modules. Output: one JSON file per length unit in
// tests/retrieval/data/splitters/ (recursive_utf16.json: LangChain.js default `.length`;
// recursive_code_points.json: lengthFunction s => [...s].length, which equals Python's len()).
//
// keepSeparator: LangChain.js's keepSeparator=true splits with a look-ahead, so every piece starts with the
// separator: that is Python's keep_separator="start" (Python's True). JS has no "end" mode. Written as
// "start" / "none" in the goldens.
//
// Two known LangChain.js divergences from Python LangChain are resolved towards Python:
//  1. LangChain.js splits on the "" separator with text.split(""), i.e. into UTF-16 code units, which tears
//     surrogate pairs apart (a chunk may end in half an emoji). Python's list(text) splits into code points,
//     and Catena works on UTF-8 and never splits inside a character.
//  2. When the last separator has been used and a piece is still too long, Python keeps the piece whole
//     (`if not new_separators`); LangChain.js tests `!newSeparators`, which is false for [], and recurses with
//     no separators: it splits into UTF-16 units with keepSeparator, and throws without it.
// Each case is therefore run twice, as is and with both fixes; when the two differ (or the plain run throws)
// the fixed result is stored and the case is marked reference="langchain.js+python-fixes".
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const modules = process.argv[2] ?? path.join(os.homedir(), ".cache/catena/assets/node_modules");
const pkgDir = path.join(modules, "@langchain/textsplitters");
const { RecursiveCharacterTextSplitter } = await import(pathToFileURL(path.join(pkgDir, "dist/index.js")).href);
const version = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
void createRequire;

class PythonFixedSplitter extends RecursiveCharacterTextSplitter {
  async _splitText(text, separators) {
    if (separators.length === 0) return [text];
    return super._splitText(text, separators);
  }

  splitOnSeparator(text, separator) {
    if (separator === "") return Array.from(text);
    return super.splitOnSeparator(text, separator);
  }
}

const inputs = {
  empty: "",
  blank: "   \n\n \t \n  ",
  english:
    "The quick brown fox jumps over the lazy dog. It was a bright cold day in April, and the clocks were " +
    "striking thirteen.\n\nRetrieval-augmented generation combines a search step with a language model. " +
    "Documents are split into chunks, embedded, and stored in an index.\n\nAt query time the most similar " +
    "chunks are retrieved and placed into the prompt.\nShort line.\nAnother short line with more words in it " +
    "than the previous one.\n\n\nThe end.",
  german_french:
    "Größenänderungen müssen überprüft werden, bevor die Straße gesperrt wird. Äpfel, Öl und Übermut.\n\n" +
    "L'élève a reçu une lettre très intéressante de son père; il était ému. Où est la bibliothèque? " +
    "Voilà, à côté du château.\n\nÇa coûte cher, n'est-ce pas? Cœur, sœur, œuvre, naïve, Noël.",
  chinese_japanese:
    "检索增强生成是一种将搜索与语言模型结合的方法。文档被切分成小块并存入索引。\n\n" +
    "查询时，系统会找到最相似的片段。　全角空格在这里。\n" +
    "日本語の文章はスペースを使いません。東京は日本の首都です。ひらがなとカタカナと漢字。",
  russian:
    "Съешь же ещё этих мягких французских булок, да выпей чаю.\n\nВ чащах юга жил бы цитрус? Да, но " +
    "фальшивый экземпляр!\nМосква — столица России. Широкая электрификация южных губерний.",
  emoji:
    "Hello 👋 world 🌍! Family: 👨‍👩‍👧‍👦 and flags 🇩🇪🇫🇷🇯🇵.\n\n" +
    "😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗\n" +
    "Math: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢𝔗𝔢𝔵𝔱 and 𝒜𝒷𝒸 plus 𝟘𝟙𝟚𝟛𝟜𝟝 digits. Old: 𐌰𐌱𐌲 and 𓀀𓀁𓀂.",
  mixed_astral:
    "ab😀cd😀ef😀gh😀ij😀kl😀mn😀op😀qr😀st😀uv😀wx😀yz 𝔞𝔟𝔠𝔡𝔢𝔣𝔤𝔥𝔦𝔧𝔨𝔩𝔪𝔫𝔬𝔭 x 🎉🎉🎉 y\n" +
    "short 🎉 words 🎉 here 🎉 and 🎉 there 🎉 everywhere 🎉 done",
  code:
    "#include <vector>\n\nint Sum(const std::vector<int>& v) {\n  int total = 0;\n  for (int x : v) {\n" +
    "    total += x;\n  }\n  return total;\n}\n\ndef greet(name):\n    \"\"\"Say hello.\"\"\"\n" +
    "    print(f\"Hello, {name}!\")\n\nclass Point:\n    def __init__(self, x, y):\n        self.x = x\n" +
    "        self.y = y\n",
  markdown:
    "# Catena\n\nCatena is a **native** RAG platform.\n\n## Install\n\n```bash\ncmake -S . -B build\n" +
    "ninja -C build\n```\n\n## Usage\n\n- Start the server\n- Create a collection\n- Ingest documents\n\n" +
    "### Splitters\n\n| kind | what |\n|------|------|\n| recursive | LangChain parity |\n\n> Note: chunks overlap.\n",
  whitespace_runs:
    "a  b   c    d\n\n\n\ne\t\tf \n \n g\n\n\n\n\n\nh" + "\u00a0\u00a0i\u3000\u3000j  \n\n  k" +
    "          l\r\n\r\nm\n \n \nn   ",
  long_words:
    "Supercalifragilisticexpialidocious is long. " +
    "https://example.com/a/very/long/path/that/keeps/going/and/going/index.html?query=abcdefghijklmnopqrstuvwxyz " +
    "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft ok " +
    "pneumonoultramicroscopicsilicovolcanoconiosis.",
  sentences:
    "Dr. Smith arrived at 3.14 p.m. sharp. He said: \"Hello!\" Then he left... Was it late? Yes! " +
    "The report, e.g. the summary, was short. Mr. and Mrs. Jones disagreed. Fine.",
};

const configs = [
  { chunkSize: 10, chunkOverlap: 0 },
  { chunkSize: 10, chunkOverlap: 3 },
  { chunkSize: 25, chunkOverlap: 5 },
  { chunkSize: 25, chunkOverlap: 5, keepSeparator: false },
  { chunkSize: 50, chunkOverlap: 10 },
  { chunkSize: 50, chunkOverlap: 20, keepSeparator: false },
  { chunkSize: 100, chunkOverlap: 30 },
  { chunkSize: 500, chunkOverlap: 100 },
  { chunkSize: 40, chunkOverlap: 10, separators: [". ", " ", ""] },
  { chunkSize: 30, chunkOverlap: 8, separators: ["\n", ","], keepSeparator: false },
  { chunkSize: 20, chunkOverlap: 4, separators: ["\n\n", "\n", " "] },
  { chunkSize: 15, chunkOverlap: 2, separators: ["  ", ""] },
];

const units = {
  utf16: undefined,
  code_points: (s) => [...s].length,
};

function caseName(input, unit, c) {
  const keep = (c.keepSeparator ?? true) ? "start" : "none";
  const seps = c.separators ? `_seps${c.separators.length}` : "";
  return `${input}/${unit}/size${c.chunkSize}_overlap${c.chunkOverlap}_${keep}${seps}`;
}

const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "data/splitters");
fs.mkdirSync(outDir, { recursive: true });
for (const [unit, lengthFunction] of Object.entries(units)) {
  const cases = [];
  let patched = 0;
  for (const [inputName, text] of Object.entries(inputs)) {
    for (const c of configs) {
      const fields = { ...c, ...(lengthFunction ? { lengthFunction } : {}) };
      let plain;
      try {
        plain = await new RecursiveCharacterTextSplitter(fields).splitText(text);
      } catch (e) {
        plain = `throws: ${e}`;
      }
      const fixed = await new PythonFixedSplitter(fields).splitText(text);
      const same = JSON.stringify(plain) === JSON.stringify(fixed);
      if (!same) patched += 1;
      cases.push({
        name: caseName(inputName, unit, c),
        input: inputName,
        options: {
          chunk_size: c.chunkSize,
          chunk_overlap: c.chunkOverlap,
          keep_separator: (c.keepSeparator ?? true) ? "start" : "none",
          separators: c.separators ?? ["\n\n", "\n", " ", ""],
          length_unit: unit,
        },
        reference: same ? "langchain.js" : "langchain.js+python-fixes",
        chunks: fixed,
      });
    }
  }
  const file = path.join(outDir, `recursive_${unit}.json`);
  const doc = {
    generator: "tests/retrieval/make_splitter_goldens.mjs",
    langchain_textsplitters: version,
    length_unit: unit,
    inputs,
    cases,
  };
  fs.writeFileSync(file, JSON.stringify(doc, null, 1) + "\n");
  console.log(`${file}: ${cases.length} cases, ${patched} with python fixes`);
}
