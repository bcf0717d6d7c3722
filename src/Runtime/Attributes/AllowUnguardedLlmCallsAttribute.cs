namespace GuardedAI;

/// <summary>
/// Suppresses GAI001 ("unguarded LLM call") for the annotated member, type or assembly. A justification is
/// required so that every exception to the budget is explained where it is made.
/// </summary>
[AttributeUsage(
    AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method |
    AttributeTargets.Constructor | AttributeTargets.Property | AttributeTargets.Field,
    AllowMultiple = false, Inherited = false)]
public sealed class AllowUnguardedLlmCallsAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="justification">Why calls here may bypass a budget.</param>
    public AllowUnguardedLlmCallsAttribute(string justification) => Justification = justification;

    /// <summary>Why calls here may bypass a budget.</summary>
    public string Justification { get; }
}
