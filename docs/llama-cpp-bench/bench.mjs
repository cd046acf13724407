// llama.cpp (prebuilt, through node-llama-cpp) on the same protocol as `parlance bench`:
// a 512-token prompt, then 128 greedy tokens (or PROMPT and DECODE tokens); prints prefill and
// decode tokens/s, and how long loading the model and making its context took.
// Usage: node bench.mjs FILE.gguf THREADS [REPEATS [PROMPT DECODE]]
import {getLlama} from "node-llama-cpp";
const [modelPath, threads, repeats] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 3)];
const [promptTokens, decodeTokens] = [Number(process.argv[5] ?? 512), Number(process.argv[6] ?? 128)];
const llama = await getLlama({gpu: false, build: "never"});
const loadStart = performance.now();
const model = await llama.loadModel({modelPath});
const ctx = await model.createContext({contextSize: 1024, batchSize: Math.min(512, promptTokens), threads, sequences: 1});
console.log(`load ${((performance.now() - loadStart) / 1000).toFixed(2)} s (model and context)`);
const seq = ctx.getSequence();
let seed = 1;
const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const prompt = Array.from({length: promptTokens}, () => 3 + Math.floor(random() * 253));
async function run(tokens, decode) {
    await seq.clearHistory();
    const start = performance.now();
    const it = seq.evaluate(tokens, {temperature: 0});
    await it.next();
    const first = performance.now();
    for (let i = 1; i < decode; i++) await it.next();
    const end = performance.now();
    await it.return();
    return {prefill: tokens.length / ((first - start) / 1000), decode: (decode - 1) / ((end - first) / 1000), ttft: first - start};
}
await run(prompt.slice(0, 16), 8);
for (let r = 0; r < repeats; r++) {
    const x = await run(prompt, decodeTokens);
    console.log(`threads ${threads}: prefill ${x.prefill.toFixed(1)} tok/s, ttft ${x.ttft.toFixed(0)} ms, decode ${x.decode.toFixed(1)} tok/s`);
}
console.log("llama.cpp CPU features:", llama.systemInfo);
