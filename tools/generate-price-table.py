#!/usr/bin/env python3
"""Builds src/Runtime/Pricing/prices.json, the embedded price table, from a LiteLLM
model_prices_and_context_window.json snapshot (../shared/data/). Prices are stored per 1M tokens.

Usage: python3 tools/generate-price-table.py ../shared/data/litellm-model-prices-2026-07-24.json 2026-07-24
"""
import json, re, sys

src, as_of = sys.argv[1], sys.argv[2]
data = json.load(open(src))

# Providers we ship prices for, and how their ids appear in the LiteLLM file.
PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google",
             "vertex_ai-language-models": "google", "vertex_ai-embedding-models": "google", "mistral": "mistral"}
SKIP = re.compile(r"(audio|realtime|tts|transcribe|search|image|computer-use|robotics|live|ocr|diarize|:|deep-research|native)")

def per_million(value):
    if value is None:
        return None
    return float(round(value * 1_000_000, 6))

models = {}
for key, entry in data.items():
    if not isinstance(entry, dict) or entry.get("mode") not in ("chat", "embedding", "responses"):
        continue
    provider = PROVIDERS.get(entry.get("litellm_provider", ""))
    if provider is None:
        continue
    model_id = key.split("/", 1)[1] if key.startswith("mistral/") else key
    if "/" in model_id or SKIP.search(model_id):
        continue
    if entry.get("input_cost_per_token") is None:
        continue
    price = {
        "provider": provider,
        "mode": "embedding" if entry["mode"] == "embedding" else "chat",
        "input": per_million(entry.get("input_cost_per_token")),
        "output": per_million(entry.get("output_cost_per_token", 0.0)),
        "cachedInput": per_million(entry.get("cache_read_input_token_cost")),
        "cacheWrite": per_million(entry.get("cache_creation_input_token_cost")),
        "reasoning": per_million(entry.get("output_cost_per_reasoning_token")),
    }
    for threshold in ("128k", "200k", "256k", "272k"):
        long_input = entry.get(f"input_cost_per_token_above_{threshold}_tokens")
        if long_input is not None:
            price["longContextThreshold"] = int(threshold[:-1]) * 1000
            price["longContextInput"] = per_million(long_input)
            price["longContextOutput"] = per_million(entry.get(f"output_cost_per_token_above_{threshold}_tokens"))
            price["longContextCachedInput"] = per_million(entry.get(f"cache_read_input_token_cost_above_{threshold}_tokens"))
            break
    models[model_id] = {k: v for k, v in price.items() if v is not None}

aliases = {
    "chatgpt-4o-latest": "gpt-4o",
    "gpt-4o-latest": "gpt-4o",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-3-haiku": "claude-3-haiku-20240307",
    "claude-3-opus": "claude-3-opus-20240229",
    "claude-sonnet-4": "claude-sonnet-4-20250514",
    "claude-opus-4": "claude-opus-4-20250514",
}
aliases = {a: t for a, t in aliases.items() if t in models and a not in models}

out = {"asOf": as_of, "source": "LiteLLM model_prices_and_context_window.json snapshot; USD per 1M tokens",
       "models": dict(sorted(models.items())), "aliases": dict(sorted(aliases.items()))}
json.dump(out, open("src/Runtime/Pricing/prices.json", "w"), indent=1)
print(f"{len(models)} models, {len(aliases)} aliases")

# GAI003 knows exactly the models of this table: regenerate src/Shared/KnownModelIds.g.cs from it.
import runpy, os
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "generate-known-model-ids.py"), run_name="__main__")
