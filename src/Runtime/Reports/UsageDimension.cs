namespace GuardedAI.Reports;

/// <summary>What usage can be grouped or filtered by.</summary>
public enum UsageDimension
{
    /// <summary>The budget name.</summary>
    Budget,
    /// <summary>The tenant (customer).</summary>
    Tenant,
    /// <summary>The provider, e.g. <c>openai</c>.</summary>
    Provider,
    /// <summary>The model id.</summary>
    Model,
    /// <summary>The value of one tag (<see cref="UsageGrouping.TagKey"/>).</summary>
    Tag,
    /// <summary>The conversation id.</summary>
    Conversation,
    /// <summary>The agent run id.</summary>
    Run,
    /// <summary>The version of the price table that priced the call.</summary>
    PriceTable,
}

/// <summary>One group-by of an aggregate query.</summary>
/// <param name="Dimension">What to group by.</param>
/// <param name="TagKey">For <see cref="UsageDimension.Tag"/>, which tag.</param>
public readonly record struct UsageGrouping(UsageDimension Dimension, string? TagKey = null)
{
    /// <summary>Group by budget.</summary>
    public static UsageGrouping Budget => new(UsageDimension.Budget);
    /// <summary>Group by tenant.</summary>
    public static UsageGrouping Tenant => new(UsageDimension.Tenant);
    /// <summary>Group by provider.</summary>
    public static UsageGrouping Provider => new(UsageDimension.Provider);
    /// <summary>Group by model.</summary>
    public static UsageGrouping Model => new(UsageDimension.Model);
    /// <summary>Group by conversation.</summary>
    public static UsageGrouping Conversation => new(UsageDimension.Conversation);
    /// <summary>Group by run.</summary>
    public static UsageGrouping Run => new(UsageDimension.Run);
    /// <summary>Group by price table version.</summary>
    public static UsageGrouping PriceTable => new(UsageDimension.PriceTable);
    /// <summary>Group by the value of tag <paramref name="key"/>.</summary>
    public static UsageGrouping Tag(string key) => new(UsageDimension.Tag, key ?? throw new ArgumentNullException(nameof(key)));

    /// <summary>Whether an hourly rollup of budget, tenant, provider, model and price table can answer this grouping.</summary>
    public bool IsRolledUp => Dimension is UsageDimension.Budget or UsageDimension.Tenant or UsageDimension.Provider or UsageDimension.Model or UsageDimension.PriceTable;

    /// <summary>A column name for output: <c>budget</c>, <c>tag:category</c>, …</summary>
    public string Name => Dimension switch
    {
        UsageDimension.Tag => "tag:" + TagKey,
        UsageDimension.PriceTable => "priceTable",
        _ => Dimension.ToString().ToLowerInvariant(),
    };

    /// <summary>The value of this grouping in <paramref name="record"/> (null when the record has none).</summary>
    public string? ValueOf(UsageRecord record) => Dimension switch
    {
        UsageDimension.Budget => record.Budget,
        UsageDimension.Tenant => record.Tenant,
        UsageDimension.Provider => record.Provider,
        UsageDimension.Model => record.Model,
        UsageDimension.Tag => TagKey is not null && record.Tags.TryGetValue(TagKey, out var v) ? v : null,
        UsageDimension.Conversation => record.ConversationId,
        UsageDimension.Run => record.RunId,
        UsageDimension.PriceTable => record.PriceTableVersion,
        _ => null,
    };
}
