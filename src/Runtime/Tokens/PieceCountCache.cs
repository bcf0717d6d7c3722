namespace GuardedAI;

/// <summary>
/// Token counts of short pieces of pre-tokenized text, shared by every caller without a lock: a fixed table of
/// immutable entries indexed by the piece's hash. A lookup reads one reference and compares the text; a miss puts a new
/// entry in the slot (the last writer wins, and a reader sees a whole entry or the one before). Microsoft.ML.Tokenizers'
/// own cache takes one process-wide lock per piece and moves the piece to the front of its LRU list, a write to memory
/// every core shares; the common pieces of prose and code are answered here before it is asked.
/// </summary>
/// <remarks>
/// A count is a pure function of the piece's text, so an entry is right for as long as it lives; its text is compared in
/// full before its count is used, so a collision costs a miss, never a wrong count. Bounded: at most
/// <see cref="Slots"/> entries of at most <see cref="MaxPieceLength"/> characters (about 1 MB when full).
/// </remarks>
internal sealed class PieceCountCache
{
    /// <summary>The longest piece kept: longer pieces are rare in prose and code, and an entry for one would hold a long string for few lookups.</summary>
    public const int MaxPieceLength = 24;

    /// <summary>Slots in the default table (a power of two).</summary>
    public const int Slots = 16_384;

    private readonly Entry?[] _slots;
    private readonly int _mask;

    public PieceCountCache(int slots = Slots)
    {
        if (slots <= 0 || (slots & (slots - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, "The number of slots must be a positive power of two.");
        _slots = new Entry?[slots];
        _mask = slots - 1;
    }

    /// <summary>The count of <paramref name="piece"/> when it is in the table.</summary>
    public bool TryGet(ReadOnlySpan<char> piece, out int count)
    {
        var entry = Volatile.Read(ref _slots[Slot(piece)]);
        if (entry is not null && piece.SequenceEqual(entry.Text))
        {
            count = entry.Count;
            return true;
        }
        count = 0;
        return false;
    }

    /// <summary>Keeps the count of <paramref name="piece"/> (when it is short enough), in place of whatever the slot held.</summary>
    public void Add(ReadOnlySpan<char> piece, int count)
    {
        if (piece.Length > MaxPieceLength || piece.IsEmpty) return;
        // Published whole: the entry's fields are written before the reference that makes it visible.
        Volatile.Write(ref _slots[Slot(piece)], new Entry(piece.ToString(), count));
    }

    // The runtime's randomized string hash: text chosen to collide cannot be chosen without knowing the process's seed.
    private int Slot(ReadOnlySpan<char> piece) => string.GetHashCode(piece) & _mask;

    private sealed class Entry(string text, int count)
    {
        public readonly string Text = text;
        public readonly int Count = count;
    }
}
