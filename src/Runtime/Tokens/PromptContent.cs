using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// How each kind of chat content is measured: what text it is counted as, how many characters it adds to a prompt,
/// and which kinds are counted by size instead of tokenized. Every kind counts; nothing is free because GuardedAI
/// does not know it.
/// <list type="table">
/// <item><term>Text, reasoning</term><description>its text (reasoning's protected data too).</description></item>
/// <item><term>Function call</term><description>its name and its arguments as JSON.</description></item>
/// <item><term>Function result</term><description>a string result as it is, anything else as JSON.</description></item>
/// <item><term>Image (data or URI)</term><description><see cref="TokensPerImage"/> tokens; nothing is read, so no characters.</description></item>
/// <item><term>Text-like data (<c>text/*</c>, JSON, XML)</term><description>its UTF-8 text.</description></item>
/// <item><term>Other binary data (audio, PDF, files)</term><description>one token per 4 characters of its base64 form: a size estimate, since no offline counter exists.</description></item>
/// <item><term>URI</term><description>the URI's text.</description></item>
/// <item><term>Usage</term><description>nothing (never sent).</description></item>
/// <item><term>Anything else</term><description>its JSON.</description></item>
/// </list>
/// Serializing stops once it passes the characters still allowed, so a huge object costs no more to reject than a
/// small one; a serialization that fits is kept with the content (a chat re-sends its history).
/// </summary>
internal static class PromptContent
{
    /// <summary>Tokens charged for an image, whatever its size: a high-detail 1024×1024 image in OpenAI's accounting.</summary>
    public const int TokensPerImage = 765;

    // What a content was rendered to (or, when rendering gave up past a limit, how far it got): a chat re-sends its
    // history, so each content is rendered once, and one known to be too large is rejected again without rendering.
    private static readonly ConditionalWeakTable<AIContent, Rendered> s_rendered = new();

    private sealed record Rendered(string? Text, long Size);

    /// <summary>Characters <paramref name="content"/> adds to a prompt; more than <paramref name="limit"/> once it passes it.</summary>
    public static long Characters(AIContent content, long limit) => content switch
    {
        TextContent text => text.Text?.Length ?? 0,
        TextReasoningContent reasoning => (reasoning.Text?.Length ?? 0) + (reasoning.ProtectedData?.Length ?? 0),
        DataContent data when data.HasTopLevelMediaType("image") => 0,
        DataContent data when IsTextLike(data.MediaType) => data.Data.Length, // UTF-8 bytes ≥ characters
        DataContent data => Base64Length(data.Data.Length),
        UriContent uri when uri.HasTopLevelMediaType("image") => 0,
        UriContent uri => uri.Uri.OriginalString.Length,
        UsageContent => 0,
        FunctionResultContent { Result: string result } => result.Length,
        FunctionResultContent { Result: null } => 0,
        FunctionResultContent result => FunctionResultCharacters(result, limit),
        _ => SerializedLength(content, limit),
    };

    // A JsonElement in a method's body is a value type of another assembly: code compiled ahead of time checks its
    // layout when the method is entered, which loads System.Text.Json. Kept out of Characters, which every message's
    // text goes through on a process's first call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long FunctionResultCharacters(FunctionResultContent content, long limit) =>
        content.Result is JsonElement element ? RawLength(element) : SerializedLength(content, limit);

    /// <summary>Tokens of a content counted by its kind or size rather than tokenized; 0 for content counted as text.</summary>
    public static long FixedTokens(AIContent content) => content switch
    {
        DataContent data when data.HasTopLevelMediaType("image") => TokensPerImage,
        UriContent uri when uri.HasTopLevelMediaType("image") => TokensPerImage,
        DataContent data when !IsTextLike(data.MediaType) => (Base64Length(data.Data.Length) + 3) / 4,
        _ => 0,
    };

    /// <summary>The text <paramref name="content"/> is counted as, or null when it is counted by <see cref="FixedTokens"/> or not at all.</summary>
    public static string? Text(AIContent content) => content switch
    {
        TextContent text => text.Text,
        TextReasoningContent { ProtectedData: { Length: > 0 } data } reasoning => reasoning.Text + data,
        TextReasoningContent reasoning => reasoning.Text,
        DataContent data when data.HasTopLevelMediaType("image") || !IsTextLike(data.MediaType) => null,
        UriContent uri when uri.HasTopLevelMediaType("image") => null,
        UriContent uri => uri.Uri.OriginalString,
        UsageContent => null,
        FunctionResultContent { Result: string result } => result,
        FunctionResultContent { Result: null } => null,
        _ => s_rendered.TryGetValue(content, out var known) && known.Text is not null ? known.Text : Remember(content, Render(content, long.MaxValue, out var size), size),
    };

    private static long SerializedLength(AIContent content, long limit)
    {
        if (s_rendered.TryGetValue(content, out var known) && (known.Text is not null || known.Size > limit)) return known.Text?.Length ?? known.Size;
        var text = Render(content, limit, out var size);
        Remember(content, text, size);
        return text?.Length ?? size;
    }

    private static string? Remember(AIContent content, string? text, long size)
    {
        s_rendered.AddOrUpdate(content, new Rendered(text, size));
        return text;
    }

    /// <summary>The text of a content that must be rendered: JSON, a decoded text document, a call's name and arguments.</summary>
    private static string? Render(AIContent content, long maxBytes, out long size)
    {
        switch (content)
        {
            case DataContent data:
                size = data.Data.Length;
                return size > maxBytes ? null : Encoding.UTF8.GetString(data.Data.Span);
            case FunctionResultContent { Result: JsonElement element }:
                var raw = JsonMarshal.GetRawUtf8Value(element);
                size = raw.Length;
                return size > maxBytes ? null : Encoding.UTF8.GetString(raw);
            case FunctionResultContent result:
                return Json(result.Result!, result.Result!.GetType(), maxBytes, out size);
            case FunctionCallContent call:
                var name = call.Name ?? string.Empty;
                long argumentsSize = 0;
                var arguments = call.Arguments is null ? string.Empty : Json(call.Arguments, call.Arguments.GetType(), maxBytes - name.Length, out argumentsSize);
                size = name.Length + (arguments?.Length ?? argumentsSize);
                return arguments is null ? null : name + arguments;
            default:
                return Json(content, content.GetType(), maxBytes, out size);
        }
    }

    private static string? Json(object value, Type type, long maxBytes, out long size)
    {
        try
        {
            return BoundedJson.Serialize(value, type, Math.Max(0, maxBytes), out size);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            // A type the serializer cannot write: count what it says of itself rather than nothing.
            var text = value.ToString() ?? string.Empty;
            size = text.Length;
            return size > maxBytes ? null : text;
        }
    }

    private static long RawLength(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? 0 : JsonMarshal.GetRawUtf8Value(element).Length;

    private static long Base64Length(long bytes) => (bytes + 2) / 3 * 4;

    private static bool IsTextLike(string? mediaType)
    {
        if (string.IsNullOrEmpty(mediaType)) return false;
        var type = mediaType.AsSpan();
        var semicolon = type.IndexOf(';');
        if (semicolon >= 0) type = type[..semicolon].Trim();
        return type.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/xml", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase);
    }
}
