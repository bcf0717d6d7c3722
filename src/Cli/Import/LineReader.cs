using System.Buffers;

namespace GuardedAI.Cli.Import;

/// <summary>One line of a log file as bytes, without its line end.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Bytes">The line (valid until the next line is read).</param>
/// <param name="TooLongBytes">When the line is longer than the limit: its length (its bytes are not kept); else 0.</param>
internal readonly ref struct RawLine(long number, ReadOnlySpan<byte> bytes, long tooLongBytes)
{
    public long Number { get; } = number;
    public ReadOnlySpan<byte> Bytes { get; } = bytes;
    public long TooLongBytes { get; } = tooLongBytes;
}

/// <summary>
/// Splits a stream into lines without decoding it, in memory bounded by the longest line accepted: a longer line is
/// skipped to its end and reported by length, never held. <c>\n</c> and <c>\r\n</c> end lines; the last line may lack one.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly int _maxLine;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
    private byte[] _line = ArrayPool<byte>.Shared.Rent(1 << 12);
    private int _start, _end;
    private long _number;

    public LineReader(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _maxLine = maxLineBytes;
    }

    /// <summary>Bytes consumed so far (for progress).</summary>
    public long Position { get; private set; }

    public bool TryRead(out RawLine line)
    {
        var length = 0;
        long tooLong = 0;
        var any = false;
        while (true)
        {
            if (_start == _end)
            {
                _end = _stream.Read(_buffer, 0, _buffer.Length);
                _start = 0;
                if (_end == 0)
                {
                    if (!any)
                    {
                        line = default;
                        return false;
                    }
                    break; // the last line, without a line end
                }
            }
            any = true;
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            var take = newline < 0 ? span.Length : newline;
            Append(span[..take], ref length, ref tooLong);
            _start += newline < 0 ? take : take + 1;
            Position += newline < 0 ? take : take + 1;
            if (newline >= 0) break;
        }
        _number++;
        if (tooLong > 0)
        {
            line = new RawLine(_number, default, tooLong);
            return true;
        }
        var bytes = _line.AsSpan(0, length);
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        line = new RawLine(_number, bytes, 0);
        return true;
    }

    private void Append(ReadOnlySpan<byte> part, ref int length, ref long tooLong)
    {
        if (tooLong > 0)
        {
            tooLong += part.Length;
            return;
        }
        if (length + part.Length > _maxLine + 1) // +1: a line of exactly the limit may still carry its '\r'
        {
            tooLong = length + part.Length;
            return;
        }
        if (length + part.Length > _line.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_line.Length * 2, length + part.Length));
            _line.AsSpan(0, length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_line);
            _line = bigger;
        }
        part.CopyTo(_line.AsSpan(length));
        length += part.Length;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        ArrayPool<byte>.Shared.Return(_line);
    }
}
