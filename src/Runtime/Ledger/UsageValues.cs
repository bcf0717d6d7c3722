using GuardedAI.Engine;

namespace GuardedAI;

/// <summary>
/// The values of one <see cref="UsageRecord"/> without the object: what the engine's settlement works out and what the
/// in-memory ledger keeps in its reusable slots. A settled call whose ledger is the in-memory one and whose caller
/// does not ask for the record (the guards) never makes a record object; <see cref="ToRecord()"/> makes one when
/// something needs it. The fields are <see cref="UsageRecord"/>'s properties, one for one
/// (<c>UsageValuesTests</c> checks that none is missing), except the id, which is kept as its 128 bits when it is one
/// the engine made.
/// </summary>
internal struct UsageValues
{
    /// <summary>The id when it is not one the engine made (<see cref="Key"/> is then unused).</summary>
    public string? Id;
    public ReservationId Key;
    public DateTimeOffset Timestamp;
    public string Budget;
    public string? Tenant;
    public string? ConversationId;
    public string? RunId;
    public UsageKind Kind;
    public string? DegradedFrom;
    public string? Provider;
    public string? Model;
    public long InputTokens;
    public long OutputTokens;
    public long CachedInputTokens;
    public long ReasoningTokens;
    public long CacheWriteInputTokens;
    public long? ReportedInputTokens;
    public long? ReportedOutputTokens;
    public long? ReportedTotalTokens;
    public long? ReportedCachedInputTokens;
    public long? ReportedReasoningTokens;
    public string? Anomalies;
    public long ReservedInputTokens;
    public long ReservedOutputTokens;
    public decimal ReservedCostUsd;
    public decimal CostUsd;
    public bool UsageReported;
    public TimeSpan Duration;
    public UsageStatus Status;
    public string? Reason;
    public string? PriceTableVersion;
    public string? WouldBeDeniedBy;
    public string? WouldBeDeniedReason;
    public IReadOnlyDictionary<string, string> Tags;

    /// <summary>The id's text: the one given, or the engine's 128 bits written out.</summary>
    public readonly string IdText => Id ?? Key.ToString();

    /// <summary>The values of <paramref name="record"/>; an id the engine made is kept as its bits.</summary>
    public static UsageValues Of(UsageRecord record)
    {
        var packed = ReservationId.TryParse(record.Id, out var key);
        return new UsageValues
        {
            Id = packed ? null : record.Id,
            Key = key,
            Timestamp = record.Timestamp,
            Budget = record.Budget,
            Tenant = record.Tenant,
            ConversationId = record.ConversationId,
            RunId = record.RunId,
            Kind = record.Kind,
            DegradedFrom = record.DegradedFrom,
            Provider = record.Provider,
            Model = record.Model,
            InputTokens = record.InputTokens,
            OutputTokens = record.OutputTokens,
            CachedInputTokens = record.CachedInputTokens,
            ReasoningTokens = record.ReasoningTokens,
            CacheWriteInputTokens = record.CacheWriteInputTokens,
            ReportedInputTokens = record.ReportedInputTokens,
            ReportedOutputTokens = record.ReportedOutputTokens,
            ReportedTotalTokens = record.ReportedTotalTokens,
            ReportedCachedInputTokens = record.ReportedCachedInputTokens,
            ReportedReasoningTokens = record.ReportedReasoningTokens,
            Anomalies = record.Anomalies,
            ReservedInputTokens = record.ReservedInputTokens,
            ReservedOutputTokens = record.ReservedOutputTokens,
            ReservedCostUsd = record.ReservedCostUsd,
            CostUsd = record.CostUsd,
            UsageReported = record.UsageReported,
            Duration = record.Duration,
            Status = record.Status,
            Reason = record.Reason,
            PriceTableVersion = record.PriceTableVersion,
            WouldBeDeniedBy = record.WouldBeDeniedBy,
            WouldBeDeniedReason = record.WouldBeDeniedReason,
            Tags = record.Tags,
        };
    }

    /// <summary>A record of these values.</summary>
    public readonly UsageRecord ToRecord() => ToRecord(IdText);

    /// <summary>A record of these values under <paramref name="id"/>, the id's text already written (the lease's).</summary>
    public readonly UsageRecord ToRecord(string id) => new()
    {
        Id = id,
        Timestamp = Timestamp,
        Budget = Budget,
        Tenant = Tenant,
        ConversationId = ConversationId,
        RunId = RunId,
        Kind = Kind,
        DegradedFrom = DegradedFrom,
        Provider = Provider,
        Model = Model,
        InputTokens = InputTokens,
        OutputTokens = OutputTokens,
        CachedInputTokens = CachedInputTokens,
        ReasoningTokens = ReasoningTokens,
        CacheWriteInputTokens = CacheWriteInputTokens,
        ReportedInputTokens = ReportedInputTokens,
        ReportedOutputTokens = ReportedOutputTokens,
        ReportedTotalTokens = ReportedTotalTokens,
        ReportedCachedInputTokens = ReportedCachedInputTokens,
        ReportedReasoningTokens = ReportedReasoningTokens,
        Anomalies = Anomalies,
        ReservedInputTokens = ReservedInputTokens,
        ReservedOutputTokens = ReservedOutputTokens,
        ReservedCostUsd = ReservedCostUsd,
        CostUsd = CostUsd,
        UsageReported = UsageReported,
        Duration = Duration,
        Status = Status,
        Reason = Reason,
        PriceTableVersion = PriceTableVersion,
        WouldBeDeniedBy = WouldBeDeniedBy,
        WouldBeDeniedReason = WouldBeDeniedReason,
        Tags = Tags ?? UsageRecord.EmptyTags,
    };
}
