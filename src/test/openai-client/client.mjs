// The official openai package as a client of a running `parlance serve`: the models list, a chat
// completion whole and streamed, a completion, a right and a wrong API key, and errors.
// Run by OpenAiClientTest: node client.mjs BASE_URL API_KEY MODEL
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const messages = [{ role: 'user', content: 'Once upon a time' }];

const models = await client.models.list();
assert.deepEqual(models.data.map((m) => m.id), [model]);

const chat = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
assert.equal(chat.object, 'chat.completion');
assert.equal(chat.choices.length, 1);
assert.equal(chat.choices[0].message.role, 'assistant');
assert.ok(['stop', 'length'].includes(chat.choices[0].finish_reason), chat.choices[0].finish_reason);
assert.ok(chat.usage.prompt_tokens > 0);
assert.ok(chat.usage.completion_tokens <= 8);
assert.equal(chat.usage.total_tokens, chat.usage.prompt_tokens + chat.usage.completion_tokens);

const stream = await client.chat.completions.create({
  model, messages, max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let streamed = '';
let finish = null;
let usage = null;
for await (const chunk of stream) {
  assert.equal(chunk.object, 'chat.completion.chunk');
  const choice = chunk.choices[0];
  streamed += choice?.delta?.content ?? '';
  finish = choice?.finish_reason ?? finish;
  usage = chunk.usage ?? usage;
}
// greedy decoding: the streamed answer is the whole one, token for token
assert.equal(streamed, chat.choices[0].message.content);
assert.equal(finish, chat.choices[0].finish_reason);
assert.deepEqual(
  [usage.prompt_tokens, usage.completion_tokens],
  [chat.usage.prompt_tokens, chat.usage.completion_tokens],
);

const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
assert.equal(completion.object, 'text_completion');
assert.equal(typeof completion.choices[0].text, 'string');
assert.ok(completion.usage.completion_tokens <= 8);

const wrongKey = new OpenAI({ baseURL, apiKey: `${apiKey}-wrong`, maxRetries: 0 });
await assert.rejects(wrongKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key');

await assert.rejects(
  client.chat.completions.create({ model, messages: [] }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages' && e.code === 'empty_array',
);
await assert.rejects(
  client.chat.completions.create({ model: 'no-such-model', messages }),
  (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found',
);
await assert.rejects(
  client.chat.completions.create({ model, messages, n: 2 }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'n',
);

console.log(`ok: ${model}: "${chat.choices[0].message.content}" (${chat.usage.prompt_tokens}+${chat.usage.completion_tokens} tokens)`);
