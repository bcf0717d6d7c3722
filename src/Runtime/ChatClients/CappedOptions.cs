using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// The options a guard passes down for a call that brought none: the output cap and nothing else. One instance serves
/// every such call of the guard, as an application shares one <see cref="ChatOptions"/> across its calls, instead of a
/// new ~180-byte object per call.
/// </summary>
/// <remarks>
/// Sharing is safe with clients that keep Microsoft.Extensions.AI's rule — read the options given, clone them to change
/// anything (its own middleware does; the provider clients only read). A client beneath the guard that breaks the rule
/// and writes to them is caught at the guard's next call: the instance is checked, property by property, before each
/// use, and a changed one is replaced (and logged), so what one call's client wrote does not reach the calls after it.
/// </remarks>
internal sealed class CappedOptions
{
    private ChatOptions? _shared;

    /// <summary>Options with <see cref="ChatOptions.MaxOutputTokens"/> = <paramref name="cap"/> and every other property unset.</summary>
    /// <param name="cap">The output cap.</param>
    /// <param name="changed">Called with the instance a client changed, before it is replaced.</param>
    /// <remarks>A guard's cap is fixed (its policy's), so an instance that holds anything else, a different cap included,
    /// was written by a client.</remarks>
    public ChatOptions For(int cap, Action<ChatOptions>? changed = null)
    {
        var shared = Volatile.Read(ref _shared);
        if (shared is not null && HoldsOnly(shared, cap)) return shared;
        if (shared is not null) changed?.Invoke(shared);
        var fresh = new ChatOptions { MaxOutputTokens = cap };
        // Two threads that both find it changed each make one; the last written is shared from then on.
        Volatile.Write(ref _shared, fresh);
        return fresh;
    }

    /// <summary>The names of the properties in which <paramref name="options"/> differs from holding only the output cap
    /// <paramref name="cap"/>, for the log: the rare path, by reflection.</summary>
    internal static string Changed(ChatOptions options, int cap)
    {
        var pristine = new ChatOptions { MaxOutputTokens = cap };
        var names = typeof(ChatOptions).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !Equals(p.GetValue(options), p.GetValue(pristine)))
            .Select(p => p.Name);
        return string.Join(", ", names);
    }

    /// <summary>Whether <paramref name="options"/> sets the output cap <paramref name="cap"/> and nothing else. Every
    /// settable property of <see cref="ChatOptions"/> is looked at (a test checks that none is missed).</summary>
    internal static bool HoldsOnly(ChatOptions options, int cap) =>
        options.MaxOutputTokens == cap
        && options.AdditionalProperties is null
        && options.AllowBackgroundResponses is null
        && options.AllowMultipleToolCalls is null
        && options.ContinuationToken is null
        && options.ConversationId is null
        && options.FrequencyPenalty is null
        && options.Instructions is null
        && options.ModelId is null
        && options.PresencePenalty is null
        && options.RawRepresentationFactory is null
        && options.Reasoning is null
        && options.ResponseFormat is null
        && options.Seed is null
        && options.StopSequences is null
        && options.Temperature is null
        && options.ToolMode is null
        && options.Tools is null
        && options.TopK is null
        && options.TopP is null;
}
