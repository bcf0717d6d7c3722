using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GuardedAI.Integrity;

/// <summary>
/// The hash chain that makes a ledger tamper-evident, independent of the store that keeps it. Entries — usage records
/// and audit entries (operator actions, breaker changes, configuration changes) — are chained in <b>segments</b>: one
/// per writer and UTC day (<see cref="Segment"/>), so writers never wait for each other. The first entry of a segment
/// follows <see cref="Genesis"/>; each entry's hash is SHA-256 over the previous hash and the entry's canonical
/// encoding, and the store keeps each segment's head (length and last hash). Changing, removing, inserting or
/// reordering an entry breaks the chain where it happened (<see cref="ChainVerifier"/>).
/// </summary>
/// <remarks>
/// The canonical encoding (version <see cref="Version"/>) is the same for every store: a kind byte, then each field in
/// a fixed order — integers as 8 bytes little-endian, text as a presence byte and length-prefixed UTF-8 (null and empty
/// differ), decimals as their shortest invariant text, tags sorted by key. Changing it means a new version.
/// </remarks>
public static class LedgerChain
{
    /// <summary>The encoding version, part of every genesis hash.</summary>
    public const string Version = "GuardedAI-chain-1";

    /// <summary>Length of a hash in bytes (SHA-256).</summary>
    public const int HashLength = 32;

    /// <summary>The segment of a writer and a UTC day: <c>writer/yyyy-MM-dd</c>.</summary>
    public static string Segment(string writer, DateTimeOffset timestamp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(writer);
        if (writer.Contains('/', StringComparison.Ordinal)) throw new ArgumentException("A chain writer id cannot contain '/'.", nameof(writer));
        return writer + "/" + timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <summary>The UTC day a segment covers, or null when <paramref name="segment"/> is not of the form <c>writer/yyyy-MM-dd</c>.</summary>
    public static DateOnly? DayOf(string segment)
    {
        var slash = segment.LastIndexOf('/');
        return slash >= 0 && DateOnly.TryParseExact(segment.AsSpan(slash + 1), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
    }

    /// <summary>What the first entry of <paramref name="segment"/> follows.</summary>
    public static byte[] Genesis(string segment) => SHA256.HashData(Encoding.UTF8.GetBytes(Version + "\n" + segment));

    /// <summary>The hash of <paramref name="record"/> following <paramref name="previous"/>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> previous, UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var writer = ChainEncoder.Shared;
        writer.Begin(previous, ChainEncoder.RecordKind);
        writer.Text(record.Id);
        writer.Int(record.Timestamp.UtcTicks);
        writer.Text(record.Budget);
        writer.Text(record.Tenant);
        writer.Text(record.ConversationId);
        writer.Text(record.RunId);
        writer.Int((int)record.Kind);
        writer.Text(record.DegradedFrom);
        writer.Text(record.Provider);
        writer.Text(record.Model);
        writer.Int(record.InputTokens);
        writer.Int(record.OutputTokens);
        writer.Int(record.CachedInputTokens);
        writer.Int(record.ReasoningTokens);
        writer.Int(record.CacheWriteInputTokens);
        writer.Int(record.ReportedInputTokens);
        writer.Int(record.ReportedOutputTokens);
        writer.Int(record.ReportedTotalTokens);
        writer.Int(record.ReportedCachedInputTokens);
        writer.Int(record.ReportedReasoningTokens);
        writer.Text(record.Anomalies);
        writer.Int(record.ReservedInputTokens);
        writer.Int(record.ReservedOutputTokens);
        writer.Decimal(record.ReservedCostUsd);
        writer.Decimal(record.CostUsd);
        writer.Int(record.UsageReported ? 1 : 0);
        writer.Int(record.Duration.Ticks);
        writer.Int((int)record.Status);
        writer.Text(record.Reason);
        writer.Text(record.PriceTableVersion);
        writer.Int(record.Tags.Count);
        foreach (var tag in record.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            writer.Text(tag.Key);
            writer.Text(tag.Value);
        }
        // Only on calls a budget in shadow would have denied (schema 8), after the tags: other records hash as before.
        if (record.WouldBeDeniedBy is not null || record.WouldBeDeniedReason is not null)
        {
            writer.Text(record.WouldBeDeniedBy);
            writer.Text(record.WouldBeDeniedReason);
        }
        return writer.Hash();
    }

    /// <summary>The hash of an audit entry following <paramref name="previous"/>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> previous, OperatorAction entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var writer = ChainEncoder.Shared;
        writer.Begin(previous, ChainEncoder.AuditKind);
        writer.Int(entry.Timestamp.UtcTicks);
        writer.Text(entry.Actor);
        writer.Text(entry.Action);
        writer.Text(entry.Scope);
        writer.Text(entry.Detail);
        return writer.Hash();
    }

    /// <summary>Lower-case hexadecimal, for messages and exported heads.</summary>
    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);
}
