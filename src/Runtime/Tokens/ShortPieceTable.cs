using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace GuardedAI;

/// <summary>
/// Token counts of short pieces (up to <see cref="MaxLength"/> characters: nearly every piece of prose and code),
/// each kept inside its slot: the piece's characters, its length and its count in 32 bytes, so a lookup reads one
/// slot and nothing else. <see cref="CountTable"/> reads a hash, a reference, an entry and its string, four places in
/// memory, for each piece; after the rest of a guarded call they are rarely in the processor's caches.
/// </summary>
/// <remarks>
/// Shared by every caller without a lock. Each slot has a sequence number, odd while a writer fills it: a reader
/// reads the number, the slot and the number again, and uses the slot only when the number was even and did not
/// change, so it never sees half of one piece and half of another. A writer that finds a slot being written leaves
/// it (a count not kept costs a later miss, never a wrong count). Slots are chosen by a hash seeded per process; the
/// table keeps one piece per slot with no chain to grow, so pieces made to collide only evict one another, and a
/// lookup compares the whole piece.
/// </remarks>
internal sealed class ShortPieceTable
{
    /// <summary>The longest piece kept: twelve UTF-16 units fill the slot's three 8-byte words.</summary>
    public const int MaxLength = 12;

    /// <summary>Slots: 512 KB.</summary>
    public const int Slots = 16_384;

    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64() | 1;

    public ShortPieceTable(int slots = Slots)
    {
        // The index takes 24 bits of the hash.
        if (slots <= 0 || (slots & (slots - 1)) != 0 || slots > 1 << 24) throw new ArgumentOutOfRangeException(nameof(slots), slots, "The number of slots must be a power of two from 1 to 2^24.");
        _slots = new Slot[slots];
        _mask = slots - 1;
    }

    /// <summary>The count of <paramref name="piece"/> when it is in the table (a piece longer than <see cref="MaxLength"/> never is).</summary>
    public bool TryGet(ReadOnlySpan<char> piece, out int count)
    {
        count = 0;
        if (!Pack(piece, out var key)) return false;
        ref var slot = ref _slots[Index(key, piece.Length)];
        var sequence = Volatile.Read(ref slot.Sequence);
        if ((sequence & 1) != 0) return false;
        // Each read is an acquire, so none moves after the second read of the sequence number.
        var tag = Volatile.Read(ref slot.Tag);
        var first = Volatile.Read(ref slot.First);
        var second = Volatile.Read(ref slot.Second);
        var third = Volatile.Read(ref slot.Third);
        if (Volatile.Read(ref slot.Sequence) != sequence) return false;
        if (first != key.First || second != key.Second || third != key.Third || (tag & 0xFF) != piece.Length) return false;
        count = tag >> 8;
        return true;
    }

    /// <summary>Keeps the count of <paramref name="piece"/>, in place of whatever its slot held, when it is short enough
    /// and no other writer is filling that slot.</summary>
    public void Add(ReadOnlySpan<char> piece, int count)
    {
        if (count < 0 || !Pack(piece, out var key)) return;
        ref var slot = ref _slots[Index(key, piece.Length)];
        var sequence = Volatile.Read(ref slot.Sequence);
        // Odd: another writer holds it. The exchange is a full fence: no write below moves above it.
        if ((sequence & 1) != 0 || Interlocked.CompareExchange(ref slot.Sequence, sequence + 1, sequence) != sequence) return;
        slot.Tag = (count << 8) | piece.Length;
        slot.First = key.First;
        slot.Second = key.Second;
        slot.Third = key.Third;
        // A release: the slot's words are written before the even number that lets readers use them.
        Volatile.Write(ref slot.Sequence, sequence + 2);
    }

    /// <summary>Pieces held (tests).</summary>
    internal int Count() => _slots.Count(s => s.Tag != 0);

    /// <summary>The piece's characters in three words, zero after its end (its length, kept beside them, tells "a"
    /// from "a\0").</summary>
    private static bool Pack(ReadOnlySpan<char> piece, out Key key)
    {
        if (piece.IsEmpty || piece.Length > MaxLength)
        {
            key = default;
            return false;
        }
        key = new Key(Word(piece, 0), Word(piece, 4), Word(piece, 8));
        return true;
    }

    /// <summary>Characters <paramref name="from"/> to <paramref name="from"/> + 3 as one word, little-endian, zero where the piece has ended.</summary>
    private static ulong Word(ReadOnlySpan<char> piece, int from)
    {
        var left = piece.Length - from;
        if (left >= 4) return BinaryPrimitives.ReadUInt64LittleEndian(MemoryMarshal.AsBytes(piece.Slice(from, 4)));
        ulong word = 0;
        for (var i = 0; i < left; i++) word |= (ulong)piece[from + i] << (16 * i);
        return word;
    }

    // A multiply and a shift mix in each word; pieces differing in one character or in length land in unrelated slots.
    private int Index(in Key key, int length)
    {
        var hash = _seed + (ulong)length;
        hash = (hash ^ key.First) * 0x9E3779B97F4A7C15UL;
        hash = ((hash ^ (hash >> 29)) ^ key.Second) * 0xBF58476D1CE4E5B9UL;
        hash = ((hash ^ (hash >> 29)) ^ key.Third) * 0x94D049BB133111EBUL;
        // A multiply carries a bit only upward: without another shift and multiply, the last word's high characters
        // would reach none of the bits the index takes.
        hash = (hash ^ (hash >> 32)) * 0xBF58476D1CE4E5B9UL;
        return (int)(hash >> 40) & _mask;
    }

    private readonly record struct Key(ulong First, ulong Second, ulong Third);

    [StructLayout(LayoutKind.Sequential)]
    private struct Slot
    {
        public int Sequence;
        public int Tag; // count << 8 | length; 0 while empty
        public ulong First, Second, Third;
    }
}
