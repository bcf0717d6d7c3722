namespace GuardedAI.Tests;

/// <summary>Eight threads ask a lock-free count table for random pieces and add those it does not hold, through the
/// same few slots, so writers keep replacing pieces while readers read them (<see cref="CountTableTests"/>,
/// <see cref="ShortPieceTableTests"/>).</summary>
internal static class TableRace
{
    public delegate bool TryGet(string piece, out int count);

    /// <summary>Runs the race: how many lookups hit, and how many of those read a count other than their piece's.</summary>
    public static (long Hits, int Wrong) Run(string[] pieces, int lookupsPerThread, TryGet tryGet, Action<string, int> add, Func<string, int> countOf)
    {
        var wrong = 0;
        long hits = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < lookupsPerThread; i++)
            {
                var piece = pieces[random.Next(pieces.Length)];
                if (tryGet(piece, out var count))
                {
                    Interlocked.Increment(ref hits);
                    if (count != countOf(piece)) Interlocked.Increment(ref wrong);
                }
                else
                {
                    add(piece, countOf(piece));
                }
            }
        });
        return (hits, wrong);
    }
}
