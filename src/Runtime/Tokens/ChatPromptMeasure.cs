using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Measures everything a chat request sends and is billed for as input: the messages (every content kind, see
/// <see cref="PromptContent"/>), the options' instructions (a system message), the tool definitions (name,
/// description, JSON schema) and a structured-output schema. Both measures stop as soon as they pass their limit, so
/// their cost is linear in what they read and bounded by the limit, whatever the prompt's size or shape.
/// </summary>
internal static class ChatPromptMeasure
{
    /// <summary>The prompt's size in characters; once it passes <paramref name="limit"/>, some number above it.</summary>
    public static long Characters(IEnumerable<ChatMessage> messages, ChatOptions? options, long limit)
    {
        long total = options?.Instructions?.Length ?? 0;
        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools) total += ToolCharacters(tool);
        }
        if (options?.ResponseFormat is { } format) total += SchemaCharacters(format);
        // Indexed when the messages are a list (they nearly always are): a foreach through the interface allocates an enumerator.
        if (messages is IList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count && total <= limit; i++) total = Characters(list[i], total, limit);
        }
        else
        {
            foreach (var message in messages)
            {
                if (total > limit) break;
                total = Characters(message, total, limit);
            }
        }
        return total;
    }

    /// <summary><paramref name="total"/> plus the characters of <paramref name="message"/>, measuring stopped once past <paramref name="limit"/>.</summary>
    private static long Characters(ChatMessage message, long total, long limit)
    {
        total += message.AuthorName?.Length ?? 0;
        var contents = message.Contents;
        for (var i = 0; i < contents.Count && total <= limit; i++) total += PromptContent.Characters(contents[i], limit - total);
        return total;
    }

    /// <summary>The prompt's input tokens; once they pass <paramref name="maxTokens"/>, some number above it.</summary>
    public static long Tokens(ITokenCounter counter, IReadOnlyCollection<ChatMessage> messages, ChatOptions? options, int maxTokens)
    {
        long total = counter.CountMessages(messages, maxTokens);
        if (options?.Instructions is { Length: > 0 } instructions && total <= maxTokens)
        {
            // Providers send instructions as a system message: the message overhead counts too.
            total += counter.CountMessages([new ChatMessage(ChatRole.System, instructions)], Remaining(maxTokens, total));
        }
        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools)
            {
                if (total > maxTokens) return total;
                total += counter.CountText(tool.Name, Remaining(maxTokens, total)) + counter.CountText(tool.Description ?? string.Empty, Remaining(maxTokens, total));
                if (tool is AIFunctionDeclaration function && total <= maxTokens) total += SchemaTokens(counter, function, Remaining(maxTokens, total));
            }
        }
        if (options?.ResponseFormat is { } format && total <= maxTokens) total += SchemaTokens(counter, format, Remaining(maxTokens, total));
        return total;
    }

    // Schemas (a tool's, the response format's) are JsonElements, measured in methods of their own reached only when
    // there is one: code compiled ahead of time checks the layout of another assembly's value type on entering the
    // method that holds one, which loads System.Text.Json, and a process's first call with neither need not wait for it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long SchemaTokens(ITokenCounter counter, AIFunctionDeclaration function, int maxTokens) =>
        counter.CountText(function.JsonSchema.GetRawText(), maxTokens);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long SchemaTokens(ITokenCounter counter, ChatResponseFormat format, int maxTokens) =>
        format is ChatResponseFormatJson { Schema: { } schema } json
            ? counter.CountText((json.SchemaName ?? string.Empty) + (json.SchemaDescription ?? string.Empty) + schema.GetRawText(), maxTokens)
            : 0;

    private static int Remaining(int maxTokens, long total) => (int)Math.Clamp(maxTokens - total, 0, int.MaxValue);

    private static long ToolCharacters(AITool tool) =>
        (tool.Name?.Length ?? 0) + (tool.Description?.Length ?? 0) + (tool is AIFunctionDeclaration function ? RawLength(function.JsonSchema) : 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long SchemaCharacters(ChatResponseFormat format) =>
        format is ChatResponseFormatJson json
            ? (json.SchemaName?.Length ?? 0) + (json.SchemaDescription?.Length ?? 0) + (json.Schema is { } schema ? RawLength(schema) : 0)
            : 0;

    private static long RawLength(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? 0 : JsonMarshal.GetRawUtf8Value(element).Length;
}
