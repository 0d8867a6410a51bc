// Drives the official TypeScript SDK against a ClaudeCache proxy.
// Usage: node sdk-check.mjs <baseURL> <mode>
//   mode "json":   messages.create twice (non-streaming)
//   mode "stream": messages.stream(...).finalMessage() twice
//   mode "cross":  streaming first, then non-streaming (stored stream -> JSON), and the other way round
// Prints one JSON object: {"results":[{message, xCache}...]} for the C# test to compare.
import Anthropic from '@anthropic-ai/sdk';

const [baseURL, mode] = process.argv.slice(2);
const client = new Anthropic({ baseURL, apiKey: 'sk-ant-sdk-js-test', maxRetries: 0 });

const params = (text) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 512,
  system: 'You are a real-estate assistant.',
  messages: [{ role: 'user', content: text }],
});

async function viaJson(text) {
  const { data, response } = await client.messages.create(params(text)).withResponse();
  return { message: data, xCache: response.headers.get('x-cache') };
}

async function viaStream(text) {
  const stream = client.messages.stream(params(text));
  const message = await stream.finalMessage();
  const response = await stream.withResponse().then((r) => r.response).catch(() => null);
  return { message, xCache: response ? response.headers.get('x-cache') : null };
}

const results = [];
if (mode === 'json') {
  results.push(await viaJson('Analyse 12 Oak Street (JS, json)'));
  results.push(await viaJson('Analyse 12 Oak Street (JS, json)'));
} else if (mode === 'stream') {
  results.push(await viaStream('Analyse 12 Oak Street (JS, stream)'));
  results.push(await viaStream('Analyse 12 Oak Street (JS, stream)'));
} else if (mode === 'cross') {
  results.push(await viaStream('Stored as a stream, read as JSON (JS)'));
  results.push(await viaJson('Stored as a stream, read as JSON (JS)'));
  results.push(await viaJson('Stored as JSON, read as a stream (JS)'));
  results.push(await viaStream('Stored as JSON, read as a stream (JS)'));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

process.stdout.write(JSON.stringify({ results }));
