namespace GuardedAI.Tests;

/// <summary>The parts the hot-path work replaced: reservation ids and the bounded in-memory ledger.</summary>
public class HotPathTests
{
    [Fact]
    public void Reservation_ids_are_uuid_v7_text_ordered_by_time_and_unique_across_threads()
    {
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var id = ReservationIds.Next(at);
        Assert.Matches("^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$", id);
        var guid = Guid.ParseExact(id, "N");
        Assert.Equal(guid.ToString("N"), id); // every digit is the GUID's own
        Assert.Equal(7, guid.Version);
        Assert.Equal(Guid.CreateVersion7(at).ToString("N")[..12], id[..12]); // the same 48-bit millisecond prefix
        Assert.True(string.CompareOrdinal(id, ReservationIds.Next(at.AddMilliseconds(1))) < 0);

        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i++) ids.Add(ReservationIds.Next(at));
        });
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task The_in_memory_ledger_keeps_the_newest_records_up_to_its_capacity_oldest_first()
    {
        var ledger = new InMemoryUsageLedger(capacity: 2500);
        var start = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 6000; i++)
        {
            await ledger.AppendAsync(new UsageRecord { Id = "r" + i, Budget = "b", Timestamp = start.AddSeconds(i), Status = UsageStatus.Success });
        }

        var kept = ledger.Snapshot();
        Assert.Equal(6000, ledger.AppendedCount);
        Assert.Equal(Enumerable.Range(3500, 2500).Select(i => "r" + i), kept.Select(r => r.Id));
        var queried = await ledger.QueryAsync(new UsageQuery { From = start.AddSeconds(5990) }).ToListAsync();
        Assert.Equal(10, queried.Count);
    }

    [Fact]
    public async Task Concurrent_appends_to_the_in_memory_ledger_lose_none_below_its_capacity()
    {
        var ledger = new InMemoryUsageLedger();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 5000; i++) await ledger.AppendAsync(new UsageRecord { Id = $"{t}-{i}", Budget = "b", Timestamp = DateTimeOffset.UnixEpoch, Status = UsageStatus.Success });
        })));
        Assert.Equal(40_000, ledger.Snapshot().Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryUsageLedger(0));
    }
}
