using System.Reflection;
using System.Runtime.CompilerServices;

namespace GuardedAI.Tests;

/// <summary>A settled call's record without the record object: <see cref="UsageValues"/>, the in-memory ledger's slots,
/// and the guards' settlement that never makes the object.</summary>
public class UsageValuesTests
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("values").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000_000).Build();

    [Fact]
    public void Every_property_of_a_usage_record_has_its_field()
    {
        var fields = typeof(UsageValues).GetFields(BindingFlags.Public | BindingFlags.Instance).Select(f => f.Name).ToHashSet();
        var missing = typeof(UsageRecord).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null) // TotalTokens is computed
            .Select(p => p.Name)
            .Where(name => !fields.Contains(name))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Copying_into_a_ledger_slot_copies_every_field()
    {
        // Every field set to a value unlike its default, so a field CopyTo leaves out stays default in the copy.
        var fields = typeof(UsageValues).GetFields(BindingFlags.Public | BindingFlags.Instance);
        object boxed = default(UsageValues);
        for (var n = 0; n < fields.Length; n++) fields[n].SetValue(boxed, NotDefault(fields[n].FieldType, n + 1));
        var values = (UsageValues)boxed;

        var copy = default(UsageValues);
        values.CopyTo(ref copy);

        foreach (var field in fields) Assert.True(Equals(field.GetValue(values), field.GetValue(copy)), $"UsageValues.CopyTo left out {field.Name}");
    }

    private static object NotDefault(Type type, int n)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum) return Enum.ToObject(underlying, 1);
        if (underlying == typeof(string)) return "value " + n;
        if (underlying == typeof(long)) return (long)n;
        if (underlying == typeof(decimal)) return n + 0.25m;
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(TimeSpan)) return TimeSpan.FromTicks(n);
        if (underlying == typeof(DateTimeOffset)) return DateTimeOffset.UnixEpoch.AddDays(n);
        if (underlying == typeof(ReservationId)) return ReservationId.TryParse("0192d4e0a1b27c3d8e4f5a6b7c8d9e0f", out var id) ? id : throw new InvalidOperationException("the id did not parse");
        if (underlying == typeof(IReadOnlyDictionary<string, string>)) return new Dictionary<string, string> { ["tag"] = "value " + n };
        throw new InvalidOperationException($"No test value for a field of type {type}: add one.");
    }

    [Theory]
    [InlineData("0192d4e0a1b27c3d8e4f5a6b7c8d9e0f")] // the engine's form: kept as its bits
    [InlineData("invoice-7/line 3")]                 // anything else: kept as it came
    public void A_record_with_every_value_set_comes_back_equal(string id)
    {
        var record = new UsageRecord
        {
            Id = id,
            Timestamp = new DateTimeOffset(2026, 12, 1, 9, 30, 15, TimeSpan.Zero),
            Budget = "support",
            Tenant = "acme",
            ConversationId = "c-1",
            RunId = "r-1",
            Kind = UsageKind.Turn,
            DegradedFrom = "gpt-4o",
            Provider = "openai",
            Model = "gpt-4o-mini",
            InputTokens = 11,
            OutputTokens = 12,
            CachedInputTokens = 13,
            ReasoningTokens = 14,
            CacheWriteInputTokens = 15,
            ReportedInputTokens = 16,
            ReportedOutputTokens = 17,
            ReportedTotalTokens = 18,
            ReportedCachedInputTokens = 19,
            ReportedReasoningTokens = 20,
            Anomalies = "negative output",
            ReservedInputTokens = 21,
            ReservedOutputTokens = 22,
            ReservedCostUsd = 0.000123m,
            CostUsd = 0.0000456m,
            UsageReported = true,
            Duration = TimeSpan.FromMilliseconds(1234),
            Status = UsageStatus.Failed,
            Reason = "HTTP 500",
            PriceTableVersion = "2025-11-20#3fa9c2d1",
            WouldBeDeniedBy = "shadow",
            WouldBeDeniedReason = "over the day",
            Tags = new Dictionary<string, string> { ["category"] = "billing" },
        };
        // Every settable property differs from its default, so a field the copy forgot would show.
        foreach (var property in typeof(UsageRecord).GetProperties().Where(p => p.SetMethod is not null))
        {
            var value = property.GetValue(record);
            var defaultValue = property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null ? RuntimeHelpers.GetUninitializedObject(property.PropertyType) : null;
            Assert.False(Equals(value, defaultValue), property.Name);
        }

        Assert.Equal(record, UsageValues.Of(record).ToRecord());
        Assert.Equal(ReservationId.TryParse(id, out _), UsageValues.Of(record).Id is null);
    }

    [Fact]
    public async Task Two_leases_settled_alike_leave_records_that_differ_only_in_id_and_start_and_their_settlements_say_what_the_records_hold()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy();
        var context = new ReservationContext { Tenant = "t", Provider = "openai", ConversationId = "conv", Tags = new Dictionary<string, string> { ["k"] = "v" } };

        var first = await engine.TryReserveAsync(policy, TestEngine.Estimate(40, 50, 0.001m), context);
        clock.Advance(TimeSpan.FromMilliseconds(250));
        var firstSettled = await first.CommitAsync(new TokenUsage(30, 20));

        var second = await engine.TryReserveAsync(policy, TestEngine.Estimate(40, 50, 0.001m), context);
        clock.Advance(TimeSpan.FromMilliseconds(250));
        var secondSettled = await second.CommitAsync(new TokenUsage(30, 20));

        var kept = engine.Ledger.Snapshot();
        Assert.Equal(2, kept.Count);
        Assert.Equal((first.Id, second.Id), (kept[0].Id, kept[1].Id));
        // The two calls differ only in their ids and start times: every other value the settlement wrote is the same.
        Assert.Equal(kept[1] with { Id = first.Id, Timestamp = first.StartedAt }, kept[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(250), kept[0].Duration);
        Assert.Equal(firstSettled, secondSettled);
        Assert.Equal(new LeaseSettlement(kept[0].Status, kept[0].InputTokens, kept[0].OutputTokens, kept[0].CostUsd, kept[0].Anomalies, kept[0].WouldBeDeniedBy, kept[0].WouldBeDeniedReason), firstSettled);
        Assert.Equal(50, firstSettled.TotalTokens);
        Assert.True(first.IsSettled);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first.CommitAsync(default));
    }

    [Fact]
    public async Task A_ledger_of_the_users_own_still_gets_a_record_from_a_guarded_call()
    {
        var ledger = new ListLedger();
        var (engine, _, _) = TestEngine.Create(o => o.Ledger = ledger);
        var lease = await engine.TryReserveAsync(Policy(), TestEngine.Estimate(40, 50));

        await lease.CommitAsync(new TokenUsage(30, 20));

        var record = Assert.Single(ledger.Records);
        Assert.Equal(lease.Id, record.Id);
        Assert.Equal((30, 20), (record.InputTokens, record.OutputTokens));
    }

    [Fact]
    public async Task A_lease_id_is_the_same_text_however_often_and_wherever_it_is_read()
    {
        var (engine, _, _) = TestEngine.Create();
        var lease = await engine.TryReserveAsync(Policy(), TestEngine.Estimate(1, 1));
        await lease.CommitAsync(new TokenUsage(1, 1));

        Assert.Matches("^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$", lease.Id);
        Assert.Same(lease.Id, lease.Id);
        Assert.Equal(lease.Id, Assert.Single(engine.Ledger.Snapshot()).Id);
    }

    private sealed class ListLedger : IUsageLedger
    {
        public List<UsageRecord> Records { get; } = [];

        public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
        {
            lock (Records) Records.Add(record);
            return ValueTask.CompletedTask;
        }

        public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            UsageRecord[] copy;
            lock (Records) copy = [.. Records];
            foreach (var record in copy) if (query.Matches(record)) yield return record;
            await Task.CompletedTask;
        }
    }
}
