namespace GuardedAI;

/// <summary>The usage a guarded call settles with, and whether the provider reported it (false: GuardedAI counted it).</summary>
/// <remarks>A struct of GuardedAI's own rather than a tuple: the package's ReadyToRun image holds its code, where a
/// <c>ValueTuple&lt;TokenUsage, bool&gt;</c> was compiled just in time on a process's first call.</remarks>
internal readonly record struct CallUsage(TokenUsage Usage, bool Reported);
