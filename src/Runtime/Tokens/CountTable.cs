namespace GuardedAI;

/// <summary>
/// Token counts of texts, shared by every caller without a lock: a fixed table of immutable entries indexed by the
/// text's hash. A lookup compares the slot's hash, then reads its entry and compares the text; an addition puts a new
/// entry in the slot (the last writer wins, and a reader sees a whole entry or the one before). Three are used: the
/// pieces of pre-tokenized text longer than <see cref="ShortPieceTable"/> keeps in its slots (<see cref="ForPieces"/>:
/// Microsoft.ML.Tokenizers' own cache takes one process-wide lock per piece and moves the piece to the front of its LRU
/// list, a write to memory every core shares), and whole
/// message texts by their length (<see cref="ForShortTexts"/>, <see cref="ForMediumTexts"/>,
/// <see cref="ForLongTexts"/>: a history rebuilt from storage is counted by content).
/// </summary>
/// <remarks>
/// A count is a pure function of the text, so an entry is right for as long as it lives; its text is compared in full
/// before its count is used, so a collision or a race costs a miss, never a wrong count. Bounded in entries and in what
/// they hold: at most the table's slots, each text at most its <see cref="MaxLength"/> characters. Adding costs one
/// small object and one write, where a dictionary took a lock, a node and now and then a larger table
/// (docs/benchmarks-history.md, "Seventh round").
/// </remarks>
internal sealed class CountTable
{
    /// <summary>The longest piece kept: longer pieces are rare in prose and code, and an entry for one would hold a long string for few lookups.</summary>
    public const int MaxPieceLength = 24;

    /// <summary>Slots of the piece table: about 1 MB when full.</summary>
    public const int PieceSlots = 16_384;

    /// <summary>The longest text of the short-text table, and its slots: at most 16 MB of text when full.</summary>
    public const int MaxShortTextLength = 1_024, ShortTextSlots = 8_192;

    /// <summary>The longest text of the medium-text table, and its slots: at most 16 MB of text when full.</summary>
    public const int MaxMediumTextLength = 8_192, MediumTextSlots = 1_024;

    /// <summary>The longest text of the long-text table, and its slots: at most 16 MB of text when full. A longer text
    /// is counted again when it comes back as another string instance (the same instance is found by reference).</summary>
    public const int MaxLongTextLength = 65_536, LongTextSlots = 128;

    private readonly Entry?[] _slots;
    // Each slot's text's hash, beside the slots: a lookup of a text the slot does not hold (every new message) is decided
    // here, in a dense array a cache line of which covers 16 slots, without reading the slot's entry and its text from
    // wherever they are in memory. Written apart from the entry, so the two may disagree for a moment: the text is
    // compared in full before a count is used, so that costs a miss, never a wrong count.
    private readonly int[] _hashes;
    private readonly int _mask;

    public CountTable(int slots, int maxLength)
    {
        if (slots <= 0 || (slots & (slots - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, "The number of slots must be a positive power of two.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        _slots = new Entry?[slots];
        _hashes = new int[slots];
        _mask = slots - 1;
        MaxLength = maxLength;
    }

    public static CountTable ForPieces() => new(PieceSlots, MaxPieceLength);

    public static CountTable ForShortTexts() => new(ShortTextSlots, MaxShortTextLength);

    public static CountTable ForMediumTexts() => new(MediumTextSlots, MaxMediumTextLength);

    public static CountTable ForLongTexts() => new(LongTextSlots, MaxLongTextLength);

    /// <summary>The longest text kept.</summary>
    public int MaxLength { get; }

    /// <summary>The count of <paramref name="text"/> when it is in the table.</summary>
    public bool TryGet(ReadOnlySpan<char> text, out int count)
    {
        if (Find(text) is { } entry)
        {
            count = entry.Count;
            return true;
        }
        count = 0;
        return false;
    }

    /// <summary>The entry of <paramref name="text"/> when it is in the table.</summary>
    public Entry? Find(ReadOnlySpan<char> text)
    {
        var hash = Hash(text);
        var slot = hash & _mask;
        var entry = Volatile.Read(ref _hashes[slot]) == hash ? Volatile.Read(ref _slots[slot]) : null;
        return entry is not null && text.SequenceEqual(entry.Text) ? entry : null;
    }

    /// <summary>Keeps the count of <paramref name="text"/> (a copy of it) when it is short enough, in place of whatever the slot held.</summary>
    public void Add(ReadOnlySpan<char> text, int count)
    {
        if (text.Length > MaxLength || text.IsEmpty) return;
        Put(text.ToString(), count);
    }

    /// <summary>Keeps the count of <paramref name="text"/> (the instance itself: strings do not change) when it is short
    /// enough; the entry kept, or null.</summary>
    public Entry? Add(string text, int count) => text.Length > MaxLength || text.Length == 0 ? null : Put(text, count);

    /// <summary>Entries held (tests: what a full table holds).</summary>
    internal IEnumerable<(string Text, int Count)> Entries()
    {
        foreach (var entry in _slots)
        {
            if (entry is not null) yield return (entry.Text, entry.Count);
        }
    }

    // Published whole: the entry's fields are written before the reference that makes it visible.
    private Entry Put(string text, int count)
    {
        var hash = Hash(text);
        var slot = hash & _mask;
        var entry = new Entry(text, count);
        Volatile.Write(ref _slots[slot], entry);
        Volatile.Write(ref _hashes[slot], hash);
        return entry;
    }

    // The runtime's randomized string hash: text chosen to collide cannot be chosen without knowing the process's seed.
    private static int Hash(ReadOnlySpan<char> text) => string.GetHashCode(text);

    /// <summary>A text and its count, immutable: a reader sees both or neither.</summary>
    internal sealed class Entry(string text, int count)
    {
        public readonly string Text = text;
        public readonly int Count = count;
    }
}
