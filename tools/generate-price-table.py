#!/usr/bin/env python3
"""Builds src/Runtime/Pricing/prices.json, the embedded price table, from a LiteLLM
model_prices_and_context_window.json snapshot, and the LiteLLM-format test fixture
tests/GuardedAI.Runtime.Tests/Fixtures/litellm-model-prices.json (the source entries of every embedded model,
cost fields only, plus a few entries that exercise the loader). Prices in the table are per 1M tokens.

Usage: python3 tools/generate-price-table.py ../shared/data/litellm-model-prices-2026-07-24.json 2026-07-24

Ids are kept exactly as LiteLLM spells them, provider prefix included ("gemini/gemini-flash-latest" and
"gemini-flash-latest" are different entries with different prices). A prefixed id whose bare id is not an entry
of its own gets an alias from the bare id ("mistral-large-latest" -> "mistral/mistral-large-latest").
"""
import json, re, sys
from decimal import Decimal

src, as_of = sys.argv[1], sys.argv[2]
data = json.load(open(src), parse_float=Decimal)   # exact literals for the table
raw = json.load(open(src))                          # the same, as the file's own numbers, for the fixture

# Providers we ship prices for, and how their ids appear in the LiteLLM file.
PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google",
             "vertex_ai-language-models": "google", "vertex_ai-embedding-models": "google", "mistral": "mistral"}
# A provider prefix is kept only when it names the entry's own provider.
PREFIXES = {"gemini/": "gemini", "mistral/": "mistral"}
SKIP = re.compile(r"(audio|realtime|tts|transcribe|search|image|computer-use|robotics|live|ocr|diarize|:|deep-research|native)")
THRESHOLDS = ("128k", "200k", "256k", "272k", "512k")


def per_million(value):
    """USD per token (the file's literal, read as an exact decimal) -> USD per 1M tokens."""
    if value is None:
        return None
    scaled = (Decimal(value) * 1_000_000).normalize()
    return int(scaled) if scaled == scaled.to_integral_value() else float(str(scaled))


def table_id(key, entry):
    """The id the table keeps for a LiteLLM key, or None when the entry is not shipped."""
    if "/" not in key:
        return key
    for prefix, provider in PREFIXES.items():
        if key.startswith(prefix) and entry.get("litellm_provider") == provider and "/" not in key[len(prefix):]:
            return key
    return None


models, sources = {}, {}
for key, entry in data.items():
    if not isinstance(entry, dict) or entry.get("mode") not in ("chat", "embedding", "responses"):
        continue
    provider = PROVIDERS.get(entry.get("litellm_provider", ""))
    if provider is None:
        continue
    model_id = table_id(key, entry)
    if model_id is None or SKIP.search(model_id.split("/")[-1]):
        continue
    if entry.get("input_cost_per_token") is None:
        continue
    price = {
        "provider": provider,
        "mode": "embedding" if entry["mode"] == "embedding" else "chat",
        "input": per_million(entry.get("input_cost_per_token")),
        "output": per_million(entry.get("output_cost_per_token", 0)),
        "cachedInput": per_million(entry.get("cache_read_input_token_cost")),
        "cacheWrite": per_million(entry.get("cache_creation_input_token_cost")),
        "reasoning": per_million(entry.get("output_cost_per_reasoning_token")),
    }
    for threshold in THRESHOLDS:
        long_input = entry.get(f"input_cost_per_token_above_{threshold}_tokens")
        if long_input is not None:
            price["longContextThreshold"] = int(threshold[:-1]) * 1000
            price["longContextInput"] = per_million(long_input)
            price["longContextOutput"] = per_million(entry.get(f"output_cost_per_token_above_{threshold}_tokens"))
            price["longContextCachedInput"] = per_million(entry.get(f"cache_read_input_token_cost_above_{threshold}_tokens"))
            price["longContextCacheWrite"] = per_million(entry.get(f"cache_creation_input_token_cost_above_{threshold}_tokens"))
            break
    models[model_id] = {k: v for k, v in price.items() if v is not None}
    sources[model_id] = key

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
for model_id in models:
    if "/" in model_id:
        aliases.setdefault(model_id.split("/", 1)[1], model_id)
aliases = {a: t for a, t in aliases.items() if t in models and a not in models}

out = {"asOf": as_of, "source": "LiteLLM model_prices_and_context_window.json snapshot; USD per 1M tokens",
       "models": dict(sorted(models.items())), "aliases": dict(sorted(aliases.items()))}
with open("src/Runtime/Pricing/prices.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")

# The test fixture: what the tests need of the LiteLLM file, so they never read outside the repository.
EXTRA = ["sample_spec",                       # LiteLLM's documentation entry: no real prices
         "gpt-image-1",                       # an image model: no input_cost_per_token
         "azure/gpt-4o", "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",  # providers the table does not ship
         "openrouter/openai/gpt-4o",
         "dall-e-3", "tts-1"]                  # no token prices: skipped by the loader


def keep(field):
    return "cost" in field or field in ("mode", "litellm_provider", "max_input_tokens", "max_output_tokens")


fixture = {}
for key in sorted(set(sources.values()) | {k for k in EXTRA if k in data}):
    fixture[key] = {f: v for f, v in raw[key].items() if keep(f)}
with open("tests/GuardedAI.Runtime.Tests/Fixtures/litellm-model-prices.json", "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
print(f"{len(models)} models, {len(aliases)} aliases; fixture: {len(fixture)} entries")

# GAI003 knows exactly the models of this table: regenerate src/Shared/KnownModelIds.g.cs from it.
import runpy, os
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "generate-known-model-ids.py"), run_name="__main__")
# The runtime compiles the table in: regenerate src/Runtime/Pricing/EmbeddedPriceTable.g.cs from it too.
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "generate-embedded-prices.py"), run_name="__main__")
