namespace GuardedAI.Sdk.Tests;

/// <summary>Answers in OpenAI's chat-completions wire format (https://platform.openai.com/docs/api-reference/chat).</summary>
internal static class OpenAIWire
{
    public static string Completion(string model, string text, long prompt, long completion, long cached = 0, long reasoning = 0) => $$$"""
        {"id":"chatcmpl-1","object":"chat.completion","created":1760000000,"model":"{{{model}}}","system_fingerprint":"fp_1",
         "choices":[{"index":0,"message":{"role":"assistant","content":{{{Quote(text)}}},"refusal":null},"logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}},
                  "prompt_tokens_details":{"cached_tokens":{{{cached}}},"audio_tokens":0},
                  "completion_tokens_details":{"reasoning_tokens":{{{reasoning}}},"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0} } }
        """;

    public static string ToolCall(string model, string callId, string function, string argumentsJson, long prompt, long completion) => $$$"""
        {"id":"chatcmpl-2","object":"chat.completion","created":1760000000,"model":"{{{model}}}",
         "choices":[{"index":0,"message":{"role":"assistant","content":null,
            "tool_calls":[{"id":"{{{callId}}}","type":"function","function":{"name":"{{{function}}}","arguments":{{{Quote(argumentsJson)}}}}}]},
            "logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}}}
        """;

    /// <summary>A streamed answer: one chunk per piece of text, then (when <paramref name="usage"/> is given) the final
    /// chunk with no choices and the usage that <c>stream_options.include_usage</c> asks for, then <c>[DONE]</c>.</summary>
    public static string[] Stream(string model, IEnumerable<string> pieces, (long Prompt, long Completion, long Cached)? usage, bool done = true)
    {
        var events = new List<string> { Chunk(model, """{"role":"assistant","content":""}""", null) };
        events.AddRange(pieces.Select(p => Chunk(model, $$$"""{"content":{{{Quote(p)}}}}""", null)));
        if (!done) return events.ToArray();
        events.Add(Chunk(model, "{}", "\"stop\""));
        if (usage is { } u)
        {
            events.Add($$$"""data: {"id":"chatcmpl-3","object":"chat.completion.chunk","created":1760000000,"model":"{{{model}}}","choices":[],"usage":{"prompt_tokens":{{{u.Prompt}}},"completion_tokens":{{{u.Completion}}},"total_tokens":{{{u.Prompt + u.Completion}}},"prompt_tokens_details":{"cached_tokens":{{{u.Cached}}}} } }""");
        }
        events.Add("data: [DONE]");
        return events.ToArray();
    }

    public static string Error(string type, string message) => $$$"""{"error":{"message":{{{Quote(message)}}},"type":"{{{type}}}","param":null,"code":null}}""";

    private static string Chunk(string model, string delta, string? finish) =>
        $$$"""data: {"id":"chatcmpl-3","object":"chat.completion.chunk","created":1760000000,"model":"{{{model}}}","choices":[{"index":0,"delta":{{{delta}}},"logprobs":null,"finish_reason":{{{finish ?? "null"}}}}]}""";

    public static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
