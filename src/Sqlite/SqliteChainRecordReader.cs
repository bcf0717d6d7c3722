using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using GuardedAI.Integrity;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GuardedAI.Sqlite;

/// <summary>
/// Reads the chained usage records of a ledger in chain order (segment, position, row) for <see cref="SqliteLedgerVerifier"/>,
/// and hashes each one as it stands. Forward-only over the <c>ix_usage_chain</c> index, reading only the columns the
/// canonical encoding (<see cref="LedgerChain"/>) needs straight from SQLite's row buffer: text goes into the encoding as
/// the UTF-8 it is stored as, integers as read, costs parsed and re-printed in place, tags taken from their JSON without
/// building a dictionary — no record object per row.
/// </summary>
/// <remarks>
/// A row this path is not sure to encode exactly as the record reader would (a value of an unexpected type, a cost that is
/// not a plain number, tags that are not a flat object of unescaped ASCII keys and string values) is read back the slow
/// way — <see cref="SqliteRecordColumns.Read"/> and <see cref="LedgerChain.Hash(ReadOnlySpan{byte}, UsageRecord)"/> —
/// so a verdict never depends on which path read the row.
/// </remarks>
internal sealed class SqliteChainRecordReader : IDisposable
{
    private const string Columns = "id, ts_ticks, budget, tenant, conversation_id, run_id, kind, degraded_from, provider, model, "
        + "input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cache_write_input_tokens, "
        + "reported_input_tokens, reported_output_tokens, reported_total_tokens, reported_cached_input_tokens, reported_reasoning_tokens, "
        + "anomalies, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, price_version, tags, "
        + "chain_segment, chain_pos, chain_prev, chain_hash, seq, ";

    // Ordinals in Columns.
    private const int Id = 0, Timestamp = 1, Budget = 2, Kind = 6, Anomalies = 20, ReservedCost = 23, Cost = 24, UsageReported = 25, Duration = 26,
        Status = 27, Reason = 28, PriceVersion = 29, Tags = 30, Segment = 31, Position = 32, Previous = 33, Hash = 34, Seq = 35, Mask = 36;

    /// <summary>
    /// One integer that says, bit n for column n, which nullable columns are NULL: asked once per row instead of once per column.
    /// </summary>
    private static readonly string MaskColumn = string.Join(" | ",
        new[] { (3, "tenant"), (4, "conversation_id"), (5, "run_id"), (7, "degraded_from"), (8, "provider"), (9, "model"),
                (15, "reported_input_tokens"), (16, "reported_output_tokens"), (17, "reported_total_tokens"), (18, "reported_cached_input_tokens"),
                (19, "reported_reasoning_tokens"), (20, "anomalies"), (28, "reason"), (29, "price_version"), (30, "tags"), (32, "chain_pos") }
            .Select(c => $"(({c.Item2} IS NULL) << {c.Item1})")
            // A call a budget in shadow would have denied (schema 8) hashes two more fields: rare, so it is read the slow way.
            .Append($"((would_be_denied_by IS NOT NULL OR would_be_denied_reason IS NOT NULL) << {ShadowDenial})"));

    /// <summary>
    /// The bits of <see cref="MaskColumn"/> that send a row the slow way: a chain position that is NULL, or a shadow
    /// denial. (The chain's text and blobs are read as the bytes they hold whatever their type: bytes that differ from what
    /// was written fail the hash or the link, and the record reader would convert them the same way.)
    /// </summary>
    private const long SlowBits = (1L << Position) | (1L << ShadowDenial);

    /// <summary>The mask bit of a row that records a shadow budget's would-be denial (not a column).</summary>
    private const int ShadowDenial = 40;

    private const NumberStyles CostStyles = NumberStyles.Number | NumberStyles.AllowExponent;

    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private readonly ChainEncoder _encoder = new();
    private readonly List<(int Key, int KeyLength, int Value, int ValueLength)> _tags = new();
    private readonly SqliteTransaction _transaction;
    private SqliteCommand? _slow;
    private long _nulls;
    private byte[] _segmentBytes = [];
    private string _segment = "";

    /// <param name="transaction">The read transaction every statement of this verification reads in (one snapshot).</param>
    /// <param name="from">The first segment to read (inclusive; null: from the first).</param>
    /// <param name="to">Where to stop (exclusive; null: to the last).</param>
    public SqliteChainRecordReader(SqliteTransaction transaction, string? from, string? to)
    {
        _transaction = transaction;
        _connection = transaction.Connection!;
        var sql = $"SELECT {Columns}{MaskColumn} FROM usage_records WHERE chain_segment IS NOT NULL{SqliteLedgerVerifier.RangeFilter("chain_segment", from, to)} "
            + "ORDER BY chain_segment, chain_pos, seq;";
        var rc = raw.sqlite3_prepare_v2(_connection.Handle, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        if (from is not null) raw.sqlite3_bind_text(_statement, raw.sqlite3_bind_parameter_index(_statement, "$from"), from);
        if (to is not null) raw.sqlite3_bind_text(_statement, raw.sqlite3_bind_parameter_index(_statement, "$to"), to);
    }

    /// <summary>Rows read the slow way (for tests and the benchmark's breakdown).</summary>
    public long SlowRows { get; private set; }

    /// <summary>The next record in chain order, or null at the end.</summary>
    public ChainEntry? Next()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_DONE) return null;
        if (rc != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(rc, _connection.Handle);

        var s = _statement;
        var seq = raw.sqlite3_column_int64(s, Seq);
        _nulls = raw.sqlite3_column_int64(s, Mask);
        if ((_nulls & SlowBits) != 0) return ReadSlow(seq);
        var previous = raw.sqlite3_column_blob(s, Previous);
        if (!TryEncode(previous)) return ReadSlow(seq);
        var computed = new byte[LedgerChain.HashLength];
        _encoder.HashTo(computed);
        return new ChainEntry(SegmentOf(raw.sqlite3_column_blob(s, Segment)), raw.sqlite3_column_int64(s, Position), "usage_records", seq,
            "record " + Encoding.UTF8.GetString(raw.sqlite3_column_blob(s, Id)), previous.ToArray(), raw.sqlite3_column_blob(s, Hash).ToArray(), computed);
    }

    // Which checks each column needs, by what the record reader does with it: a NOT NULL column is read without asking its
    // type (the reader's GetString/GetInt64 convert whatever is stored exactly as sqlite3_column_blob/int64 do); a nullable
    // one is asked whether it is NULL; values the reader would cast or parse are checked so that only those it accepts
    // and encodes the same way take this path.

    /// <summary>Encodes the current row as <see cref="LedgerChain.Hash(ReadOnlySpan{byte}, UsageRecord)"/> would; false when unsure.</summary>
    private bool TryEncode(ReadOnlySpan<byte> previous)
    {
        var s = _statement;
        var e = _encoder;
        e.Begin(previous, ChainEncoder.RecordKind);
        var id = raw.sqlite3_column_blob(s, Id);
        e.Text(id);
        var ticks = raw.sqlite3_column_int64(s, Timestamp);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks) return false;
        e.Int(ticks);
        ReadText(Budget);
        for (var c = Budget + 1; c < Kind; c++) ReadOptionalText(c);                    // tenant, conversation, run
        if (!ReadEnum(Kind)) return false;
        for (var c = Kind + 1; c <= Kind + 3; c++) ReadOptionalText(c);                 // degraded_from, provider, model
        for (var c = Kind + 4; c <= Kind + 8; c++) e.Int(raw.sqlite3_column_int64(s, c)); // input, output, cached, reasoning, cache-write tokens
        for (var c = Kind + 9; c < Anomalies; c++)                                       // reported_* (nullable)
        {
            e.Int(IsNull(c) ? null : (long?)raw.sqlite3_column_int64(s, c));
        }
        ReadOptionalText(Anomalies);
        e.Int(raw.sqlite3_column_int64(s, Anomalies + 1));                              // est_input_tokens
        e.Int(raw.sqlite3_column_int64(s, Anomalies + 2));                              // est_output_tokens
        if (!ReadDecimal(ReservedCost) || !ReadDecimal(Cost)) return false;
        e.Int(raw.sqlite3_column_int64(s, UsageReported) != 0 ? 1 : 0);
        e.Int(raw.sqlite3_column_int64(s, Duration));
        if (!ReadEnum(Status)) return false;
        ReadOptionalText(Reason);
        ReadOptionalText(PriceVersion);
        return TagsFromJson();
    }

    private bool IsNull(int column) => (_nulls >> column & 1) != 0;

    private void ReadText(int column) => _encoder.Text(raw.sqlite3_column_blob(_statement, column));

    private void ReadOptionalText(int column)
    {
        if (IsNull(column)) _encoder.Text((string?)null);
        else ReadText(column);
    }

    /// <summary>An enum stored as an integer: the record reader casts it to int, so only values in range take this path.</summary>
    private bool ReadEnum(int column)
    {
        var value = raw.sqlite3_column_int64(_statement, column);
        if (value is < int.MinValue or > int.MaxValue) return false;
        _encoder.Int(value);
        return true;
    }

    private bool ReadDecimal(int column)
    {
        var text = raw.sqlite3_column_blob(_statement, column);
        return Utf8.IsValid(text) && _encoder.TryDecimal(text, CostStyles);
    }

    /// <summary>
    /// Tags as the record reader gets them from their JSON, sorted by key: only a flat object of unescaped string
    /// properties with distinct ASCII keys (what the writer produces for ASCII keys); anything else goes the slow way.
    /// </summary>
    private bool TagsFromJson()
    {
        if (IsNull(Tags))
        {
            _encoder.Int(0);
            return true;
        }
        var json = raw.sqlite3_column_blob(_statement, Tags);
        if (!Utf8.IsValid(json)) return false;
        _tags.Clear();
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (true)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject) break;
                if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return false;
                var key = (int)reader.TokenStartIndex + 1;
                var keyLength = reader.ValueSpan.Length;
                if (!Ascii.IsValid(reader.ValueSpan)) return false;
                if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
                _tags.Add((key, keyLength, (int)reader.TokenStartIndex + 1, reader.ValueSpan.Length));
            }
            if (reader.Read()) return false;
        }
        catch (JsonException)
        {
            return false;
        }
        // Insertion sort: a record has a handful of tags. Keys are ASCII, so byte order is the ordinal order of their strings.
        for (var i = 1; i < _tags.Count; i++)
        {
            var tag = _tags[i];
            var j = i - 1;
            for (; j >= 0 && json.Slice(_tags[j].Key, _tags[j].KeyLength).SequenceCompareTo(json.Slice(tag.Key, tag.KeyLength)) > 0; j--) _tags[j + 1] = _tags[j];
            _tags[j + 1] = tag;
        }
        for (var i = 1; i < _tags.Count; i++)
        {
            if (json.Slice(_tags[i - 1].Key, _tags[i - 1].KeyLength).SequenceEqual(json.Slice(_tags[i].Key, _tags[i].KeyLength))) return false;
        }
        _encoder.Int(_tags.Count);
        foreach (var (key, keyLength, value, valueLength) in _tags)
        {
            _encoder.Text(json.Slice(key, keyLength));
            _encoder.Text(json.Slice(value, valueLength));
        }
        return true;
    }

    /// <summary>One string per segment, not per row.</summary>
    private string SegmentOf(ReadOnlySpan<byte> utf8)
    {
        if (!utf8.SequenceEqual(_segmentBytes))
        {
            _segmentBytes = utf8.ToArray();
            _segment = Encoding.UTF8.GetString(utf8);
        }
        return _segment;
    }

    /// <summary>The row read and hashed through the record reader, as the ledger reads records.</summary>
    private ChainEntry ReadSlow(long seq)
    {
        SlowRows++;
        if (_slow is null)
        {
            _slow = _connection.CreateCommand();
            _slow.CommandText = $"SELECT {SqliteRecordColumns.Select}, chain_segment, chain_pos, chain_prev, chain_hash, seq FROM usage_records WHERE seq = $seq;";
            _slow.Transaction = _transaction;
            _slow.Parameters.Add("$seq", SqliteType.Integer);
        }
        _slow.Parameters[0].Value = seq;
        using var reader = _slow.ExecuteReader();
        if (!reader.Read()) throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"usage_records row {seq} went away while it was read."));
        const int c = SqliteRecordColumns.Count;
        try
        {
            var record = SqliteRecordColumns.Read(reader);
            var previous = Bytes(reader, c + 2);
            return new ChainEntry(reader.GetString(c), reader.GetInt64(c + 1), "usage_records", seq, "record " + record.Id,
                previous, Bytes(reader, c + 3), LedgerChain.Hash(previous, record));
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or JsonException or ArgumentException)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"usage_records row {seq} (record {reader.GetValue(0)}) cannot be read as a chained usage record ({e.Message}): it was changed by hand."), e);
        }
    }

    /// <summary>A chain hash column as the fast path reads it: its bytes whatever their type, none for NULL.</summary>
    private static byte[] Bytes(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        byte[] bytes => bytes,
        DBNull => [],
        var other => Encoding.UTF8.GetBytes(Convert.ToString(other, CultureInfo.InvariantCulture)!),
    };

    public void Dispose()
    {
        _statement.Dispose();
        _slow?.Dispose();
    }
}
