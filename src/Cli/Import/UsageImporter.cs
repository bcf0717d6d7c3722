using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using System.Threading.Channels;
using GuardedAI.Cli.Infrastructure;

namespace GuardedAI.Cli.Import;

/// <summary>What to import and how.</summary>
internal sealed record ImportSettings(string File, string Format, string Budget, string? Tenant, int MaxLineBytes, PriceCatalog Prices);

/// <summary>A rejected line.</summary>
internal sealed record Rejection(long Line, string Kind, string Reason);

/// <summary>The outcome of an import.</summary>
internal sealed class ImportResult
{
    public long Lines { get; set; }
    public long Imported { get; set; }
    public long Duplicates { get; set; }
    public long Rejected { get; set; }
    public long Blank { get; set; }
    /// <summary>Imported calls whose line carried no token counts (plain common-log lines): counted as requests at no cost.</summary>
    public long WithoutTokens { get; set; }
    public decimal CostUsd { get; set; }
    public SortedDictionary<string, long> RejectedByKind { get; } = new(StringComparer.Ordinal);
    /// <summary>The first <see cref="UsageImporter.KeptRejections"/> rejections (all are counted).</summary>
    public List<Rejection> Rejections { get; } = [];
    public TimeSpan Elapsed { get; set; }
    public string PriceTable { get; set; } = "";
}

/// <summary>
/// Imports proxy access logs into a ledger: line by line in bounded memory (a line longer than the limit is never
/// held), each line parsed, its provider detected, priced with the price table, given an id (the request id when the
/// line has one, otherwise a hash of the line and its occurrence among identical lines nearby) so that importing the
/// same file again writes nothing new, and written in batches by a second task. Every line that cannot be imported is
/// counted with its line number and reason; nothing stops the import but an unreadable file or ledger.
/// </summary>
internal sealed class UsageImporter
{
    public const int KeptRejections = 1000;
    private const int BatchSize = 4096;
    private const int IdenticalLinesRemembered = 10_000;

    private readonly ImportSettings _settings;
    private readonly string _priceVersion;
    private readonly Dictionary<string, int> _recentHashes = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();

    public UsageImporter(ImportSettings settings)
    {
        _settings = settings;
        _priceVersion = PriceTableVersion.Of(settings.Prices);
    }

    public async Task<ImportResult> RunAsync(LedgerAccess ledger, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var result = new ImportResult { PriceTable = _priceVersion };
        var watch = Stopwatch.StartNew();
        await using var stream = new FileStream(_settings.File, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20, FileOptions.SequentialScan);
        var length = stream.Length;
        var batches = Channel.CreateBounded<List<UsageRecord>>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await using var importer = await ledger.CreateImporterAsync(CancellationToken.None).ConfigureAwait(false);
            long inserted = 0, written = 0;
            await foreach (var batch in batches.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                inserted += await importer.WriteAsync(batch).ConfigureAwait(false);
                written += batch.Count;
            }
            return (inserted, written);
        }, CancellationToken.None);

        try
        {
            using var reader = new LineReader(stream, _settings.MaxLineBytes);
            var batch = new List<UsageRecord>(BatchSize);
            var sinceProgress = 0;
            while (reader.TryRead(out var raw))
            {
                cancellationToken.ThrowIfCancellationRequested();
                result.Lines++;
                if (Convert(raw, result) is { } record)
                {
                    batch.Add(record);
                    result.CostUsd += record.CostUsd;
                    if (batch.Count == BatchSize)
                    {
                        await batches.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                        batch = new List<UsageRecord>(BatchSize);
                    }
                }
                if (++sinceProgress == 8192)
                {
                    sinceProgress = 0;
                    progress?.Invoke(reader.Position, length);
                }
            }
            if (batch.Count > 0) await batches.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            progress?.Invoke(length, length);
        }
        finally
        {
            batches.Writer.TryComplete();
        }
        var (insertedCount, writtenCount) = await writer.ConfigureAwait(false);
        result.Imported = insertedCount;
        result.Duplicates += writtenCount - insertedCount;
        result.Elapsed = watch.Elapsed;
        return result;
    }

    private UsageRecord? Convert(RawLine raw, ImportResult result)
    {
        try
        {
            return ToRecord(raw, result);
        }
        catch (LineRejected rejected)
        {
            Reject(result, raw.Number, rejected.Kind, rejected.Message);
            return null;
        }
    }

    private static void Reject(ImportResult result, long line, string kind, string reason)
    {
        result.Rejected++;
        result.RejectedByKind[kind] = result.RejectedByKind.GetValueOrDefault(kind) + 1;
        if (result.Rejections.Count < KeptRejections) result.Rejections.Add(new Rejection(line, kind, reason));
    }

    private UsageRecord? ToRecord(RawLine raw, ImportResult result)
    {
        if (raw.TooLongBytes > 0)
            throw new LineRejected("too-long", $"{raw.TooLongBytes:N0} bytes long; lines of at most {_settings.MaxLineBytes:N0} bytes are read (--max-line-bytes)");
        var bytes = raw.Bytes;
        var trimmed = Trim(bytes);
        if (trimmed.IsEmpty)
        {
            result.Blank++;
            return null;
        }
        var control = trimmed.IndexOfAnyInRange((byte)0, (byte)0x1F);
        while (control >= 0 && trimmed[control] == (byte)'\t')
        {
            var next = trimmed[(control + 1)..].IndexOfAnyInRange((byte)0, (byte)0x1F);
            control = next < 0 ? -1 : control + 1 + next;
        }
        if (control >= 0) throw new LineRejected("binary", $"binary data (byte 0x{trimmed[control]:X2} at column {control + 1})");
        if (!Utf8.IsValid(trimmed)) throw new LineRejected("binary", "binary data (not UTF-8 text)");

        var isJson = trimmed[0] == (byte)'{' || trimmed[0] == (byte)'[';
        LogLine line;
        switch (_settings.Format)
        {
            case "json":
                line = JsonLineParser.Parse(trimmed);
                break;
            case "clf":
                if (isJson) throw new LineRejected("not-a-log-line", "a JSON line, but --format clf reads common log format only");
                line = CommonLogParser.Parse(Encoding.UTF8.GetString(trimmed));
                break;
            default:
                line = isJson ? JsonLineParser.Parse(trimmed) : CommonLogParser.Parse(Encoding.UTF8.GetString(trimmed));
                break;
        }

        PriceLookup? price = null;
        if (line.Model is { } model)
        {
            var lookup = _settings.Prices.Resolve(model);
            if (!lookup.IsKnown)
                throw new LineRejected("unknown-model", $"unknown model '{JsonLineParser.Short(model)}': the price table {_priceVersion} has no price for it (add one with --prices FILE)");
            price = lookup;
        }
        else if (line.Format == "json")
        {
            throw new LineRejected("missing-field", "no 'model'");
        }
        else if (line.HasTokens)
        {
            throw new LineRejected("missing-field", "token counts without model=… cannot be priced");
        }
        var provider = ProviderDetector.Detect(line, price);
        if (provider is null && line.Format == "clf" && !ProviderDetector.IsLlmPath(line.Path))
            throw new LineRejected("not-llm", $"not an LLM API request (path '{JsonLineParser.Short(line.Path ?? "")}', no known client)");

        var status = line.HttpStatus is { } code ? code is >= 200 and < 400 ? UsageStatus.Success : UsageStatus.Failed
            : line.Failed == true ? UsageStatus.Failed : UsageStatus.Success;
        var usage = new TokenUsage(line.InputTokens, line.OutputTokens, line.CachedInputTokens, line.CacheWriteInputTokens, line.ReasoningTokens);
        var cost = price is { } p && usage.TotalTokens > 0 ? PriceCatalog.ComputeCost(p.Price, usage) : 0m;
        if (!line.HasTokens) result.WithoutTokens++;
        return new UsageRecord
        {
            Id = line.RequestId is { } requestId ? "import:req:" + requestId : "import:line:" + ContentId(trimmed),
            Timestamp = line.Timestamp,
            Budget = line.Budget ?? _settings.Budget,
            Tenant = line.Tenant ?? _settings.Tenant,
            Provider = provider,
            Model = line.Model,
            InputTokens = line.InputTokens,
            OutputTokens = line.OutputTokens,
            CachedInputTokens = line.CachedInputTokens,
            ReasoningTokens = line.ReasoningTokens,
            // An imported call had no estimate; recording its usage as the estimate keeps it from distorting estimate accuracy.
            ReservedInputTokens = line.InputTokens,
            ReservedOutputTokens = line.OutputTokens,
            ReservedCostUsd = cost,
            CostUsd = cost,
            UsageReported = line.HasTokens,
            Duration = TimeSpan.FromMilliseconds(line.DurationMs),
            Status = status,
            Reason = status == UsageStatus.Failed ? line.HttpStatus is { } s ? $"HTTP {s}" : "failed" : null,
            Tags = line.Format == "clf" ? ClfTags : JsonTags,
            PriceTableVersion = price is null ? null : _priceVersion,
            ConversationId = line.ConversationId,
            RunId = line.RunId,
        };
    }

    private static readonly IReadOnlyDictionary<string, string> JsonTags = new Dictionary<string, string> { ["source"] = "import:json" };
    private static readonly IReadOnlyDictionary<string, string> ClfTags = new Dictionary<string, string> { ["source"] = "import:clf" };

    /// <summary>
    /// A line without a request id is identified by its content and its occurrence among identical lines seen
    /// recently: two identical common-log lines in the same second are two calls, and the same file imported again
    /// yields the same ids. Identical lines more than <see cref="IdenticalLinesRemembered"/> distinct lines apart are
    /// taken as the same call (memory stays bounded).
    /// </summary>
    private string ContentId(ReadOnlySpan<byte> line)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(line, hash);
        var key = System.Convert.ToHexStringLower(hash[..16]);
        if (_recentHashes.TryGetValue(key, out var seen))
        {
            _recentHashes[key] = seen + 1;
            return key + ":" + (seen + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        _recentHashes[key] = 0;
        _recentOrder.Enqueue(key);
        if (_recentOrder.Count > IdenticalLinesRemembered) _recentHashes.Remove(_recentOrder.Dequeue());
        return key + ":0";
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> bytes)
    {
        // A UTF-8 byte order mark at the start of a file is not content.
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        return bytes.Trim(" \t"u8);
    }
}
