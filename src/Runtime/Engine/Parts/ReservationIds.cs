namespace GuardedAI.Engine;

/// <summary>
/// Reservation and record ids: UUID version 7 (48-bit Unix milliseconds, then random bits) written (when read) as 32
/// lowercase hex digits, the same form <c>Guid.CreateVersion7(now).ToString("N")</c> gives, so ids sort by time in every ledger.
/// Each thread draws its random bits from its own generator, seeded from the system's cryptographic generator (through
/// <see cref="Guid.NewGuid"/>, which asks the OS directly and loads no cryptography library at start-up), instead of
/// asking the operating system for fresh bytes on every call; ids stay unique (74 random bits per id, streams seeded
/// independently) but are not meant to be unguessable — they name records, they authorise nothing.
/// </summary>
internal static class ReservationIds
{
    [ThreadStatic] private static ulong t_s0;
    [ThreadStatic] private static ulong t_s1;

    public static ReservationId Next(DateTimeOffset now)
    {
        var millis = (ulong)now.ToUnixTimeMilliseconds() & 0xFFFF_FFFF_FFFF;
        var random = NextRandom();
        var more = NextRandom();
        // time_hi…lo (48) | version 7 (4) | rand_a (12) — then variant 10 (2) | rand_b (62).
        var high = (millis << 16) | 0x7000 | (random & 0x0FFF);
        var low = (more & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        return new ReservationId(high, low);
    }

    /// <summary>xoroshiro128++ on this thread's state.</summary>
    private static ulong NextRandom()
    {
        var s0 = t_s0;
        var s1 = t_s1;
        if ((s0 | s1) == 0) Seed(out s0, out s1);
        var result = ulong.RotateLeft(s0 + s1, 17) + s0;
        s1 ^= s0;
        t_s0 = ulong.RotateLeft(s0, 49) ^ s1 ^ (s1 << 21);
        t_s1 = ulong.RotateLeft(s1, 28);
        return result;
    }

    private static void Seed(out ulong s0, out ulong s1)
    {
        Span<byte> seed = stackalloc byte[16];
        do
        {
            if (!Guid.NewGuid().TryWriteBytes(seed)) throw new InvalidOperationException("A GUID did not fit 16 bytes.");
            s0 = BitConverter.ToUInt64(seed[..8]);
            s1 = BitConverter.ToUInt64(seed[8..]);
        }
        while ((s0 | s1) == 0);
    }
}
