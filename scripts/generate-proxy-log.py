#!/usr/bin/env python3
# Writes N synthetic LLM proxy access-log lines for the guardedai import benchmark (docs/benchmarks.md):
# 40% JSON lines with request ids and tenants, 40% JSON lines without (deduplicated by content), 20% common log
# format with usage fields; five models of three providers. Usage: generate-proxy-log.py N FILE
import random, sys
random.seed(1)
models=[("gpt-4o","/v1/chat/completions"),("gpt-4o-mini","/v1/chat/completions"),("claude-3-haiku-20240307","/v1/messages"),("claude-sonnet-4-5","/v1/messages"),("gemini-2.5-pro","/v1beta/models/gemini-2.5-pro:generateContent")]
n=int(sys.argv[1])
with open(sys.argv[2],"w") as f:
    for i in range(n):
        s=i*3  # seconds
        d=1+ (s//86400)%28; h=(s//3600)%24; m=(s//60)%60; sec=s%60
        model,path=models[i%5]
        if i%5==4:
            f.write(f'10.0.{i%250}.{i%200} - - [{d:02d}/Dec/2025:{h:02d}:{m:02d}:{sec:02d} +0000] "POST {path} HTTP/1.1" 200 {1000+i%5000} "-" "python-client/1.0" model={model} input_tokens={100+i%3000} output_tokens={i%700}\n')
        elif i%2==0:
            f.write(f'{{"timestamp": "2025-12-{d:02d}T{h:02d}:{m:02d}:{sec:02d}Z", "path": "{path}", "status": 200, "model": "{model}", "input_tokens": {100+i%4000}, "output_tokens": {i%900}, "request_id": "req-{i}", "tenant": "t{i%50}"}}\n')
        else:
            f.write(f'{{"timestamp": "2025-12-{d:02d}T{h:02d}:{m:02d}:{sec:02d}Z", "path": "{path}", "status": {200 if i%37 else 500}, "model": "{model}", "input_tokens": {100+i%4000}, "output_tokens": {i%900}}}\n')
