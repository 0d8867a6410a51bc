#!/usr/bin/env python3
"""Trains the zstd dictionary that stored entries (format version 2) are compressed with.

The corpus is this repository's own documentation and source comments, wrapped in the shapes that entries hold: a Message JSON body
in the API's 2025 key order, and the same answer as an SSE stream (padded data lines, pings, cumulative usage).
It teaches zstd the JSON and SSE structure and common English; it deliberately contains none of the test
workload's text nor the answer corpus (tests/ClaudeCache.Testing/Corpus), so the compression figures in
docs/benchmarks.md are measured out of sample. Stores then train their own dictionaries on their own entries
(format version 3, docs/decisions/0007-trained-dictionaries.md); this one is what they use until they have.

Usage (needs python3 and the zstd command-line tool):  python3 tools/entry-dictionary/train.py
Writes src/ClaudeCache.Core/Entries/entries-v2.zdict. A new dictionary is a new stored-format version: never
overwrite the file a released format version reads.
"""
import glob, json, os, random, subprocess, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "src", "ClaudeCache.Core", "Entries", "entries-v2.zdict")
random.seed(20261126)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
MODELS = ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805", "claude-sonnet-4-20250514"]

def rid(prefix, n=24):
    return prefix + "".join(random.choice(ALPHABET) for _ in range(n))

def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

def usage(inp, out):
    return {"input_tokens": inp, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": out, "service_tier": "standard", "inference_geo": "not_available"}

def message(text):
    return {"model": random.choice(MODELS), "id": rid("msg_01"), "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage(random.randint(50, 6000), max(1, len(text) // 4))}

def sse(msg):
    def event(name, data, pad=True):
        body = compact(data)
        if pad and name != "ping":
            body = body[:-1] + " " * random.randint(5, 40) + "}"
        return f"event: {name}\ndata: {body}\n\n"
    start = dict(msg, content=[], stop_reason=None, usage=usage(msg["usage"]["input_tokens"], 1))
    parts = [event("message_start", {"type": "message_start", "message": start}), "event: ping\ndata: {\"type\": \"ping\"}\n\n",
             event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
    text = msg["content"][0]["text"]
    for i in range(0, len(text), 20):
        parts.append(event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text[i:i + 20]}}))
    parts.append(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    u = msg["usage"]
    parts.append(event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                         "usage": {"input_tokens": u["input_tokens"], "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": u["output_tokens"]}}))
    parts.append(event("message_stop", {"type": "message_stop"}))
    return "".join(parts)

def main():
    files = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)) + [os.path.join(ROOT, "README.md")]
    text = " ".join(open(f, encoding="utf-8").read() for f in files)
    # Comments of the engine's sources: more plain English prose (the test fakes' text stays out of the corpus).
    for source in sorted(glob.glob(os.path.join(ROOT, "src", "**", "*.cs"), recursive=True)):
        for line in open(source, encoding="utf-8"):
            stripped = line.strip()
            if stripped.startswith("//"):
                text += " " + stripped.lstrip("/").replace("<summary>", "").replace("</summary>", "").strip()
    words = text.split()
    with tempfile.TemporaryDirectory() as samples:
        i = n = 0
        while i < len(words) - 100:
            k = random.randint(80, 600)
            msg = message(" ".join(words[i:i + k]))
            i += k
            body = compact(msg)
            if n % 3 == 2:
                body += sse(msg)
            with open(os.path.join(samples, f"{n}.txt"), "w", encoding="utf-8") as f:
                f.write(body)
            n += 1
        subprocess.run(["zstd", "--train", "-q", "-f", "--maxdict=32768", "-o", OUT] + [os.path.join(samples, f) for f in os.listdir(samples)], check=True)
    print(f"{n} samples -> {OUT} ({os.path.getsize(OUT)} bytes)")

if __name__ == "__main__":
    main()
