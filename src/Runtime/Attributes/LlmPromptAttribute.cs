namespace GuardedAI;

/// <summary>
/// Marks a method of an <see cref="LlmBudgetAttribute"/> interface as a typed prompt. The generator implements
/// it by filling <c>{parameter}</c> placeholders in the template (invariant culture) and sending
/// the result through the guarded client.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class LlmPromptAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="template">The user message, with <c>{name}</c> placeholders bound to the method's parameters.</param>
    public LlmPromptAttribute(string template) => Template = template;

    /// <summary>The user message template.</summary>
    public string Template { get; }

    /// <summary>An optional system message sent before the user message.</summary>
    public string? System { get; set; }
}
