"""Renders the Qwen3 and SmolLM3 chat templates with enable_thinking true, false and unbound.

Run from the project folder: python3 src/test/resources/dev/parlance/chat/thinking/make_thinking_renders.py
It reads the templates and contexts of ../shared/chat-templates and writes thinking_renders.jsonl
next to this script. Jinja2 is set up as transformers' _compile_jinja_template sets it up (see
../shared/chat-templates/README.md), with strftime_now frozen to 2024-07-26.
"""
import datetime
import json
import pathlib

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

SUITE = pathlib.Path("../shared/chat-templates")
OUT = pathlib.Path(__file__).with_name("thinking_renders.jsonl")
TEMPLATES = {"Qwen__Qwen3-0.6B": {"eos_token": "<|im_end|>"}, "HuggingFaceTB__SmolLM3-3B": {"eos_token": "<|im_end|>"}}
CONTEXTS = ["user_only", "three_turns", "system_two_turns", "reasoning_history"]


class Generation(Extension):
    """{% generation %}...{% endgeneration %} renders its body, as transformers' AssistantTracker does."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.datetime(2024, 7, 26).strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

with OUT.open("w", encoding="utf-8") as out:
    for name, tokens in TEMPLATES.items():
        template = env.from_string((SUITE / "templates" / (name + ".jinja")).read_text(encoding="utf-8"))
        for context in CONTEXTS:
            messages = json.loads((SUITE / "contexts" / (context + ".json")).read_text(encoding="utf-8"))["messages"]
            for thinking in (True, False, None):
                kwargs = dict(tokens)
                if thinking is not None:
                    kwargs["enable_thinking"] = thinking
                text = template.render(messages=messages, tools=None, documents=None, add_generation_prompt=True,
                                       **kwargs)
                line = {"template": name, "context": context, "enable_thinking": thinking, "expected": text}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
