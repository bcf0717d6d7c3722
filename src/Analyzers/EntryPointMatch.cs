namespace GuardedAI.Analyzers;

/// <summary>An entry point found for a call: the advice of its catalogue row, and whether the call is the SDK's own code.</summary>
internal sealed class EntryPointMatch
{
    public EntryPointMatch(string? advice, bool isSdkOwnCode)
    {
        Advice = advice;
        IsSdkOwnCode = isSdkOwnCode;
    }

    /// <summary>For a provider SDK client no budget can wrap: what to do instead.</summary>
    public string? Advice { get; }

    /// <summary>The catalogue method is declared in the compilation being analysed: the SDK is calling itself.</summary>
    public bool IsSdkOwnCode { get; }
}
