namespace GuardedAI;

/// <summary>
/// Declares the budget of a guarded LLM client. Put it on a <c>partial interface</c>: the GuardedAI source
/// generator makes the interface an <see cref="Microsoft.Extensions.AI.IChatClient"/> and emits a sealed
/// <c>GuardedXxx</c> implementation that reserves budget before every provider call.
/// </summary>
/// <remarks>
/// Numeric properties left at zero are "not set". Explicit values override the <see cref="Tier"/> defaults.
/// Cost properties are <see cref="double"/> because attribute arguments cannot be <see cref="decimal"/>;
/// they are converted to <see cref="decimal"/> at compile time by the generator.
/// </remarks>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class LlmBudgetAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The budget (scope) name, for example <c>"support-bot"</c>. Usage is counted per name.</param>
    public LlmBudgetAttribute(string name) => Name = name;

    /// <summary>The budget (scope) name.</summary>
    public string Name { get; }

    /// <summary>The default model id, used for token counting and pricing when a call does not name one.</summary>
    public string? Model { get; set; }

    /// <summary>A predefined set of limits; explicit limits on this attribute override the tier's.</summary>
    public BudgetTier Tier { get; set; }

    /// <summary>Requests per calendar minute.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Total (input + output) tokens per calendar minute.</summary>
    public long TokensPerMinute { get; set; }

    /// <summary>Requests per calendar hour.</summary>
    public int HourlyRequests { get; set; }

    /// <summary>Total tokens per calendar hour.</summary>
    public long HourlyTokens { get; set; }

    /// <summary>Cost in USD per calendar hour.</summary>
    public double HourlyCostUsd { get; set; }

    /// <summary>Requests per calendar day.</summary>
    public int DailyRequests { get; set; }

    /// <summary>Total tokens per calendar day.</summary>
    public long DailyTokens { get; set; }

    /// <summary>Cost in USD per calendar day.</summary>
    public double DailyCostUsd { get; set; }

    /// <summary>Requests per calendar month.</summary>
    public int MonthlyRequests { get; set; }

    /// <summary>Total tokens per calendar month.</summary>
    public long MonthlyTokens { get; set; }

    /// <summary>Cost in USD per calendar month.</summary>
    public double MonthlyCostUsd { get; set; }

    /// <summary>Provider requests per conversation.</summary>
    public int ConversationRequests { get; set; }

    /// <summary>Total tokens per conversation.</summary>
    public long ConversationTokens { get; set; }

    /// <summary>Cost in USD per conversation.</summary>
    public double ConversationCostUsd { get; set; }

    /// <summary>User turns (calls through UseRunBudget) per conversation.</summary>
    public long ConversationTurns { get; set; }

    /// <summary>Provider requests per agent run (every request of one tool loop).</summary>
    public int RunRequests { get; set; }

    /// <summary>Total tokens per agent run.</summary>
    public long RunTokens { get; set; }

    /// <summary>Cost in USD per agent run.</summary>
    public double RunCostUsd { get; set; }

    /// <summary>Largest prompt (input tokens) one request may send.</summary>
    public int MaxInputTokens { get; set; }

    /// <summary>Largest completion one request may ask for; also the default <c>MaxOutputTokens</c> of each call.</summary>
    public int MaxOutputTokens { get; set; }

    /// <summary>Largest estimated cost in USD of one request.</summary>
    public double MaxRequestCostUsd { get; set; }

    /// <summary>Percent of a limit at which a warning alert fires (default 70).</summary>
    public double WarnAtPercent { get; set; }

    /// <summary>Percent of a limit at which a critical alert fires (default 90).</summary>
    public double CriticalAtPercent { get; set; }

    /// <summary>Percent of a limit at which the circuit breaker opens (default 95).</summary>
    public double TripAtPercent { get; set; }

    /// <summary>
    /// The policy the <c>[LlmBudget]</c> on <paramref name="interfaceType"/> declares — the one its generated client uses —
    /// for pipelines built by hand: <c>.UseBudget(engine, LlmBudgetAttribute.GetPolicy(typeof(ISupportBot)))</c>.
    /// Only the arguments written on the attribute apply (an explicit zero is a limit of zero, which is refused).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="interfaceType"/> has no <c>[LlmBudget]</c>.</exception>
    /// <exception cref="BudgetPolicyException">The budget is invalid (GAI002 reports it at build time); the message says why.</exception>
    public static BudgetPolicy GetPolicy(Type interfaceType) => LlmBudgetAttributePolicy.Read(interfaceType);

    /// <summary><see cref="EnforcementMode.Shadow"/> evaluates the budget on every call exactly as if enforced but never
    /// denies one: a call it would deny goes ahead and is recorded as "would have been denied". Default
    /// <see cref="EnforcementMode.Enforce"/>. Configuration (<c>GuardedAI:Budgets:&lt;name&gt;:Mode</c>) switches a
    /// configured budget without a rebuild.</summary>
    public EnforcementMode Mode { get; set; }
}
