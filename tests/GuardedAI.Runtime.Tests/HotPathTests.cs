namespace GuardedAI.Tests;

/// <summary>The parts the hot-path work replaced: reservation ids and the bounded in-memory ledger.</summary>
public class HotPathTests
{
    [Fact]
    public void Reservation_ids_are_uuid_v7_text_ordered_by_time_and_unique_across_threads()
    {
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var id = ReservationIds.Next(at).ToString();
        Assert.Matches("^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$", id);
        var guid = Guid.ParseExact(id, "N");
        Assert.Equal(guid.ToString("N"), id); // every digit is the GUID's own
        Assert.Equal(7, guid.Version);
        Assert.Equal(Guid.CreateVersion7(at).ToString("N")[..12], id[..12]); // the same 48-bit millisecond prefix
        Assert.True(string.CompareOrdinal(id, ReservationIds.Next(at.AddMilliseconds(1)).ToString()) < 0);

        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i++) ids.Add(ReservationIds.Next(at).ToString());
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
    [Fact]
    public async Task The_in_memory_ledger_gives_back_every_value_of_a_record_it_keeps()
    {
        // Every settable property gets a value other than its default, so a property the ledger's slot forgets to copy fails here.
        var record = new UsageRecord { Id = "x", Budget = "b", Timestamp = DateTimeOffset.UnixEpoch, Status = UsageStatus.Success };
        var n = 0;
        foreach (var property in typeof(UsageRecord).GetProperties().Where(p => p.SetMethod is not null && p.Name != "EqualityContract"))
        {
            n++;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object value = type == typeof(string) ? $"{property.Name}-value"
                : type == typeof(long) ? 1_000L + n
                : type == typeof(decimal) ? 0.25m + n
                : type == typeof(bool) ? true
                : type == typeof(DateTimeOffset) ? new DateTimeOffset(2026, 12, 1, 3, 4, 5, TimeSpan.FromHours(2))
                : type == typeof(TimeSpan) ? TimeSpan.FromMilliseconds(1234.5)
                : type.IsEnum ? Enum.GetValues(type).Cast<object>().Last()
                : type == typeof(IReadOnlyDictionary<string, string>) ? new Dictionary<string, string> { ["team"] = "search" }
                : throw new InvalidOperationException($"No test value for {property.Name} ({type}): add one, and make the ledger's slot keep it.");
            var copy = record with { };
            property.SetValue(copy, value);
            record = copy;
        }
        var ledger = new InMemoryUsageLedger(capacity: 4);
        await ledger.AppendAsync(record);

        var kept = Assert.Single(ledger.Snapshot());
        Assert.Equal(record, kept);
        Assert.NotSame(record, kept);
    }

    [Theory]
    [InlineData("0192d4e0a1b27c3d8e4f5a6b7c8d9e0f")] // a reservation id as the engine makes it: kept as its 128 bits
    [InlineData("0192D4E0A1B27C3D8E4F5A6B7C8D9E0F")] // upper case: kept as it came, not lowered
    [InlineData("0192d4e0a1b27c3d8e4f5a6b7c8d9e0g")] // not hex
    [InlineData("0192d4e0a1b27c3d8e4f5a6b7c8d9e0")]  // 31 digits
    [InlineData("0192d4e0-a1b2-7c3d-8e4f-5a6b7c8d9e0f")]
    [InlineData("")]
    public async Task The_in_memory_ledger_gives_back_each_id_exactly_as_it_came(string id)
    {
        var ledger = new InMemoryUsageLedger(capacity: 2);
        await ledger.AppendAsync(new UsageRecord { Id = id, Budget = "b", Timestamp = DateTimeOffset.UnixEpoch, Status = UsageStatus.Success });
        Assert.Equal(id, Assert.Single(ledger.Snapshot()).Id);
        Assert.Equal(id.Length == 32 && id == id.ToLowerInvariant() && !id.Contains('g'), ReservationId.TryParse(id, out _));
    }

    [Fact]
    public void An_id_packs_to_the_numbers_its_hex_spells_and_unpacks_to_the_same_text()
    {
        var random = new Random(128);
        for (var i = 0; i < 2_000; i++)
        {
            var high = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
            var low = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
            var id = new ReservationId(high, low).ToString();
            Assert.True(ReservationId.TryParse(id, out var packed), id);
            Assert.Equal(new ReservationId(high, low), packed);
            Assert.Equal(ulong.Parse(id.AsSpan(0, 16), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture), packed.High);
        }
        // Each character next to a hex range is refused, wherever it stands.
        foreach (var outside in "/:`gAF -")
        {
            foreach (var at in new[] { 0, 15, 16, 31 })
            {
                var id = "0123456789abcdef0123456789abcdef".ToCharArray();
                id[at] = outside;
                Assert.False(ReservationId.TryParse(new string(id), out var packed));
                Assert.Equal(default, packed);
            }
        }
    }

    [Fact]
    public async Task Reading_the_in_memory_ledger_while_appends_wrap_its_ring_sees_only_whole_records_in_order()
    {
        // A small ring, four writers going round it many times, a reader taking snapshots meanwhile: every record read must
        // be one that was appended (its values agree with its id), each at most once, oldest first.
        var ledger = new InMemoryUsageLedger(capacity: 64);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                await ledger.AppendAsync(new UsageRecord
                {
                    Id = $"{t}-{i}", Budget = "b" + t, InputTokens = t * 1_000_000L + i, OutputTokens = i,
                    Timestamp = DateTimeOffset.UnixEpoch.AddTicks(i), Status = UsageStatus.Success,
                });
            }
        })).ToArray();
        var snapshots = 0;
        while (!writers.All(w => w.IsCompleted) || snapshots == 0)
        {
            var kept = ledger.Snapshot();
            snapshots++;
            Assert.True(kept.Count <= 64);
            Assert.Equal(kept.Count, kept.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());
            var lastByWriter = new Dictionary<string, long>();
            foreach (var r in kept)
            {
                var parts = r.Id.Split('-');
                var (t, i) = (int.Parse(parts[0]), int.Parse(parts[1]));
                Assert.Equal(("b" + t, t * 1_000_000L + i, (long)i, i), (r.Budget, r.InputTokens, r.OutputTokens, (int)(r.Timestamp - DateTimeOffset.UnixEpoch).Ticks));
                // One writer's records come in the order it appended them.
                if (lastByWriter.TryGetValue(r.Budget, out var last)) Assert.True(i > last, $"{r.Id} after {r.Budget}'s {last}");
                lastByWriter[r.Budget] = i;
            }
        }
        await Task.WhenAll(writers);
        Assert.Equal(80_000, ledger.AppendedCount);
        Assert.Equal(64, ledger.Snapshot().Count);
    }
}
