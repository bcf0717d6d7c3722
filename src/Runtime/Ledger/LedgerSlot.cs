using System.Buffers.Binary;

namespace GuardedAI;

/// <summary>
/// One reusable place in <see cref="InMemoryUsageLedger"/>'s ring: the values of a <see cref="UsageRecord"/>, copied in
/// and out under this slot's lock (only an append that wrapped the ring onto the same slot, or a reader, ever waits on
/// it). A reservation id as the engine makes it (32 lowercase hex digits) is kept as its 128 bits, so a kept record holds
/// no string of its own in the common case; any other id is kept as it came.
/// </summary>
internal sealed class LedgerSlot
{
    private long _sequence = -1;
    private string? _id;
    private ulong _idHigh;
    private ulong _idLow;
    private DateTimeOffset _timestamp;
    private string _budget = "";
    private string? _tenant;
    private string? _conversationId;
    private string? _runId;
    private UsageKind _kind;
    private string? _degradedFrom;
    private string? _provider;
    private string? _model;
    private long _inputTokens;
    private long _outputTokens;
    private long _cachedInputTokens;
    private long _reasoningTokens;
    private long _cacheWriteInputTokens;
    private long? _reportedInputTokens;
    private long? _reportedOutputTokens;
    private long? _reportedTotalTokens;
    private long? _reportedCachedInputTokens;
    private long? _reportedReasoningTokens;
    private string? _anomalies;
    private long _reservedInputTokens;
    private long _reservedOutputTokens;
    private decimal _reservedCostUsd;
    private decimal _costUsd;
    private bool _usageReported;
    private TimeSpan _duration;
    private UsageStatus _status;
    private string? _reason;
    private string? _priceTableVersion;
    private string? _wouldBeDeniedBy;
    private string? _wouldBeDeniedReason;
    private IReadOnlyDictionary<string, string> _tags = UsageRecord.EmptyTags;

    /// <summary>Copies <paramref name="record"/> in as append number <paramref name="sequence"/>, unless a later append
    /// (one that came round the ring while this one waited) already holds the slot.</summary>
    public void Write(UsageRecord record, long sequence)
    {
        lock (this)
        {
            if (_sequence > sequence) return;
            _sequence = sequence;
            if (TryPackId(record.Id, out _idHigh, out _idLow))
            {
                _id = null;
            }
            else
            {
                _id = record.Id;
            }
            _timestamp = record.Timestamp;
            _budget = record.Budget;
            _tenant = record.Tenant;
            _conversationId = record.ConversationId;
            _runId = record.RunId;
            _kind = record.Kind;
            _degradedFrom = record.DegradedFrom;
            _provider = record.Provider;
            _model = record.Model;
            _inputTokens = record.InputTokens;
            _outputTokens = record.OutputTokens;
            _cachedInputTokens = record.CachedInputTokens;
            _reasoningTokens = record.ReasoningTokens;
            _cacheWriteInputTokens = record.CacheWriteInputTokens;
            _reportedInputTokens = record.ReportedInputTokens;
            _reportedOutputTokens = record.ReportedOutputTokens;
            _reportedTotalTokens = record.ReportedTotalTokens;
            _reportedCachedInputTokens = record.ReportedCachedInputTokens;
            _reportedReasoningTokens = record.ReportedReasoningTokens;
            _anomalies = record.Anomalies;
            _reservedInputTokens = record.ReservedInputTokens;
            _reservedOutputTokens = record.ReservedOutputTokens;
            _reservedCostUsd = record.ReservedCostUsd;
            _costUsd = record.CostUsd;
            _usageReported = record.UsageReported;
            _duration = record.Duration;
            _status = record.Status;
            _reason = record.Reason;
            _priceTableVersion = record.PriceTableVersion;
            _wouldBeDeniedBy = record.WouldBeDeniedBy;
            _wouldBeDeniedReason = record.WouldBeDeniedReason;
            _tags = record.Tags;
        }
    }

    /// <summary>The record appended as number <paramref name="sequence"/>, or null when the slot holds another (an
    /// append not yet written, or a later one that came round the ring).</summary>
    public UsageRecord? Read(long sequence)
    {
        lock (this)
        {
            if (_sequence != sequence) return null;
            return new UsageRecord
            {
                Id = _id ?? UnpackId(_idHigh, _idLow),
                Timestamp = _timestamp,
                Budget = _budget,
                Tenant = _tenant,
                ConversationId = _conversationId,
                RunId = _runId,
                Kind = _kind,
                DegradedFrom = _degradedFrom,
                Provider = _provider,
                Model = _model,
                InputTokens = _inputTokens,
                OutputTokens = _outputTokens,
                CachedInputTokens = _cachedInputTokens,
                ReasoningTokens = _reasoningTokens,
                CacheWriteInputTokens = _cacheWriteInputTokens,
                ReportedInputTokens = _reportedInputTokens,
                ReportedOutputTokens = _reportedOutputTokens,
                ReportedTotalTokens = _reportedTotalTokens,
                ReportedCachedInputTokens = _reportedCachedInputTokens,
                ReportedReasoningTokens = _reportedReasoningTokens,
                Anomalies = _anomalies,
                ReservedInputTokens = _reservedInputTokens,
                ReservedOutputTokens = _reservedOutputTokens,
                ReservedCostUsd = _reservedCostUsd,
                CostUsd = _costUsd,
                UsageReported = _usageReported,
                Duration = _duration,
                Status = _status,
                Reason = _reason,
                PriceTableVersion = _priceTableVersion,
                WouldBeDeniedBy = _wouldBeDeniedBy,
                WouldBeDeniedReason = _wouldBeDeniedReason,
                Tags = _tags,
            };
        }
    }

    /// <summary>An id of exactly 32 lowercase hex digits as two numbers; <see cref="UnpackId"/> writes the same text back.</summary>
    /// <remarks>One pass that checks and reads each digit: on every call, and on a process's first, where a
    /// <c>SearchValues</c> check and <c>ulong.Parse</c> were a dozen framework methods for the JIT.</remarks>
    internal static bool TryPackId(string id, out ulong high, out ulong low)
    {
        high = low = 0;
        if (id.Length != 32) return false;
        for (var i = 0; i < 32; i++)
        {
            var c = id[i];
            uint digit = (uint)(c - '0') <= 9 ? (uint)(c - '0') : (uint)(c - 'a') <= 5 ? (uint)(c - 'a' + 10) : 16;
            if (digit == 16)
            {
                high = low = 0;
                return false;
            }
            if (i < 16) high = high << 4 | digit;
            else low = low << 4 | digit;
        }
        return true;
    }

    internal static string UnpackId(ulong high, ulong low)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], low);
        return Convert.ToHexStringLower(bytes);
    }
}
