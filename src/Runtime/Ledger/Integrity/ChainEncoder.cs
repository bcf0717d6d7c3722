using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace GuardedAI.Integrity;

/// <summary>
/// Builds the canonical encoding of one chained entry (<see cref="LedgerChain"/>) in a buffer it reuses, and hashes it.
/// <see cref="LedgerChain.Hash(ReadOnlySpan{byte}, UsageRecord)"/> encodes from objects; a store's verifier may feed the
/// same fields straight from its rows (UTF-8 text as stored, integers as read) without building a record — the bytes,
/// and so the hash, are the same. Not thread-safe: one encoder per thread.
/// </summary>
internal sealed class ChainEncoder
{
    /// <summary>The kind byte of a usage record.</summary>
    public const byte RecordKind = (byte)'R';

    /// <summary>The kind byte of an audit entry.</summary>
    public const byte AuditKind = (byte)'A';

    /// <summary>The format of decimals in the encoding: every significant digit (a decimal has at most 28 after the point), no trailing zeros.</summary>
    private const string DecimalFormat = "0.############################";

    [ThreadStatic] private static ChainEncoder? t_shared;

    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _buffer = new byte[512];
    private int _length;

    /// <summary>This thread's encoder, for callers that encode one entry at a time.</summary>
    public static ChainEncoder Shared => t_shared ??= new ChainEncoder();

    /// <summary>Starts an entry of <paramref name="kind"/> that follows <paramref name="previous"/>.</summary>
    public void Begin(ReadOnlySpan<byte> previous, byte kind)
    {
        _length = 0;
        Ensure(previous.Length + 1);
        previous.CopyTo(_buffer);
        _length = previous.Length;
        _buffer[_length++] = kind;
    }

    /// <summary>An integer: 8 bytes little-endian.</summary>
    public void Int(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>An optional integer: a presence byte, then the value.</summary>
    public void Int(long? value)
    {
        Ensure(1);
        _buffer[_length++] = value is null ? (byte)0 : (byte)1;
        if (value is { } v) Int(v);
    }

    /// <summary>A decimal, as its shortest invariant text.</summary>
    public void Decimal(decimal value)
    {
        // 1 presence byte, 4 length bytes, then at most 1 sign + 29 digits + 1 point.
        Ensure(5 + 40);
        _buffer[_length] = 1;
        if (!value.TryFormat(_buffer.AsSpan(_length + 5), out var written, DecimalFormat, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A decimal did not fit its encoding buffer.");
        }
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length + 1), written);
        _length += 5 + written;
    }

    /// <summary>
    /// A decimal stored as text: parsed as the store's reader parses it, then encoded as <see cref="Decimal(decimal)"/>.
    /// False (nothing written) when <paramref name="utf8"/> is not a number the reader would accept.
    /// </summary>
    public bool TryDecimal(ReadOnlySpan<byte> utf8, NumberStyles styles)
    {
        if (TryPlainDecimal(utf8)) return true;
        if (!decimal.TryParse(utf8, styles, CultureInfo.InvariantCulture, out var value)) return false;
        Decimal(value);
        return true;
    }

    /// <summary>
    /// The common case without parsing: a plain number — an optional '-', an integer part without leading zeros, an
    /// optional fraction, at most 28 digits in all (a decimal holds those exactly, so parsing changes nothing). Its
    /// shortest text is the same with the fraction's trailing zeros (and a bare point) dropped, which is what
    /// <see cref="Decimal(decimal)"/> prints for the parsed value. Anything else (exponents, spaces, signs on zero,
    /// longer numbers) is left to the parser.
    /// </summary>
    private bool TryPlainDecimal(ReadOnlySpan<byte> text)
    {
        var negative = text.Length > 0 && text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        var point = digits.IndexOf((byte)'.');
        var integer = point < 0 ? digits : digits[..point];
        var fraction = point < 0 ? [] : digits[(point + 1)..];
        if (integer.Length == 0 || integer.Length + fraction.Length > 28 || (point >= 0 && fraction.Length == 0)) return false;
        if (integer.Length > 1 && integer[0] == (byte)'0') return false;
        if (integer.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || fraction.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0) return false;
        fraction = fraction.TrimEnd((byte)'0');
        if (negative && integer[0] == (byte)'0' && fraction.Length == 0) return false;   // minus zero: the parser decides
        var length = text.Length - digits.Length + integer.Length + (fraction.Length > 0 ? 1 + fraction.Length : 0);
        Ensure(5 + length);
        _buffer[_length] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length + 1), length);
        var at = _length + 5;
        if (negative) _buffer[at++] = (byte)'-';
        integer.CopyTo(_buffer.AsSpan(at));
        at += integer.Length;
        if (fraction.Length > 0)
        {
            _buffer[at++] = (byte)'.';
            fraction.CopyTo(_buffer.AsSpan(at));
        }
        _length += 5 + length;
        return true;
    }

    /// <summary>Optional text: a presence byte, then its UTF-8 length (4 bytes little-endian) and bytes (null and empty differ).</summary>
    public void Text(string? value)
    {
        Ensure(1);
        _buffer[_length++] = value is null ? (byte)0 : (byte)1;
        if (value is null) return;
        Ensure(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), written);
        _length += 4 + written;
    }

    /// <summary>
    /// Present text given as UTF-8 bytes. Valid UTF-8 is copied as is (a string read from it encodes back to the same
    /// bytes); anything else is decoded and re-encoded as <see cref="Text(string)"/> does with the string a reader makes of it.
    /// </summary>
    public void Text(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            Text(Encoding.UTF8.GetString(utf8));
            return;
        }
        Ensure(5 + utf8.Length);
        _buffer[_length] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length + 1), utf8.Length);
        utf8.CopyTo(_buffer.AsSpan(_length + 5));
        _length += 5 + utf8.Length;
    }

    /// <summary>Writes the SHA-256 of the entry into <paramref name="destination"/> (<see cref="LedgerChain.HashLength"/> bytes).</summary>
    /// <remarks>One hash object reused for every entry: cheaper per entry than a one-shot hash.</remarks>
    public void HashTo(Span<byte> destination)
    {
        _sha256.AppendData(_buffer, 0, _length);
        _sha256.GetHashAndReset(destination);
    }

    /// <summary>The SHA-256 of the entry.</summary>
    public byte[] Hash()
    {
        var hash = new byte[LedgerChain.HashLength];
        HashTo(hash);
        return hash;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}
