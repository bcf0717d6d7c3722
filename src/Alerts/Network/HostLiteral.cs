using System.Globalization;
using System.Net;

namespace GuardedAI.Alerts;

/// <summary>
/// Reads a URL or SMTP host as an IP address the way resolvers do, so that no spelling slips past the check: IPv6 in
/// brackets or not (with a zone), and IPv4 in the forms <c>inet_aton</c> accepts — one to four parts, each decimal,
/// octal (leading 0) or hexadecimal (0x): <c>2130706433</c>, <c>0177.0.0.1</c>, <c>0x7f.1</c> all mean 127.0.0.1.
/// </summary>
internal static class HostLiteral
{
    public static IPAddress? Parse(string host)
    {
        if (string.IsNullOrEmpty(host)) return null;
        var text = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (text.Contains(':')) return IPAddress.TryParse(text, out var v6) ? v6 : null;
        if (text.EndsWith('.')) text = text[..^1]; // "127.0.0.1." is the same host
        return ParseIPv4(text);
    }

    private static IPAddress? ParseIPv4(string text)
    {
        var parts = text.Split('.');
        if (parts.Length is < 1 or > 4) return null;
        var values = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryNumber(parts[i], out values[i])) return null;
        }
        // The last part fills the remaining bytes: a.b.c.d, a.b.(16 bits), a.(24 bits), (32 bits).
        ulong address = 0;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (values[i] > 255) return null;
            address |= values[i] << (8 * (3 - i));
        }
        var last = values[^1];
        var lastBits = 8 * (5 - parts.Length);
        if (last >= 1UL << lastBits) return null;
        address |= last;
        return new IPAddress(new[] { (byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address });
    }

    private static bool TryNumber(string part, out ulong value)
    {
        value = 0;
        if (part.Length == 0) return false;
        if (part.Length > 1 && part[0] == '0' && (part[1] is 'x' or 'X'))
        {
            return part.Length == 2 ? true : ulong.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value <= uint.MaxValue;
        }
        if (part.Length > 1 && part[0] == '0')
        {
            foreach (var c in part.AsSpan(1))
            {
                if (c is < '0' or > '7') return false;
                value = value * 8 + (ulong)(c - '0');
                if (value > uint.MaxValue) return false;
            }
            return true;
        }
        return ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= uint.MaxValue;
    }
}
