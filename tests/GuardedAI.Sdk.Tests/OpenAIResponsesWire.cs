namespace GuardedAI.Sdk.Tests;

/// <summary>Answers in OpenAI's Responses API wire format (https://platform.openai.com/docs/api-reference/responses).</summary>
internal static class OpenAIResponsesWire
{
    public static string Response(string model, string text, long input, long output, long cached = 0, long reasoning = 0, string status = "completed") => $$$"""
        {"id":"resp_1","object":"response","created_at":1760000000,"status":"{{{status}}}","model":"{{{model}}}",
         "error":null,"incomplete_details":null,"instructions":null,"metadata":{},"parallel_tool_calls":true,
         "temperature":1.0,"top_p":1.0,"tool_choice":"auto","tools":[],
         "output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant",
                    "content":[{"type":"output_text","text":{{{OpenAIWire.Quote(text)}}},"annotations":[]}]}],
         "usage":{"input_tokens":{{{input}}},"input_tokens_details":{"cached_tokens":{{{cached}}}},
                  "output_tokens":{{{output}}},"output_tokens_details":{"reasoning_tokens":{{{reasoning}}}},"total_tokens":{{{input + output}}} } }
        """;

    /// <summary>A streamed response: <c>response.created</c>, one <c>response.output_text.delta</c> per piece, and
    /// <c>response.completed</c> carrying the whole response with its usage.</summary>
    public static string[] Stream(string model, IReadOnlyList<string> pieces, long input, long output)
    {
        var seq = 0;
        var events = new List<string>
        {
            Event("response.created", $$$"""{"type":"response.created","sequence_number":{{{seq++}}},"response":{{{Flat(Response(model, "", 0, 0, status: "in_progress"))}}}}"""),
        };
        foreach (var p in pieces)
        {
            events.Add(Event("response.output_text.delta",
                $$$"""{"type":"response.output_text.delta","sequence_number":{{{seq++}}},"item_id":"msg_1","output_index":0,"content_index":0,"delta":{{{OpenAIWire.Quote(p)}}} }"""));
        }
        events.Add(Event("response.completed", $$$"""{"type":"response.completed","sequence_number":{{{seq}}},"response":{{{Flat(Response(model, string.Concat(pieces), input, output))}}} }"""));
        return events.ToArray();
    }

    private static string Flat(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.GetRawText().ReplaceLineEndings(" ");

    private static string Event(string name, string data) => $"event: {name}\ndata: {data}";
}
