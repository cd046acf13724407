"""Writes byte-level-reference.json: a small byte-level vocabulary as GGUF metadata, and the ids
of texts that the GPT-2 split cuts differently from the Llama 3 split and from SmolLM's, under
- "llama-bpe": transformers' GGUF tokenizer conversion with tokenizer.ggml.pre = "llama-bpe"
  (case-insensitive contractions, digits in groups of three, a space before digits, a punctuation
  character glued to the following word, runs of newlines);
- "smollm": transformers' conversion with SmolLM's pre-tokenizer put in (transformers has none for
  "smollm"), as SmolLM's tokenizer.json has it: Digits(individual_digits) then GPT-2's ByteLevel.
The merges are chosen so that each of these differences changes the ids.

Run from the project root with transformers (5.x) installed:
    python src/test/resources/dev/parlance/inference/tokenizer/byte_level_reference.py
"""
import json
import pathlib

from tokenizers import pre_tokenizers
from transformers.convert_slow_tokenizer import bytes_to_unicode
from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer

MERGES = ["Ġ 2", "2 0", "20 2", "3 4", "' R", "'R E", "( j", "Ċ Ċ", "ĊĊ Ċ", "i t", "Ġ w", "Ġw o"]
TEXTS = [
    "it'RE it'll",
    " 2024 and 12345",
    "(json (x",
    "a\n\n\nb\n\nc",
    "2020202 wow <|endoftext|> wo",
]

tokens = list(bytes_to_unicode().values())
for merge in MERGES:
    tokens.append(merge.replace(" ", ""))
tokens.append("<|endoftext|>")
token_type = [1] * (len(tokens) - 1) + [3]
metadata = {
    "tokenizer.ggml.model": "gpt2",
    "tokenizer.ggml.tokens": tokens,
    "tokenizer.ggml.token_type": token_type,
    "tokenizer.ggml.merges": MERGES,
}
cases = {}
for pre in ("llama-bpe", "smollm"):
    tokenizer_dict = {
        "tokenizer_type": "gpt2",
        "pre_tokenizer_type": pre,
        "tokens": tokens,
        "token_type": token_type,
        "merges": MERGES,
    }
    backend, _ = convert_gguf_tokenizer("llama", tokenizer_dict)
    if pre == "smollm":
        backend.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)])
    cases[pre] = [{"text": text, "ids": backend.encode(text, add_special_tokens=False).ids} for text in TEXTS]
here = pathlib.Path(__file__).parent
(here / "byte-level-reference.json").write_text(
    json.dumps({"metadata": metadata, "cases": cases}, ensure_ascii=False) + "\n")
