using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>
/// Records in the audit trail (<see cref="IOperatorAuditLog"/>; on SQLite an entry of the tamper-evident chain) when the
/// budgets a host runs with change: at start, against the set the last <c>config.changed</c> entry recorded (by any
/// earlier run, any instance sharing the ledger), and after each configuration reload the engine applied
/// (<see cref="BudgetConfigurationReload"/>). A start or reload that changes nothing writes nothing.
/// </summary>
/// <remarks>
/// The running set mirrors the engine: at start every budget, tenant budget and the default tenant budget the engine
/// was built with (configuration and code); a reload replaces the budgets and tenant budgets it names and removes none,
/// exactly as the reload does. Recording is serialised and runs off the reload's thread; a trail that cannot be written
/// is logged (event 1805) and never stops the host or a reload: the trail is evidence, not a gate.
/// </remarks>
internal sealed class ConfigurationAudit
{
    /// <summary>The audit action.</summary>
    public const string Action = "config.changed";

    /// <summary>Who the entry names as the actor: the host itself, not an operator.</summary>
    public const string Actor = "guardedai";

    /// <summary>The key of the budget every tenant without its own gets.</summary>
    public const string DefaultTenantKey = "tenant:*";

    private readonly IOperatorAuditLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Dictionary<string, JsonObject> _running;
    private Task _pending = Task.CompletedTask;

    // What the trail holds: each budget's last recorded hash (the set of the last entry), and the last definition recorded per budget.
    private Dictionary<string, string>? _recorded;
    private readonly Dictionary<string, JsonObject> _recordedDefinitions = new(StringComparer.Ordinal);

    public ConfigurationAudit(IOperatorAuditLog log, TimeProvider time, ILogger logger, BudgetEngineOptions started)
    {
        _log = log;
        _time = time;
        _logger = logger;
        _running = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var policy in started.Policies) _running[policy.Name] = BudgetDefinition.Canonical(policy);
        foreach (var (tenant, policy) in started.TenantPolicies) _running[BudgetEngine.TenantScope(tenant)] = BudgetDefinition.Canonical(policy);
        if (started.DefaultTenantPolicy is { } template) _running[DefaultTenantKey] = BudgetDefinition.Canonical(template);
        Started = Enqueue(_running, "start");
    }

    /// <summary>The start's comparison and entry (if any); completes when it is written or failed (logged).</summary>
    public Task Started { get; }

    /// <summary>Everything queued so far has been recorded (or failed, logged).</summary>
    public Task Idle
    {
        get { lock (_gate) return _pending; }
    }

    /// <summary>The reload applied <paramref name="budgets"/> and <paramref name="tenants"/>: record the running set if it changed.</summary>
    public void Reloaded(IEnumerable<BudgetPolicy> budgets, IEnumerable<(string Tenant, BudgetPolicy Policy)> tenants)
    {
        lock (_gate)
        {
            var next = new Dictionary<string, JsonObject>(_running, StringComparer.Ordinal);
            foreach (var policy in budgets) next[policy.Name] = BudgetDefinition.Canonical(policy);
            foreach (var (tenant, policy) in tenants) next[BudgetEngine.TenantScope(tenant)] = BudgetDefinition.Canonical(policy);
            _running = next;
            Enqueue(next, "reload");
        }
    }

    private Task Enqueue(Dictionary<string, JsonObject> set, string reason)
    {
        lock (_gate)
        {
            _pending = _pending.ContinueWith(_ => RecordAsync(set, reason), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            return _pending;
        }
    }

    private async Task RecordAsync(Dictionary<string, JsonObject> set, string reason)
    {
        try
        {
            _recorded ??= await LoadRecordedAsync().ConfigureAwait(false);
            var hashes = set.ToDictionary(s => s.Key, s => BudgetDefinition.Hash(s.Value), StringComparer.Ordinal);
            var entry = Describe(_recorded, _recordedDefinitions, set, hashes, reason, _time.GetUtcNow());
            if (entry is null)
            {
                RolloutLog.ConfigurationUnchanged(_logger, reason, hashes.Count);
                return;
            }
            await _log.AppendAsync(entry.Value.Action, CancellationToken.None).ConfigureAwait(false);
            _recorded = hashes;
            foreach (var key in entry.Value.Written) _recordedDefinitions[key] = set[key];
            RolloutLog.ConfigurationRecorded(_logger, reason, entry.Value.Summary);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _recorded = null; // read the trail again next time: the entry may or may not be in it
            RolloutLog.ConfigurationRecordFailed(_logger, reason, ex);
        }
    }

    /// <summary>Reads the trail: the set of the last <c>config.changed</c>, and the last definition recorded for each budget.</summary>
    private async Task<Dictionary<string, string>> LoadRecordedAsync()
    {
        _recordedDefinitions.Clear();
        Dictionary<string, string>? last = null;
        await foreach (var action in _log.ReadAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue).ConfigureAwait(false))
        {
            if (action.Action != Action || action.Detail is null || Parse(action.Detail) is not { } detail) continue;
            last = detail.Budgets;
            foreach (var (key, definition) in detail.Definitions) _recordedDefinitions[key] = definition;
        }
        return last ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>An entry's recorded set and definitions; null when the detail is not one this class wrote.</summary>
    internal static (Dictionary<string, string> Budgets, Dictionary<string, JsonObject> Definitions)? Parse(string detail)
    {
        try
        {
            if (JsonNode.Parse(detail) is not JsonObject root || root["budgets"] is not JsonObject budgets) return null;
            var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, hash) in budgets)
            {
                if (hash is not JsonValue value || !value.TryGetValue<string>(out var text)) return null;
                hashes[key] = text;
            }
            var definitions = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            if (root["changes"] is JsonArray changes)
            {
                foreach (var change in changes.OfType<JsonObject>())
                {
                    if (change["budget"]?.GetValue<string>() is { } key && change["definition"] is JsonObject definition) definitions[key] = (JsonObject)definition.DeepClone();
                }
            }
            return (hashes, definitions);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The entry for a change from <paramref name="recorded"/> to <paramref name="current"/>, or null when every budget's
    /// hash is the same. Its detail is JSON: the reason, a summary, the hash of the whole set, one change per budget
    /// added, changed or removed (its hash before and after, what changed in words, and its new definition) and the
    /// hash of every budget in the set (what the next comparison reads).
    /// </summary>
    internal static (OperatorAction Action, string Summary, List<string> Written)? Describe(IReadOnlyDictionary<string, string> recorded,
        IReadOnlyDictionary<string, JsonObject> recordedDefinitions, IReadOnlyDictionary<string, JsonObject> current,
        IReadOnlyDictionary<string, string> hashes, string reason, DateTimeOffset now)
    {
        var changes = new JsonArray();
        var phrases = new List<string>();
        var written = new List<string>();
        foreach (var key in hashes.Keys.Union(recorded.Keys).Order(StringComparer.Ordinal))
        {
            var had = recorded.TryGetValue(key, out var before);
            var has = hashes.TryGetValue(key, out var after);
            if (had && has && before == after) continue;
            var change = new JsonObject { ["budget"] = key, ["change"] = !had ? "added" : !has ? "removed" : "changed" };
            if (had) change["previousHash"] = before;
            if (has) change["hash"] = after;
            List<string> difference;
            if (!had) difference = ["added"];
            else if (!has) difference = ["removed"];
            else if (recordedDefinitions.TryGetValue(key, out var old))
            {
                difference = BudgetDefinition.Difference(old, current[key]);
                if (difference.Count == 0) difference = ["definition changed"]; // a field this version does not describe
            }
            else difference = ["definition changed (the earlier definition is no longer in the trail)"];
            change["difference"] = new JsonArray(difference.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray());
            if (has)
            {
                change["definition"] = current[key].DeepClone();
                written.Add(key);
            }
            changes.Add(change);
            phrases.Add($"{key}: {string.Join(", ", difference)}");
        }
        if (changes.Count == 0) return null;

        var summary = string.Join("; ", phrases);
        var budgets = new JsonObject();
        foreach (var (key, hash) in hashes.OrderBy(h => h.Key, StringComparer.Ordinal)) budgets[key] = hash;
        var detail = new JsonObject
        {
            ["reason"] = reason,
            ["summary"] = summary,
            ["set"] = BudgetDefinition.HashOfSet(hashes),
            ["changes"] = changes,
            ["budgets"] = budgets,
        };
        var scope = changes.Count == 1 ? (string?)changes[0]!["budget"] : null;
        return (new OperatorAction(now, Actor, Action, scope, detail.ToJsonString(Readable)), summary, written);
    }

    // Arrows and non-ASCII names stay readable in the stored text (it is never written into HTML).
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The summary of a <c>config.changed</c> entry's detail, for listings; null when it has none.</summary>
    public static string? Summary(string? detail)
    {
        if (detail is null) return null;
        try
        {
            return JsonNode.Parse(detail) is JsonObject root && root["summary"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
