using System.Buffers.Binary;

namespace GuardedAI.Engine;

/// <summary>
/// A reservation id as the engine makes it (<see cref="ReservationIds"/>): 128 bits, written as 32 lowercase hex digits
/// only when someone reads it. A settled call of the default in-memory ledger never needs the text, so it is not made.
/// </summary>
internal readonly record struct ReservationId(ulong High, ulong Low)
{
    /// <summary>The 32 lowercase hex digits, the same text <c>Guid.ToString("N")</c> gives for these bytes.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Reads an id of exactly 32 lowercase hex digits; <see cref="ToString"/> writes the same text back. Any
    /// other text (an id a user or another tool chose) is not one of these.</summary>
    /// <remarks>One pass that checks and reads each digit: on every call, and on a process's first, where a
    /// <c>SearchValues</c> check and <c>ulong.Parse</c> were a dozen framework methods for the JIT.</remarks>
    public static bool TryParse(string text, out ReservationId id)
    {
        id = default;
        if (text.Length != 32) return false;
        ulong high = 0, low = 0;
        for (var i = 0; i < 32; i++)
        {
            var c = text[i];
            uint digit = (uint)(c - '0') <= 9 ? (uint)(c - '0') : (uint)(c - 'a') <= 5 ? (uint)(c - 'a' + 10) : 16;
            if (digit == 16) return false;
            if (i < 16) high = high << 4 | digit;
            else low = low << 4 | digit;
        }
        id = new ReservationId(high, low);
        return true;
    }
}
