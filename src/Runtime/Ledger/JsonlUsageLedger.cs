using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// An append-only audit log of usage records: one JSON object a line in monthly files
/// <c>usage_log_YYYY-MM.jsonl</c> (UTC months), with the fields of the common usage-log format
/// (<c>timestamp</c>, <c>provider</c>, <c>request_tokens</c>, <c>response_tokens</c>, <c>total_tokens</c>,
/// <c>estimated_cost</c>, <c>duration_ms</c>, <c>status</c>, <c>metadata</c>) plus GuardedAI's own. Usually a second
/// sink next to SQLite (<see cref="CompositeUsageLedger"/>). Reading never skips a bad line: a corrupt or truncated
/// line raises <see cref="UsageLogFormatException"/> naming the file and line.
/// </summary>
public sealed class JsonlUsageLedger : IUsageLedger, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _logger;
    private FileStream? _file;
    private string? _fileMonth;

    /// <summary>Writes to <paramref name="directory"/> (created if missing).</summary>
    /// <param name="directory">Where the monthly files go.</param>
    /// <param name="flushToDisk">Whether each append waits for the OS to put the line on disk (fsync); default true.</param>
    /// <param name="logger">Where repairs are reported.</param>
    public JsonlUsageLedger(string directory, bool flushToDisk = true, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        FlushToDisk = flushToDisk;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The directory of the monthly files.</summary>
    public string Directory { get; }

    /// <summary>Whether each append is flushed to disk before it completes.</summary>
    public bool FlushToDisk { get; }

    /// <summary>The file name of the month containing <paramref name="timestamp"/> (UTC).</summary>
    public static string FileName(DateTimeOffset timestamp) =>
        string.Create(CultureInfo.InvariantCulture, $"usage_log_{timestamp.UtcDateTime:yyyy-MM}.jsonl");

    /// <inheritdoc/>
    public async ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var line = Encoding.UTF8.GetBytes(ToJson(record) + "\n");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var file = OpenMonth(FileName(record.Timestamp));
            await file.WriteAsync(line, CancellationToken.None).ConfigureAwait(false);
            if (FlushToDisk) file.Flush(flushToDisk: true);
            else await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var files = System.IO.Directory.GetFiles(Directory, "usage_log_*.jsonl").OrderBy(f => f, StringComparer.Ordinal).ToList();
        var records = new List<UsageRecord>();
        foreach (var path in files)
        {
            var name = Path.GetFileName(path);
            if (query.From is { } from && string.CompareOrdinal(name, FileName(from)) < 0) continue;
            if (query.To is { } to && string.CompareOrdinal(name, FileName(to)) > 0) continue;
            var number = 0;
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var record = Parse(line, path, number);
                if (query.Matches(record)) records.Add(record);
            }
        }
        foreach (var record in records.OrderBy(r => r.Timestamp)) yield return record;
    }

    /// <summary>Closes the current file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is not null) await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private FileStream OpenMonth(string name)
    {
        if (_file is not null && _fileMonth == name) return _file;
        _file?.Dispose();
        var path = Path.Combine(Directory, name);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        if (file.Length > 0)
        {
            file.Seek(-1, SeekOrigin.End);
            if (file.ReadByte() != '\n')
            {
                // A torn write (a crash mid-line). Start a new line so the next record is whole; the torn line
                // stays in the file and is reported when the file is read.
                file.Seek(0, SeekOrigin.End);
                file.WriteByte((byte)'\n');
                EngineLog.IncompleteAuditLine(_logger, path);
            }
        }
        file.Seek(0, SeekOrigin.End);
        _file = file;
        _fileMonth = name;
        return file;
    }

    /// <summary>The JSON line of <paramref name="record"/> (without the newline).</summary>
    public static string ToJson(UsageRecord record)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in record.Tags) metadata[key] = value;
        var json = new JsonObject
        {
            ["timestamp"] = record.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["provider"] = record.Provider,
            ["request_tokens"] = record.InputTokens,
            ["response_tokens"] = record.OutputTokens,
            ["total_tokens"] = record.TotalTokens,
            ["estimated_cost"] = record.CostUsd,
            ["duration_ms"] = (long)Math.Round(record.Duration.TotalMilliseconds),
            ["status"] = StatusName(record.Status),
            ["metadata"] = metadata,
            ["id"] = record.Id,
            ["budget"] = record.Budget,
            ["tenant"] = record.Tenant,
            ["model"] = record.Model,
            ["cached_input_tokens"] = record.CachedInputTokens,
            ["reasoning_tokens"] = record.ReasoningTokens,
            ["reserved_input_tokens"] = record.ReservedInputTokens,
            ["reserved_output_tokens"] = record.ReservedOutputTokens,
            ["reserved_cost"] = record.ReservedCostUsd,
            ["usage_reported"] = record.UsageReported,
            ["duration_ticks"] = record.Duration.Ticks,
            ["reason"] = record.Reason,
            ["price_table_version"] = record.PriceTableVersion,
            ["conversation_id"] = record.ConversationId,
            ["run_id"] = record.RunId,
        };
        // Only on calls a budget in shadow would have denied, so other lines keep their shape.
        if (record.WouldBeDeniedBy is not null)
        {
            json["would_be_denied_by"] = record.WouldBeDeniedBy;
            json["would_be_denied_reason"] = record.WouldBeDeniedReason;
        }
        return json.ToJsonString();
    }

    private static UsageRecord Parse(string line, string path, int number)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("the line is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new UsageLogFormatException(path, number, $"it is not valid JSON, probably truncated or corrupt ({ex.Message})", ex);
        }
        try
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (obj["metadata"] is JsonObject metadata)
            {
                foreach (var (key, value) in metadata) tags[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
            }
            var timestamp = DateTimeOffset.Parse(Required<string>(obj, "timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            var durationMs = Optional<long>(obj, "duration_ms");
            return new UsageRecord
            {
                Id = Required<string>(obj, "id"),
                Timestamp = timestamp,
                Budget = Required<string>(obj, "budget"),
                Status = ParseStatus(Required<string>(obj, "status")),
                Tenant = Optional<string>(obj, "tenant"),
                Provider = Optional<string>(obj, "provider"),
                Model = Optional<string>(obj, "model"),
                InputTokens = Optional<long>(obj, "request_tokens"),
                OutputTokens = Optional<long>(obj, "response_tokens"),
                CachedInputTokens = Optional<long>(obj, "cached_input_tokens"),
                ReasoningTokens = Optional<long>(obj, "reasoning_tokens"),
                ReservedInputTokens = Optional<long>(obj, "reserved_input_tokens"),
                ReservedOutputTokens = Optional<long>(obj, "reserved_output_tokens"),
                ReservedCostUsd = Optional<decimal>(obj, "reserved_cost"),
                CostUsd = Optional<decimal>(obj, "estimated_cost"),
                UsageReported = Optional<bool>(obj, "usage_reported"),
                Duration = obj["duration_ticks"] is not null ? TimeSpan.FromTicks(Optional<long>(obj, "duration_ticks")) : TimeSpan.FromMilliseconds(durationMs),
                Reason = Optional<string>(obj, "reason"),
                PriceTableVersion = Optional<string>(obj, "price_table_version"),
                ConversationId = Optional<string>(obj, "conversation_id"),
                RunId = Optional<string>(obj, "run_id"),
                WouldBeDeniedBy = Optional<string>(obj, "would_be_denied_by"),
                WouldBeDeniedReason = Optional<string>(obj, "would_be_denied_reason"),
                Tags = tags,
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or JsonException or OverflowException)
        {
            throw new UsageLogFormatException(path, number, ex.Message, ex);
        }
    }

    private static T Required<T>(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.TryGetValue<T>(out var result) && result is not null
            ? result
            : throw new FormatException($"the field '{name}' is missing or not a {typeof(T).Name}");

    private static T? Optional<T>(JsonObject obj, string name) => obj[name] switch
    {
        null => default,
        JsonValue value when value.TryGetValue<T>(out var result) => result,
        _ => throw new FormatException($"the field '{name}' is not a {typeof(T).Name}"),
    };

    private static string StatusName(UsageStatus status) => status switch
    {
        UsageStatus.Success => "success",
        UsageStatus.Failed => "failed",
        UsageStatus.Denied => "denied",
        UsageStatus.Cancelled => "cancelled",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static UsageStatus ParseStatus(string status) => status.ToLowerInvariant() switch
    {
        "success" => UsageStatus.Success,
        "failed" or "error" => UsageStatus.Failed,
        "denied" => UsageStatus.Denied,
        "cancelled" => UsageStatus.Cancelled,
        _ => throw new FormatException($"the status '{status}' is not one of success, failed, denied, cancelled"),
    };
}

/// <summary>A usage log line that cannot be read. Nothing is skipped silently: fix or remove the line.</summary>
public sealed class UsageLogFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UsageLogFormatException(string path, int lineNumber, string problem, Exception? inner = null)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"The usage log '{path}' line {lineNumber} cannot be read: {problem}. GuardedAI does not skip records; repair or remove that line and read again."), inner)
    {
        Path = path;
        LineNumber = lineNumber;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The 1-based line number.</summary>
    public int LineNumber { get; }
}
