using System.Buffers.Binary;

namespace GuardedAI.Redis;

/// <summary>
/// One call's answer from the reserve or settle script: its numbers, read from the request's packed answers (see
/// <see cref="RedisScripts"/>' <c>packAnswers</c>), without an object per number.
/// </summary>
/// <remarks>Issue 16: the scripts answered each call with an array of integers, which StackExchange.Redis read into an
/// object each; the numbers now come back as one string of little-endian doubles (exact for every integer a counter
/// holds below 2^53, as the scripts' Lua numbers were already doubles).</remarks>
internal readonly struct ScriptAnswer(byte[] packed, int offset, int count)
{
    /// <summary>The <paramref name="index"/>th number of the answer.</summary>
    public long this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)count, nameof(index));
            return (long)BinaryPrimitives.ReadDoubleLittleEndian(packed.AsSpan(offset + index * sizeof(double)));
        }
    }
}
