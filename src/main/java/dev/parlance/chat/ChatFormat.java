package dev.parlance.chat;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Hand-written prompt formats, used only when a model ships no {@code chat_template} of its own.
 * Each is a Jinja template rendered by the same engine, with the special tokens its family uses
 * when the model folder does not name them.
 */
public enum ChatFormat {
    /** OpenAI's ChatML ({@code <|im_start|>role\n...<|im_end|>}): Qwen, SmolLM, Hermes, Yi. */
    CHATML("""
            {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] \
            + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}\
            {% endif %}""",
            Map.of("eos_token", "<|im_end|>"), List.of("<|im_end|>")),

    /** Llama 2 chat: {@code <s>[INST] <<SYS>>...<</SYS>> user [/INST] answer </s>}. */
    LLAMA2("""
            {% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}\
            {% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}\
            {% set system_message = false %}{% endif %}{% for message in loop_messages %}\
            {% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\
            {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}\
            {% if loop.index0 == 0 and system_message != false %}\
            {% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}\
            {% else %}{% set content = message['content'] %}{% endif %}\
            {% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}\
            {% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}\
            {% endfor %}""",
            Map.of("bos_token", "<s>", "eos_token", "</s>"), List.of("</s>")),

    /** Llama 3 instruct: {@code <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}. */
    LLAMA3("""
            {% set loop_messages = messages %}{% for message in loop_messages %}\
            {% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' \
            + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}\
            {% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}\
            {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}""",
            Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"), List.of("<|eot_id|>")),

    /** Mistral / Mixtral instruct ({@code [INST] ... [/INST]}), the system prompt joined to the first turn. */
    MISTRAL("""
            {%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}\
            {%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}\
            {{- bos_token }}{%- for message in loop_messages %}\
            {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\
            {{- raise_exception('After the optional system message, conversation roles must alternate \
            user/assistant/user/assistant/...') }}{%- endif %}{%- if message['role'] == 'user' %}\
            {%- if loop.first and system_message is defined %}\
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\
            {%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}\
            {%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token }}\
            {%- else %}{{- raise_exception('Only user and assistant roles are supported, with the exception \
            of an initial optional system message!') }}{%- endif %}{%- endfor %}""",
            Map.of("bos_token", "<s>", "eos_token", "</s>"), List.of("</s>")),

    /** Zephyr / TinyLlama chat: {@code <|user|>\n...</s>\n<|assistant|>\n}. */
    ZEPHYR("""
            {% for message in messages %}{% if message['role'] == 'user' %}\
            {{ '<|user|>\\n' + message['content'] + eos_token }}{% elif message['role'] == 'system' %}\
            {{ '<|system|>\\n' + message['content'] + eos_token }}{% elif message['role'] == 'assistant' %}\
            {{ '<|assistant|>\\n'  + message['content'] + eos_token }}{% endif %}\
            {% if loop.last and add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}{% endfor %}""",
            Map.of("bos_token", "<s>", "eos_token", "</s>"), List.of("</s>", "<|user|>")),

    /**
     * No chat format at all, for base models (GPT-2, stories260K): a lone user message is sent as
     * its bare text, so the model simply continues it; a longer conversation becomes a
     * {@code User:}/{@code Assistant:} transcript, and generation stops where the model starts
     * writing the user's next line.
     */
    PLAIN("""
            {%- if messages|length == 1 and messages[0]['role'] == 'user' -%}{{ messages[0]['content'] }}\
            {%- else -%}{%- for message in messages -%}\
            {%- if message['role'] == 'system' -%}{{ message['content'] + '\\n\\n' }}\
            {%- elif message['role'] == 'user' -%}{{ 'User: ' + message['content'] + '\\n' }}\
            {%- else -%}{{ 'Assistant: ' + message['content'] + '\\n' }}{%- endif -%}\
            {%- endfor -%}{%- if add_generation_prompt -%}{{ 'Assistant:' }}{%- endif -%}{%- endif -%}""",
            Map.of(), List.of("\nUser:"));

    private final String source;
    private final Map<String, String> defaultTokens;
    private final List<String> stopStrings;

    ChatFormat(String source, Map<String, String> defaultTokens, List<String> stopStrings) {
        this.source = source;
        this.defaultTokens = defaultTokens;
        this.stopStrings = stopStrings;
    }

    /** The Jinja source of this format. */
    public String source() {
        return source;
    }

    /** Special tokens the family uses ({@code bos_token}, {@code eos_token}), for models that name none. */
    public Map<String, String> defaultTokens() {
        return defaultTokens;
    }

    /** Strings that end the assistant's turn in this format. */
    public List<String> stopStrings() {
        return stopStrings;
    }

    /**
     * Guesses the format of a model without a chat template from the special tokens its tokenizer
     * defines; a model with no chat tokens is treated as a base model ({@link #PLAIN}).
     *
     * @param specialTokens the text of every added or special token of the tokenizer
     */
    public static ChatFormat detect(Collection<String> specialTokens) {
        if (specialTokens.contains("<|im_start|>")) {
            return CHATML;
        }
        if (specialTokens.contains("<|start_header_id|>")) {
            return LLAMA3;
        }
        if (specialTokens.contains("[INST]")) {
            return MISTRAL;
        }
        if (specialTokens.contains("<|assistant|>") && specialTokens.contains("<|user|>")) {
            return ZEPHYR;
        }
        return PLAIN;
    }
}
