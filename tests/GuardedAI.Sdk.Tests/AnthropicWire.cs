namespace GuardedAI.Sdk.Tests;

/// <summary>Answers in Anthropic's Messages API wire format (https://docs.anthropic.com/en/api/messages).</summary>
internal static class AnthropicWire
{
    public static string Message(string model, string text, long input, long output, long cacheRead = 0, long cacheWrite = 0) =>
        Envelope(model, $$$"""[{"type":"text","text":{{{OpenAIWire.Quote(text)}}}}]""", "end_turn", input, output, cacheRead, cacheWrite);

    public static string ToolUse(string model, string id, string name, string inputJson, long input, long output) =>
        Envelope(model, $$$"""[{"type":"tool_use","id":"{{{id}}}","name":"{{{name}}}","input":{{{inputJson}}}}]""", "tool_use", input, output, 0, 0);

    private static string Envelope(string model, string content, string stop, long input, long output, long cacheRead, long cacheWrite) => $$$"""
        {"id":"msg_01","type":"message","role":"assistant","model":"{{{model}}}","content":{{{content}}},
         "stop_reason":"{{{stop}}}","stop_sequence":null,
         "usage":{"input_tokens":{{{input}}},"cache_creation_input_tokens":{{{cacheWrite}}},"cache_read_input_tokens":{{{cacheRead}}},"output_tokens":{{{output}}} } }
        """;

    /// <summary>A streamed answer: <c>message_start</c> carries the input usage, <c>message_delta</c> the final output count.</summary>
    public static string[] Stream(string model, IEnumerable<string> pieces, long input, long output, long cacheRead = 0)
    {
        var events = new List<string>
        {
            Event("message_start", $$$"""{"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","model":"{{{model}}}","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":{{{input}}},"cache_creation_input_tokens":0,"cache_read_input_tokens":{{{cacheRead}}},"output_tokens":1} } }"""),
            Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
        };
        events.AddRange(pieces.Select(p => Event("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":{{{OpenAIWire.Quote(p)}}} } }""")));
        events.Add(Event("content_block_stop", """{"type":"content_block_stop","index":0}"""));
        events.Add(Event("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":{{{output}}} } }"""));
        events.Add(Event("message_stop", """{"type":"message_stop"}"""));
        return events.ToArray();
    }

    public static string Error(string type, string message) => $$$"""{"type":"error","error":{"type":"{{{type}}}","message":{{{OpenAIWire.Quote(message)}}} } }""";

    private static string Event(string name, string data) => $"event: {name}\ndata: {data}";
}
