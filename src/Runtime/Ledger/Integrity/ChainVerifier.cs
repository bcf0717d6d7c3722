using System.Globalization;

namespace GuardedAI.Integrity;

/// <summary>One chained entry as a store read it back, with the hash recomputed from its content.</summary>
/// <param name="Segment">The segment it says it belongs to.</param>
/// <param name="Position">Its position in the segment (0 first).</param>
/// <param name="Source">Where the store keeps it (a table); <paramref name="StoreOrder"/> is compared only within one source.</param>
/// <param name="StoreOrder">Its order in the store (insertion order: a row id or sequence), which must grow with <paramref name="Position"/>.</param>
/// <param name="Name">How a person finds it: a record id, or an audit entry's sequence number and action.</param>
/// <param name="Previous">The previous hash stored with it.</param>
/// <param name="Stored">Its hash as stored.</param>
/// <param name="Computed"><see cref="LedgerChain.Hash(ReadOnlySpan{byte}, UsageRecord)"/> (or the audit overload) over <paramref name="Previous"/> and its content as read.</param>
public readonly record struct ChainEntry(string Segment, long Position, string Source, long StoreOrder, string Name, byte[] Previous, byte[] Stored, byte[] Computed);

/// <summary>A segment's head as the store recorded it: how many entries, and the last one's hash.</summary>
public readonly record struct ChainHead(string Segment, long Length, byte[] Hash)
{
    /// <summary>
    /// Where the segment now starts: retention removes a segment's oldest entries in bounded batches and re-anchors it —
    /// the first remaining entry is at this position and follows <see cref="StartPrevious"/>. 0 for a whole segment.
    /// </summary>
    public long StartPosition { get; init; }

    /// <summary>The hash the first remaining entry follows when <see cref="StartPosition"/> is above 0; null: the genesis.</summary>
    public byte[]? StartPrevious { get; init; }
}

/// <summary>What a finding says happened.</summary>
public enum ChainFindingKind
{
    /// <summary>An entry's content no longer matches its hash: it was edited after it was written.</summary>
    Changed,
    /// <summary>An entry the chain says existed is gone.</summary>
    Deleted,
    /// <summary>An entry is not part of the chain where it sits: added after the fact.</summary>
    Inserted,
    /// <summary>Entries are in another order than they were written in.</summary>
    Reordered,
    /// <summary>A segment's recorded head does not match its entries (the end was cut or rewritten), or a segment has no head.</summary>
    HeadMismatch,
}

/// <summary>One problem found, naming the entry and where it is.</summary>
public sealed record ChainFinding(ChainFindingKind Kind, string Segment, long? Position, string? Name, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>The outcome of verifying a ledger.</summary>
/// <param name="Entries">Chained entries checked.</param>
/// <param name="Segments">Segments checked.</param>
/// <param name="Unchained">Entries written before the chain existed (older schema): they cannot be checked.</param>
/// <param name="Findings">Every problem found; none when the ledger is intact.</param>
/// <param name="Digest">A hash over every segment head (sorted): keep it somewhere else and compare later to detect a rewrite of whole segments.</param>
public sealed record LedgerVerification(long Entries, int Segments, long Unchained, IReadOnlyList<ChainFinding> Findings, string Digest)
{
    /// <summary>Whether nothing was found.</summary>
    public bool IsIntact => Findings.Count == 0;
}

/// <summary>
/// Checks a ledger's chain, whatever the store: feed it every chained entry in (segment, position) order with
/// <see cref="Add"/>, report entries found outside any chain with <see cref="AddInserted"/>, then <see cref="Finish"/>.
/// Memory is bounded by one segment's bookkeeping of hashes, not by the ledger.
/// </summary>
public sealed class ChainVerifier
{
    /// <summary>Most findings kept (the count goes on).</summary>
    public const int MaxFindings = 1000;

    private readonly Dictionary<string, ChainHead> _heads;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<ChainFinding> _findings = new();
    // The current segment's hashes (first 8 bytes) and positions, to say where an entry that follows the wrong one was written.
    private readonly Dictionary<long, long> _segmentHashes = new();
    private readonly List<ChainEntry> _linkFailures = new();
    private string? _segment;
    private long _expected;
    private byte[] _last = [];
    private string? _lastName;
    private readonly Dictionary<string, (long Order, string Name)> _lastBySource = new(StringComparer.Ordinal);
    private long _entries;
    private long _unchained;
    private long _dropped;
    private bool _completed;

    /// <param name="heads">Every segment head the store recorded.</param>
    public ChainVerifier(IEnumerable<ChainHead> heads)
    {
        _heads = heads.ToDictionary(h => h.Segment, StringComparer.Ordinal);
    }

    /// <summary>Entries with no chain fields written before the chain existed: counted, not checkable.</summary>
    public void AddUnchained(long count) => _unchained += count;

    /// <summary>An entry with no chain fields that was written after the chain existed: inserted by hand.</summary>
    public void AddInserted(string name, string where) =>
        Report(new ChainFinding(ChainFindingKind.Inserted, "", null, name, $"{name} ({where}) is in no chain: it was inserted after the fact, not written by GuardedAI."));

    /// <summary>Checks one entry; entries must come in (segment, position) order.</summary>
    public void Add(in ChainEntry entry)
    {
        if (!string.Equals(entry.Segment, _segment, StringComparison.Ordinal)) StartSegment(entry.Segment);
        _entries++;
        var contentOk = entry.Computed.AsSpan().SequenceEqual(entry.Stored);
        if (!contentOk)
        {
            Report(new ChainFinding(ChainFindingKind.Changed, entry.Segment, entry.Position, entry.Name,
                $"{entry.Name} (segment {entry.Segment}, position {entry.Position}) was changed after it was written: its content no longer matches its hash."));
        }
        _segmentHashes.TryAdd(Key(entry.Stored), entry.Position);

        if (entry.Position < _expected)
        {
            Report(new ChainFinding(ChainFindingKind.Inserted, entry.Segment, entry.Position, entry.Name,
                $"{entry.Name} claims position {entry.Position} of segment {entry.Segment}, which {_lastName} already holds: it was inserted after the fact."));
            return;
        }
        if (entry.Position > _expected)
        {
            var missing = entry.Position - _expected;
            Report(new ChainFinding(ChainFindingKind.Deleted, entry.Segment, _expected, null, string.Create(CultureInfo.InvariantCulture,
                $"{(missing == 1 ? "1 entry" : missing + " entries")} of segment {entry.Segment} (position {_expected}{(missing == 1 ? "" : "–" + (entry.Position - 1))}) {(missing == 1 ? "is" : "are")} missing, between {_lastName ?? "the start of the segment"} and {entry.Name}: deleted.")));
        }
        else if (contentOk && !entry.Previous.AsSpan().SequenceEqual(_last))
        {
            _linkFailures.Add(entry);
        }
        if (_lastBySource.TryGetValue(entry.Source, out var before) && entry.StoreOrder <= before.Order)
        {
            Report(new ChainFinding(ChainFindingKind.Reordered, entry.Segment, entry.Position, entry.Name,
                $"{entry.Name} (segment {entry.Segment}, position {entry.Position}) comes before {before.Name} in the store but after it in the chain: rows were reordered."));
        }
        _lastBySource[entry.Source] = (entry.StoreOrder, entry.Name);
        _expected = entry.Position + 1;
        _last = entry.Stored;
        _lastName = entry.Name;
    }

    /// <summary>Checks the last segment and every head, and returns the outcome.</summary>
    public LedgerVerification Finish() => Combine([this], _heads.Values);

    /// <summary>
    /// The outcome of verifiers that each checked their own segments (a store verifying segment ranges in parallel, each
    /// given the heads of its range), in segment order: counts added, findings in the order of <paramref name="parts"/>
    /// up to <see cref="MaxFindings"/>, the digest over <paramref name="heads"/>.
    /// </summary>
    internal static LedgerVerification Combine(IReadOnlyList<ChainVerifier> parts, IEnumerable<ChainHead> heads)
    {
        long entries = 0, unchained = 0, dropped = 0;
        var segments = 0;
        var findings = new List<ChainFinding>();
        foreach (var part in parts)
        {
            part.Complete();
            entries += part._entries;
            unchained += part._unchained;
            segments += part._seen.Count;
            dropped += part._dropped;
            foreach (var finding in part._findings)
            {
                if (findings.Count < MaxFindings) findings.Add(finding);
                else dropped++;
            }
        }
        if (dropped > 0)
        {
            findings.Add(new ChainFinding(findings[^1].Kind, "", null, null, string.Create(CultureInfo.InvariantCulture, $"… and {dropped} more findings.")));
        }
        return new LedgerVerification(entries, segments, unchained, findings, Digest(heads));
    }

    /// <summary>Checks the last segment and the heads of segments with no entry left (once).</summary>
    private void Complete()
    {
        if (_completed) return;
        _completed = true;
        if (_segment is not null) EndSegment();
        foreach (var head in _heads.Values.Where(h => !_seen.Contains(h.Segment)).OrderBy(h => h.Segment, StringComparer.Ordinal))
        {
            if (head.Length <= head.StartPosition) continue;
            Report(new ChainFinding(ChainFindingKind.Deleted, head.Segment, 0, null, string.Create(CultureInfo.InvariantCulture,
                $"Segment {head.Segment} had {head.Length - head.StartPosition} entries and none is left: deleted.")));
        }
    }

    /// <summary>A hash over every head, sorted by segment.</summary>
    public static string Digest(IEnumerable<ChainHead> heads)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var head in heads.OrderBy(h => h.Segment, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{head.Segment}\n{head.Length}\n")));
            hash.AppendData(head.Hash);
        }
        return LedgerChain.ToHex(hash.GetHashAndReset());
    }

    private void StartSegment(string segment)
    {
        if (_segment is not null) EndSegment();
        _segment = segment;
        _seen.Add(segment);
        var anchored = _heads.TryGetValue(segment, out var head) && head.StartPosition > 0 && head.StartPrevious is not null;
        _expected = anchored ? head.StartPosition : 0;
        _last = anchored ? head.StartPrevious! : LedgerChain.Genesis(segment);
        _lastName = null;
        _lastBySource.Clear();
    }

    private void EndSegment()
    {
        var segment = _segment!;
        // A link that fails although the entry itself is intact: it follows another entry than the one before it.
        foreach (var entry in _linkFailures)
        {
            Report(_segmentHashes.TryGetValue(Key(entry.Previous), out var predecessor)
                ? new ChainFinding(ChainFindingKind.Reordered, segment, entry.Position, entry.Name, string.Create(CultureInfo.InvariantCulture,
                    $"{entry.Name} (segment {segment}, position {entry.Position}) was written right after the entry now at position {predecessor}: rows were reordered."))
                : new ChainFinding(ChainFindingKind.Inserted, segment, entry.Position, entry.Name, string.Create(CultureInfo.InvariantCulture,
                    $"{entry.Name} (segment {segment}, position {entry.Position}) does not follow the entry before it: an entry was inserted or replaced here.")));
        }
        _linkFailures.Clear();
        _segmentHashes.Clear();
        if (!_heads.TryGetValue(segment, out var head))
        {
            Report(new ChainFinding(ChainFindingKind.HeadMismatch, segment, null, null, $"Segment {segment} has no recorded head: its entries were inserted after the fact, or its head was deleted."));
        }
        else if (head.Length != _expected || !head.Hash.AsSpan().SequenceEqual(_last))
        {
            Report(head.Length > _expected
                ? new ChainFinding(ChainFindingKind.Deleted, segment, _expected, null, string.Create(CultureInfo.InvariantCulture,
                    $"The last {head.Length - _expected} entries of segment {segment} (from position {_expected}) are missing, after {_lastName ?? "its start"}: deleted."))
                : new ChainFinding(ChainFindingKind.HeadMismatch, segment, _expected - 1, _lastName, string.Create(CultureInfo.InvariantCulture,
                    $"Segment {segment} ends at {_lastName} (position {_expected - 1}), which is not the head recorded for it ({head.Length} entries): entries were added or rewritten at its end.")));
        }
    }

    private static long Key(byte[] hash) => hash.Length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(hash) : 0;

    private void Report(ChainFinding finding)
    {
        if (_findings.Count < MaxFindings) _findings.Add(finding);
        else _dropped++;
    }
}
