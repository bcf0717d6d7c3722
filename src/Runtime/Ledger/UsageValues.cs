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

    /// <summary>Copies these values into <paramref name="target"/>, one field at a time: the in-memory ledger's slot.</summary>
    /// <remarks>
    /// Not <c>target = this</c>. A struct this size with references in it is copied by the runtime's bulk copy, which marks
    /// the garbage collector's cards over the whole destination whatever the references point to. The slots are old
    /// objects, so each collection of the youngest generation then scanned every slot written since the one before: with
    /// the default 100,000 slots, ~8 ms a collection and ~60 ns a settled call (<c>guardloop engine</c>). Stored one at a time,
    /// each reference marks a card only when it points to a young object, and a budget's name, a model id from
    /// configuration or the empty tags are not. <c>UsageValuesTests</c> checks that no field is left out.
    /// </remarks>
    public readonly void CopyTo(ref UsageValues target)
    {
        Keep(ref target.Id, Id);
        target.Key = Key;
        target.Timestamp = Timestamp;
        Keep(ref target.Budget, Budget);
        Keep(ref target.Tenant, Tenant);
        Keep(ref target.ConversationId, ConversationId);
        Keep(ref target.RunId, RunId);
        target.Kind = Kind;
        Keep(ref target.DegradedFrom, DegradedFrom);
        Keep(ref target.Provider, Provider);
        Keep(ref target.Model, Model);
        target.InputTokens = InputTokens;
        target.OutputTokens = OutputTokens;
        target.CachedInputTokens = CachedInputTokens;
        target.ReasoningTokens = ReasoningTokens;
        target.CacheWriteInputTokens = CacheWriteInputTokens;
        target.ReportedInputTokens = ReportedInputTokens;
        target.ReportedOutputTokens = ReportedOutputTokens;
        target.ReportedTotalTokens = ReportedTotalTokens;
        target.ReportedCachedInputTokens = ReportedCachedInputTokens;
        target.ReportedReasoningTokens = ReportedReasoningTokens;
        Keep(ref target.Anomalies, Anomalies);
        target.ReservedInputTokens = ReservedInputTokens;
        target.ReservedOutputTokens = ReservedOutputTokens;
        target.ReservedCostUsd = ReservedCostUsd;
        target.CostUsd = CostUsd;
        target.UsageReported = UsageReported;
        target.Duration = Duration;
        target.Status = Status;
        Keep(ref target.Reason, Reason);
        Keep(ref target.PriceTableVersion, PriceTableVersion);
        Keep(ref target.WouldBeDeniedBy, WouldBeDeniedBy);
        Keep(ref target.WouldBeDeniedReason, WouldBeDeniedReason);
        Keep(ref target.Tags, Tags);
    }

    /// <summary>Stores <paramref name="value"/> in <paramref name="slot"/> unless it holds that very object already (see
    /// <see cref="CopyTo"/>: a store is a write barrier, a card to scan when the object is young).</summary>
    private static void Keep<T>(ref T slot, T value) where T : class?
    {
        if (!ReferenceEquals(slot, value)) slot = value;
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
