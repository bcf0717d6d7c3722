using GuardedAI.Replay;

namespace GuardedAI;

/// <summary>
/// Answers "what would this policy have done to these calls?": replays recorded calls, in time order, through a real
/// <see cref="BudgetEngine"/> holding the proposed budgets — on in-memory counters, a ledger that keeps nothing and a
/// clock that stands at each call's start — so calendar windows, time zones, tenants, conversations, runs, per-request
/// caps, thresholds, breakers and degradation decide exactly as they would have live (the counters decide as
/// <see cref="InMemoryBudgetCounterStore"/>'s do, without its once-a-minute sweep of every counter). It reads records and writes
/// nowhere: the live counters and the ledger are never touched.
/// </summary>
/// <remarks>
/// Each call reserves what it reserved then (its recorded reserved tokens and cost, or its usage when the record has no
/// reservation) and settles at once with what it really used, as recorded: success, provider failure or cancellation.
/// Calls denied at the time are skipped, since they never ran and their usage is unknown. Calls the proposal would have
/// denied are not counted, as they would not have happened. Throttling is reported, not simulated: the replayed calls
/// keep their recorded times. Costs are charged at the proposal's prices (the embedded table unless it sets its own).
/// </remarks>
public static class WhatIfReplay
{
    /// <summary>Replays <paramref name="records"/> (oldest first) against <paramref name="proposal"/>.</summary>
    /// <exception cref="ArgumentException">The records are not in time order; the message names the first one out of order.</exception>
    public static async Task<WhatIfReport> RunAsync(WhatIfProposal proposal, IAsyncEnumerable<UsageRecord> records, CancellationToken cancellationToken = default) =>
        await RunAsync(proposal, records, DefaultMaxListedCalls, cancellationToken).ConfigureAwait(false);

    /// <summary>How many denied and degraded calls a report lists by default (its counts and sums cover every call).</summary>
    public const int DefaultMaxListedCalls = 100_000;

    /// <summary>Replays <paramref name="records"/> (oldest first) against <paramref name="proposal"/>, listing at most
    /// <paramref name="maxListedCalls"/> denied and as many degraded calls.</summary>
    /// <exception cref="ArgumentException">The records are not in time order; the message names the first one out of order.</exception>
    public static async Task<WhatIfReport> RunAsync(WhatIfProposal proposal, IAsyncEnumerable<UsageRecord> records, int maxListedCalls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfNegative(maxListedCalls);
        await using var replay = new Replayer(proposal, maxListedCalls);
        // Reading (a ledger query, parsing rows) overlaps with replaying: the records come through a bounded queue of batches.
        var batches = System.Threading.Channels.Channel.CreateBounded<UsageRecord[]>(new System.Threading.Channels.BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = Task.Run(async () =>
        {
            try
            {
                var batch = new List<UsageRecord>(ReadBatch);
                await foreach (var record in records.WithCancellation(stop.Token).ConfigureAwait(false))
                {
                    batch.Add(record);
                    if (batch.Count < ReadBatch) continue;
                    await batches.Writer.WriteAsync(batch.ToArray(), stop.Token).ConfigureAwait(false);
                    batch.Clear();
                }
                if (batch.Count > 0) await batches.Writer.WriteAsync(batch.ToArray(), stop.Token).ConfigureAwait(false);
                batches.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                batches.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var record in batch) await replay.NextAsync(record).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
        }
        return replay.Report();
    }

    private const int ReadBatch = 1024;

    /// <summary>Replays <paramref name="records"/> (oldest first) against <paramref name="proposal"/>, listing every denied and degraded call.</summary>
    /// <exception cref="ArgumentException">The records are not in time order; the message names the first one out of order.</exception>
    public static async Task<WhatIfReport> RunAsync(WhatIfProposal proposal, IEnumerable<UsageRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(records);
        await using var replay = new Replayer(proposal, int.MaxValue);
        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await replay.NextAsync(record).ConfigureAwait(false);
        }
        return replay.Report();
    }

    /// <summary>One replay: the engine, its clock and what it found.</summary>
    private sealed class Replayer : IAsyncDisposable
    {
        private readonly ReplayClock _clock = new(DateTimeOffset.UnixEpoch);
        private readonly BudgetEngine _engine;
        private readonly Dictionary<string, (BudgetPolicy Decides, DegradationSettings Degradation)> _budgets = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DateTimeOffset> _lastAdmitted = new(StringComparer.Ordinal);
        private readonly List<WhatIfDenial> _denials = [];
        private readonly List<WhatIfDegradation> _degradations = [];
        private readonly Dictionary<(string, DenialKind, BudgetDimension?, BudgetWindow?), WhatIfLimit> _limits = [];
        private readonly HashSet<string> _unknownBudgets = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string?), WhatIfDenied> _who = [];
        private readonly int _maxListed;
        private long _replayed, _skipped, _unknown, _denied, _degraded;
        private decimal _replayedCost, _avoided;
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public Replayer(WhatIfProposal proposal, int maxListed)
        {
            _maxListed = maxListed;
            var options = new BudgetEngineOptions
            {
                TimeProvider = _clock,
                Store = new ReplayCounterStore(_clock),
                Ledger = new DiscardingLedger(),
                LogAlerts = false,
                Prices = proposal.Prices,
                DefaultTenantPolicy = proposal.DefaultTenantPolicy is { } template ? Enforced(template) : null,
                LeaseSweepInterval = Timeout.InfiniteTimeSpan,
            };
            // Alerts that only inform (a projection, a spend anomaly) decide nothing: a replay reports denials, not alerts.
            options.Alerts.ProjectExceedance = false;
            options.Alerts.AnomalyFactor = 0;
            foreach (var policy in proposal.Policies)
            {
                var decides = Enforced(policy);
                options.Policies.Add(decides);
                _budgets[policy.Name] = (decides, policy.Degradation);
            }
            foreach (var (tenant, policy) in proposal.TenantPolicies) options.TenantPolicies[tenant] = Enforced(policy);
            _engine = new BudgetEngine(options);
        }

        /// <summary>The policy as the replay engine holds it: enforced, without a companion, and without throttling (a replay
        /// reports throttling rather than waiting for it).</summary>
        private static BudgetPolicy Enforced(BudgetPolicy policy) => policy.ToBuilder()
            .WithMode(EnforcementMode.Enforce)
            .WithShadowCompanion(null)
            .WithDegradation(policy.Degradation with { ThrottleInterval = null })
            .Build();

        public async ValueTask NextAsync(UsageRecord record)
        {
            if (record.Timestamp < _last)
                throw new ArgumentException($"Usage records must be replayed oldest first: record '{record.Id}' at {record.Timestamp:O} comes after one at {_last:O}.", nameof(record));
            _last = record.Timestamp;
            if (record.Status == UsageStatus.Denied || record.Kind == UsageKind.Turn)
            {
                _skipped++;
                return;
            }
            if (!_budgets.TryGetValue(record.Budget, out var budget))
            {
                _unknown++;
                _unknownBudgets.Add(record.Budget);
                return;
            }
            _clock.MoveTo(record.Timestamp);
            _replayed++;
            _replayedCost += record.CostUsd;
            var now = record.Timestamp;
            var context = new ReservationContext { Tenant = record.Tenant, ConversationId = record.ConversationId, RunId = record.RunId, Provider = record.Provider };
            if (record.Kind == UsageKind.ToolCall)
            {
                var tool = record.Model is { } m && m.StartsWith("tool:", StringComparison.Ordinal) ? m[5..] : record.Model ?? "tool";
                await _engine.RecordToolCostAsync(budget.Decides, context, tool, record.CostUsd).ConfigureAwait(false);
                return;
            }

            // Degradation, as the guard applies it: the budget's highest crossed level before the call.
            var degradation = budget.Degradation;
            var level = degradation.ThrottleInterval is null && degradation.DowngradeModel is null ? 0 : _engine.Parts.Thresholds.Levels.HighestPercent(budget.Decides, now);
            TimeSpan? delay = null;
            if (degradation.ThrottleInterval is { } interval && level >= budget.Decides.Thresholds.WarnAtPercent
                && _lastAdmitted.TryGetValue(record.Budget, out var previous) && previous + interval > now)
            {
                delay = previous + interval - now;
            }
            var model = record.Model;
            string? downgradedTo = null;
            if (degradation.DowngradeModel is { } cheaper && level >= budget.Decides.Thresholds.CriticalAtPercent
                && !string.Equals(model, cheaper, StringComparison.OrdinalIgnoreCase))
            {
                downgradedTo = model = cheaper;
            }
            var reservedIn = record.ReservedInputTokens > 0 || record.ReservedOutputTokens > 0 ? record.ReservedInputTokens : record.InputTokens;
            var reservedOut = record.ReservedInputTokens > 0 || record.ReservedOutputTokens > 0 ? record.ReservedOutputTokens : record.OutputTokens;
            var reservedCost = downgradedTo is not null ? _engine.Parts.Pricing.Cost(model, new TokenUsage(reservedIn, reservedOut))
                : record.ReservedCostUsd > 0 ? record.ReservedCostUsd : record.CostUsd;

            var lease = await _engine.TryReserveAsync(budget.Decides, new UsageEstimate(model, reservedIn, reservedOut, reservedCost), context).ConfigureAwait(false);
            if (lease.Denial is { } denial)
            {
                Deny(record, denial, now);
                return;
            }
            var actual = new TokenUsage(record.InputTokens, record.OutputTokens, record.CachedInputTokens, record.CacheWriteInputTokens, record.ReasoningTokens);
            var settled = record.Status switch
            {
                UsageStatus.Failed => await lease.FailAsync(record.Reason ?? "the provider call failed", actual, record.UsageReported).ConfigureAwait(false),
                UsageStatus.Cancelled => await lease.CancelAsync(record.Reason ?? "cancelled", actual, record.UsageReported).ConfigureAwait(false),
                _ => await lease.CommitAsync(actual, record.UsageReported).ConfigureAwait(false),
            };
            if (degradation.ThrottleInterval is not null) _lastAdmitted[record.Budget] = delay is { } wait ? now + wait : now;
            if (delay is not null)
                Degrade(new(record.Id, now, record.Budget, record.Tenant, WhatIfDegradationAction.Throttled, record.Model, null, delay, record.CostUsd, record.CostUsd));
            if (downgradedTo is not null)
                Degrade(new(record.Id, now, record.Budget, record.Tenant, WhatIfDegradationAction.Downgraded, record.Model, downgradedTo, null, record.CostUsd, settled.CostUsd));
        }

        private void Degrade(WhatIfDegradation degradation)
        {
            _degraded++;
            _avoided += degradation.CostUsd - degradation.DegradedCostUsd;
            if (_degradations.Count < _maxListed) _degradations.Add(degradation);
        }

        private void Deny(UsageRecord record, BudgetDenial denial, DateTimeOffset now)
        {
            _denied++;
            _avoided += record.CostUsd;
            if (_denials.Count < _maxListed)
                _denials.Add(new(record.Id, now, record.Budget, record.Tenant, record.ConversationId, denial.Kind, denial.Scope, denial.Dimension, denial.Window, denial.Reason, record.CostUsd));
            var who = (record.Budget, record.Tenant);
            _who[who] = _who.TryGetValue(who, out var known)
                ? known with { Denials = known.Denials + 1, SpendAvoidedUsd = known.SpendAvoidedUsd + record.CostUsd }
                : new WhatIfDenied(record.Budget, record.Tenant, 1, now, record.CostUsd);
            var scope = denial.Window is { } window && window.IsScope() ? ScopeFamily(denial.Scope, window == BudgetWindow.Conversation ? record.ConversationId : record.RunId) : denial.Scope;
            var key = (scope, denial.Kind, denial.Dimension, denial.Window);
            _limits[key] = _limits.TryGetValue(key, out var seen)
                ? seen with { Denials = seen.Denials + 1, SpendAvoidedUsd = seen.SpendAvoidedUsd + record.CostUsd }
                : new WhatIfLimit(scope, denial.Kind, denial.Dimension, denial.Window, 1, now, record.CostUsd);
        }

        /// <summary><c>conversation:bot:c42</c> → <c>conversation:bot</c>: one line per budget's conversation limit, not per conversation.</summary>
        private static string ScopeFamily(string scope, string? id) =>
            id is not null && scope.EndsWith(":" + id, StringComparison.Ordinal) ? scope[..^(id.Length + 1)] : scope;

        public WhatIfReport Report() => new(_replayed, _skipped, _unknown, _replayedCost, _denials, _degradations,
            _limits.Values.OrderByDescending(l => l.Denials).ThenBy(l => l.FirstHitAt).ToArray(), _unknownBudgets.Order(StringComparer.Ordinal).ToArray(),
            _denied, _degraded, _avoided, _who.Values.OrderByDescending(w => w.Denials).ThenBy(w => w.FirstDeniedAt).ToArray());

        public ValueTask DisposeAsync() => _engine.DisposeAsync();
    }
}
