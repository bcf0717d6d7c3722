namespace GuardedAI.PostgreSql.Tests;

/// <summary>Breaker state, counter resets and the operator audit trail in the shared schema.</summary>
[Collection("postgres")]
public sealed class StateStoreTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Breakers_keep_the_newest_state_and_resets_and_actions_read_back_in_order()
    {
        var options = Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"));
        await using var store = await PostgreSqlStateStore.OpenAsync(options);
        IBreakerStateStore breakers = store;
        var t = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

        await breakers.SaveAsync(new BreakerSnapshot("support", CircuitBreakerState.Open, t.AddHours(1), "incident", t));
        // A late write of an older state (another instance's, delayed) does not replace the newer one.
        await breakers.SaveAsync(new BreakerSnapshot("support", CircuitBreakerState.Closed, t, null, t.AddMinutes(-5)));
        await breakers.SaveAsync(new BreakerSnapshot("tenant:acme", CircuitBreakerState.EmergencyStopped, DateTimeOffset.MaxValue, "unpaid", t));

        // Another instance (a second store on the same schema) reads what this one wrote.
        await using var other = new PostgreSqlStateStore(options);
        var loaded = await ((IBreakerStateStore)other).LoadAsync();
        Assert.Equal(["support", "tenant:acme"], loaded.Select(b => b.Scope));
        Assert.Equal(CircuitBreakerState.Open, loaded[0].State);
        Assert.Equal("incident", loaded[0].Reason);
        Assert.Equal(t.AddHours(1), loaded[0].OpenUntil);
        Assert.Equal(CircuitBreakerState.EmergencyStopped, loaded[1].State);

        await store.SaveAsync(new CounterReset("support", BudgetWindow.Day, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), t, "test traffic"));
        await store.SaveAsync(new CounterReset("support", BudgetWindow.Month, new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero), t, null));
        var resets = await other.LoadAsync(new DateTimeOffset(2025, 12, 31, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new CounterReset("support", BudgetWindow.Day, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), t, "test traffic"), Assert.Single(resets));

        await store.AppendAsync(new OperatorAction(t, "ops-alice", "breaker trip", "support", "30 min"));
        await store.AppendAsync(new OperatorAction(t.AddDays(2), "ops-bob", "reset", "support", null));
        var actions = new List<OperatorAction>();
        await foreach (var a in other.ReadAsync(t, t.AddDays(1))) actions.Add(a);
        // Breaker changes that took effect and counter resets are audit entries too (the late, older breaker write is not).
        Assert.Equal(["breaker.open", "breaker.emergencystopped", "counter.reset", "counter.reset", "breaker trip"], actions.Select(a => a.Action));
        Assert.Equal(new OperatorAction(t, "ops-alice", "breaker trip", "support", "30 min"), actions[^1]);
        Assert.Equal("until 2026-01-01 13:00:00Z: incident", actions[0].Detail);
        Assert.Equal("Day window from 2026-01-01 00:00:00Z reset: test traffic", actions[2].Detail);
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(options);
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
        Assert.Equal(6, verification.Entries);
    }

    [Fact]
    public async Task Text_postgresql_cannot_hold_in_breaker_reasons_and_audit_entries_is_stored_as_a_replacement_and_verifies()
    {
        // A breaker's reason can quote a provider's error (untrusted: half a surrogate pair is valid JSON); an operator's
        // detail can hold a NUL. Stored as U+FFFD, hashed as stored: the chain verifies.
        var options = Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"));
        await using var store = await PostgreSqlStateStore.OpenAsync(options);
        var t = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

        await ((IBreakerStateStore)store).SaveAsync(new BreakerSnapshot("support", CircuitBreakerState.Open, t.AddHours(1), "provider said: bad \ud800 model", t));
        await store.SaveAsync(new CounterReset("support", BudgetWindow.Day, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), t, "refund\0"));
        await store.AppendAsync(new OperatorAction(t, "ops\udc00", "note", "support", "a\0b \ud83d\ude00"));

        var loaded = Assert.Single(await ((IBreakerStateStore)store).LoadAsync());
        Assert.Equal("provider said: bad \uFFFD model", loaded.Reason);
        Assert.Equal("refund\uFFFD", Assert.Single(await store.LoadAsync(t.AddDays(-1))).Reason);
        var actions = new List<OperatorAction>();
        await foreach (var a in store.ReadAsync(t, t.AddDays(1))) actions.Add(a);
        Assert.Equal(new OperatorAction(t, "ops\uFFFD", "note", "support", "a\uFFFDb \ud83d\ude00"), actions[^1]);
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(options);
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
        Assert.Equal(3, verification.Entries);
    }
}
