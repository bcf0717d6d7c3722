using GuardedAI.Integrity;
using Npgsql;
using NpgsqlTypes;
using static GuardedAI.PostgreSql.PostgreSqlText;

namespace GuardedAI.PostgreSql;

/// <summary>The chained write of a batch: lock the segments, skip ids already there, chain the rest, insert, save the heads, commit.</summary>
internal static partial class PostgreSqlRecordWriter
{
    /// <summary>How often a batch is chained again when another writer inserted one of its ids meanwhile.</summary>
    private const int MaxAttempts = 5;

    internal static class Chained
    {
        /// <summary>
        /// Writes the new records of <paramref name="records"/> in one transaction (three round trips: locks, heads and the
        /// ids already there; the insert with the heads; the commit). A record whose id is already in the ledger — a
        /// replayed spill, a retried batch — is skipped before it is chained, so it takes no place in any chain. Should
        /// another writer insert one of the ids between the check and the insert (only a writer of another segment can),
        /// the whole transaction is rolled back and chained again.
        /// </summary>
        public static async Task<int> WriteAsync(NpgsqlConnection connection, string writer, IReadOnlyList<UsageRecord> records, bool bulk, CancellationToken cancellationToken)
        {
            if (records.Count == 0) return 0;
            // What is hashed is what is stored: NULs as PostgreSQL can hold them.
            var clean = records.DistinctBy(r => r.Id, StringComparer.Ordinal).Select(Clean).ToList();
            for (var attempt = 1; ; attempt++)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var chain = new PostgreSqlChain(transaction, writer);
                var existing = new HashSet<string>(StringComparer.Ordinal);
                var ids = new NpgsqlBatchCommand("SELECT id FROM usage_records WHERE id = ANY($1)");
                ids.Parameters.Add(new NpgsqlParameter { Value = clean.Select(r => r.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await chain.LockAsync(clean.Select(r => chain.SegmentOf(r.Timestamp)), ids, async reader =>
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) existing.Add(reader.GetString(0));
                }, cancellationToken).ConfigureAwait(false);

                // Chain order: by segment (a writer's days in order), then id — the order the rows are inserted in, so the
                // store's order (seq) grows with the chain, and concurrent writers take row locks in one global order.
                var fresh = clean.Where(r => !existing.Contains(r.Id))
                    .Select(r => (Record: r, Segment: chain.SegmentOf(r.Timestamp)))
                    .OrderBy(r => r.Segment, StringComparer.Ordinal).ThenBy(r => r.Record.Id, StringComparer.Ordinal).ToList();
                if (fresh.Count == 0)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return 0;
                }
                var rows = new ChainedRow[fresh.Count];
                for (var i = 0; i < fresh.Count; i++)
                {
                    var (record, segment) = fresh[i];
                    var (position, previous) = chain.Next(segment);
                    var hash = LedgerChain.Hash(previous, record);
                    chain.Advance(segment, hash);
                    rows[i] = new ChainedRow(record, new ChainLink(segment, position, previous, hash));
                }
                var insert = bulk
                    ? await CopyInsertAsync(connection, transaction, rows, cancellationToken).ConfigureAwait(false)
                    : Insert(rows);
                await using var batch = new NpgsqlBatch(connection, transaction);
                batch.BatchCommands.Add(insert);
                batch.BatchCommands.Add(chain.SaveHeadsCommand()!);
                int inserted;
                await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    inserted = (int)reader.GetInt64(0);
                }
                if (inserted != fresh.Count)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    if (attempt < MaxAttempts) continue;
                    throw new InvalidOperationException($"Another writer kept inserting ids of this batch while it was chained ({MaxAttempts} attempts); it is tried again.");
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return inserted;
            }
        }
    }

    /// <summary>A record's place in its segment's chain: position, the hash before it and its own.</summary>
    private readonly record struct ChainLink(string Segment, long Position, byte[] Previous, byte[] Hash);

    /// <summary>The record as PostgreSQL stores it: every NUL and unpaired surrogate in its text as U+FFFD
    /// (<see cref="PostgreSqlText"/>; a tag key that then collides keeps the last value).</summary>
    internal static UsageRecord Clean(UsageRecord r)
    {
        static bool Has(string? s) => !ReferenceEquals(Storable(s), s);
        if (!Has(r.Id) && !Has(r.Budget) && !Has(r.Tenant) && !Has(r.Provider) && !Has(r.Model) && !Has(r.Reason) && !Has(r.PriceTableVersion)
            && !Has(r.ConversationId) && !Has(r.RunId) && !Has(r.Anomalies) && !Has(r.DegradedFrom) && !Has(r.WouldBeDeniedBy) && !Has(r.WouldBeDeniedReason)
            && !r.Tags.Any(t => Has(t.Key) || Has(t.Value)))
        {
            return r;
        }
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in r.Tags) tags[Storable(tag.Key)!] = Storable(tag.Value)!;
        return r with
        {
            Id = Storable(r.Id)!, Budget = Storable(r.Budget)!, Tenant = Storable(r.Tenant), Provider = Storable(r.Provider), Model = Storable(r.Model), Reason = Storable(r.Reason),
            PriceTableVersion = Storable(r.PriceTableVersion), ConversationId = Storable(r.ConversationId), RunId = Storable(r.RunId), Anomalies = Storable(r.Anomalies),
            DegradedFrom = Storable(r.DegradedFrom), WouldBeDeniedBy = Storable(r.WouldBeDeniedBy), WouldBeDeniedReason = Storable(r.WouldBeDeniedReason), Tags = tags,
        };
    }
}
