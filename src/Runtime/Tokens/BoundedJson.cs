using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Serializes a value the way Microsoft.Extensions.AI sends it (<see cref="AIJsonUtilities.DefaultOptions"/>), but gives
/// up as soon as the UTF-8 output passes a size: a 50 MB tool result costs no more to reject than a small one.
/// </summary>
internal static class BoundedJson
{
    /// <summary>The JSON of <paramref name="value"/>, or null when it is longer than <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    /// <param name="value">The value.</param>
    /// <param name="type">The type to serialize it as.</param>
    /// <param name="maxBytes">The largest output wanted.</param>
    /// <param name="size">The output's size in bytes, or a number above <paramref name="maxBytes"/> when it gave up.</param>
    public static string? Serialize(object value, Type type, long maxBytes, out long size)
    {
        var buffer = new LimitedBufferWriter(maxBytes);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                JsonSerializer.Serialize(writer, value, type, AIJsonUtilities.DefaultOptions);
            }
            size = buffer.Written;
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (SizeLimitExceededException)
        {
            size = Math.Max(buffer.Written, maxBytes + 1);
            return null;
        }
    }

    /// <summary>The layout <see cref="AIJsonUtilities.DefaultOptions"/> writes (indented or not, which escaping): the text a provider is sent.</summary>
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = AIJsonUtilities.DefaultOptions.Encoder,
        Indented = AIJsonUtilities.DefaultOptions.WriteIndented,
        IndentCharacter = AIJsonUtilities.DefaultOptions.IndentCharacter,
        IndentSize = AIJsonUtilities.DefaultOptions.IndentSize,
        NewLine = AIJsonUtilities.DefaultOptions.NewLine,
        SkipValidation = true,
    };

    private sealed class SizeLimitExceededException : Exception;

    /// <summary>A growing buffer that refuses to grow past its limit. A writer asks for room for the worst case
    /// (a string's escaped length, up to 6 bytes a character), so a request is refused only when even an eighth of
    /// it would not fit.</summary>
    private sealed class LimitedBufferWriter(long limit) : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[256];

        public long Written { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, (int)Written);

        public void Advance(int count)
        {
            Written += count;
            if (Written > limit) throw new SizeLimitExceededException();
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Grow(sizeHint).AsMemory((int)Written);

        public Span<byte> GetSpan(int sizeHint = 0) => Grow(sizeHint).AsSpan((int)Written);

        private byte[] Grow(int sizeHint)
        {
            var needed = Math.Max(sizeHint, 1);
            if (Written + needed / 8 > limit) throw new SizeLimitExceededException();
            if (_buffer.Length - Written < needed)
            {
                var size = (int)Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, Written + needed));
                Array.Resize(ref _buffer, size);
            }
            return _buffer;
        }
    }
}
