using System.Globalization;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Reads what a guarded call says about itself — tenant, category and tags — from its options' additional
/// properties (keys <see cref="BudgetChatClient.TenantKey"/>, <see cref="BudgetChatClient.CategoryKey"/>,
/// <see cref="BudgetChatClient.TagsKey"/>), the ambient <see cref="BudgetScope"/> and the guard's own defaults,
/// and removes those keys so no provider sees them. Shared by the chat and embedding guards.
/// </summary>
internal static class GuardCallContext
{
    /// <summary>The call's tenant and tags, and its additional properties without the guard's keys (null when none remain).</summary>
    public static (string? Tenant, IReadOnlyDictionary<string, string>? Tags, AdditionalPropertiesDictionary? Remaining) Read(
        AdditionalPropertiesDictionary? properties, string? defaultTenant, IDictionary<string, string>? defaultTags)
    {
        string? tenant = null;
        Dictionary<string, string>? tags = defaultTags is { Count: > 0 } ? new(defaultTags, StringComparer.Ordinal) : null;
        if (BudgetScope.CurrentTags is { } ambientTags) Merge(ref tags, ambientTags);

        var remaining = properties;
        if (properties is { Count: > 0 })
        {
            var hasTenant = properties.TryGetValue(BudgetChatClient.TenantKey, out var t);
            var hasTags = properties.TryGetValue(BudgetChatClient.TagsKey, out var tagValue);
            var hasCategory = properties.TryGetValue(BudgetChatClient.CategoryKey, out var category);
            if (hasTenant && t is not null) tenant = Convert.ToString(t, CultureInfo.InvariantCulture);
            if (hasTags && tagValue is not null) Merge(ref tags, ParseTags(tagValue));
            if (hasCategory && category is not null)
                Merge(ref tags, new Dictionary<string, string> { ["category"] = Convert.ToString(category, CultureInfo.InvariantCulture)! });

            // The guard's keys present (with a value or not) are taken out before the provider sees the options.
            var ours = (hasTenant ? 1 : 0) + (hasTags ? 1 : 0) + (hasCategory ? 1 : 0);
            // Nothing but the guard's own keys (a tenant set per call, nearly always): nothing to copy.
            if (ours == properties.Count)
            {
                remaining = null;
            }
            else if (ours > 0)
            {
                var copy = new AdditionalPropertiesDictionary(properties);
                copy.Remove(BudgetChatClient.TenantKey);
                copy.Remove(BudgetChatClient.TagsKey);
                copy.Remove(BudgetChatClient.CategoryKey);
                remaining = copy.Count > 0 ? copy : null;
            }
        }
        tenant ??= BudgetScope.CurrentTenant ?? defaultTenant;
        return (string.IsNullOrEmpty(tenant) ? null : tenant, tags, remaining);
    }

    /// <summary>The reservation context of a call: its tenant, tags and provider, its conversation (the call's own, else the
    /// ambient one) and the ambient run with the headroom its run guard holds back.</summary>
    public static ReservationContext Reservation(string? tenant, IReadOnlyDictionary<string, string>? tags, string? provider, string? conversationId, string? degradedFrom = null) => new()
    {
        DegradedFrom = degradedFrom,
        Tenant = tenant,
        Tags = tags,
        Provider = provider,
        ConversationId = string.IsNullOrEmpty(conversationId) ? BudgetScope.CurrentConversation : conversationId,
        RunId = BudgetScope.CurrentRun,
        RunHeadroom = BudgetScope.CurrentRunState?.Headroom ?? 0,
    };

    private static IReadOnlyDictionary<string, string> ParseTags(object value)
    {
        switch (value)
        {
            case IReadOnlyDictionary<string, string> readOnly:
                return readOnly;
            case IDictionary<string, string> dictionary:
                return new Dictionary<string, string>(dictionary, StringComparer.Ordinal);
            case string text:
                var result = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var pair in text.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"The tag '{pair}' in AdditionalProperties[\"{BudgetChatClient.TagsKey}\"] is not of the form key=value.");
                    result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
                }
                return result;
            default:
                throw new ArgumentException($"AdditionalProperties[\"{BudgetChatClient.TagsKey}\"] must be a string \"k=v;k2=v2\" or a string dictionary, not {value.GetType().Name}.");
        }
    }

    private static void Merge(ref Dictionary<string, string>? target, IReadOnlyDictionary<string, string> source)
    {
        target ??= new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in source) target[key] = value;
    }
}

/// <summary>Finds the engine and a named budget in a service provider, for the <c>UseBudget("name")</c> builder extensions.</summary>
internal static class BudgetServices
{
    public static (BudgetEngine Engine, BudgetPolicy Policy) Resolve(IServiceProvider services, string budgetName)
    {
        var engine = services.GetService(typeof(BudgetEngine)) as BudgetEngine
            ?? throw new InvalidOperationException($"UseBudget(\"{budgetName}\") needs a BudgetEngine in the service provider: call services.AddGuardedAI(...), or pass the engine and policy to UseBudget.");
        var policy = engine.GetPolicy(budgetName)
            ?? throw new InvalidOperationException($"No budget named '{budgetName}' is configured. Known budgets: {(engine.Policies.Count == 0 ? "none" : string.Join(", ", engine.Policies.Select(p => p.Name).Order(StringComparer.Ordinal)))}. Add it under GuardedAI:Budgets in configuration.");
        return (engine, policy);
    }
}
