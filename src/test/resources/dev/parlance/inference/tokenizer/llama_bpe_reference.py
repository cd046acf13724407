"""Writes llama-bpe-reference.json: a small byte-level vocabulary declared with the Llama 3
pre-tokenizer (tokenizer.ggml.pre = "llama-bpe"), as GGUF metadata, and the ids that transformers'
GGUF tokenizer conversion gives for texts that the GPT-2 and the Llama 3 splits cut differently
(case-insensitive contractions, digits in groups of three, a space before digits, a punctuation
character glued to the following word, runs of newlines). The merges are chosen so that each of
these differences changes the ids.

Run from the project root with transformers (5.x) installed:
    python src/test/resources/dev/parlance/inference/tokenizer/llama_bpe_reference.py
"""
import json
import pathlib

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
    "tokenizer.ggml.pre": "llama-bpe",
    "tokenizer.ggml.tokens": tokens,
    "tokenizer.ggml.token_type": token_type,
    "tokenizer.ggml.merges": MERGES,
}
tokenizer_dict = {
    "tokenizer_type": "gpt2",
    "pre_tokenizer_type": "llama-bpe",
    "tokens": tokens,
    "token_type": token_type,
    "merges": MERGES,
}
backend, _ = convert_gguf_tokenizer("llama", tokenizer_dict)
cases = [{"text": text, "ids": backend.encode(text, add_special_tokens=False).ids} for text in TEXTS]
here = pathlib.Path(__file__).parent
(here / "llama-bpe-reference.json").write_text(
    json.dumps({"metadata": metadata, "cases": cases}, ensure_ascii=False) + "\n")
