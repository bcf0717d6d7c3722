using System.Net;
using System.Net.Sockets;

namespace GuardedAI.Alerts;

/// <summary>
/// Which addresses an alert may not be sent to unless explicitly allowed: loopback, private, link-local, unique-local,
/// shared (carrier-grade NAT), cloud metadata, unspecified, multicast, documentation and other reserved ranges. IPv6
/// addresses that embed an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by what they embed or
/// refused.
/// </summary>
internal static class AddressRules
{
    private static readonly (IPNetwork Network, string Category)[] Forbidden =
    [
        // Cloud metadata first, so the message names it rather than "link-local".
        (IPNetwork.Parse("169.254.169.254/32"), "cloud metadata"),
        (IPNetwork.Parse("169.254.170.2/32"), "cloud metadata"),
        (IPNetwork.Parse("100.100.100.200/32"), "cloud metadata"),
        (IPNetwork.Parse("192.0.0.192/32"), "cloud metadata"),
        (IPNetwork.Parse("fd00:ec2::254/128"), "cloud metadata"),
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (carrier-grade NAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("192.88.99.0/24"), "reserved"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("100::/64"), "reserved"),
        (IPNetwork.Parse("2001::/32"), "Teredo tunnel"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("fc00::/7"), "unique-local"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");

    /// <summary>Why <paramref name="address"/> is refused (a category such as "loopback"), or null when it is public.</summary>
    public static string? Category(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6) return Category(address.MapToIPv4());
            var bytes = address.GetAddressBytes();
            // An address that carries an IPv4 address inside is judged by it: a NAT64 or 6to4 gateway forwards there.
            if (Nat64.Contains(address)) return Embedded(bytes, 12, "NAT64");
            if (SixToFour.Contains(address)) return Embedded(bytes, 2, "6to4");
            if (V4Compatible.Contains(address) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)) return Embedded(bytes, 12, "IPv4-compatible");
            if (address.ScopeId != 0) address = new IPAddress(bytes); // a scope id does not change what is reached
        }
        foreach (var (network, category) in Forbidden)
        {
            if (network.Contains(address)) return category;
        }
        return null;
    }

    private static string? Embedded(byte[] bytes, int offset, string how)
    {
        var inner = new IPAddress(bytes.AsSpan(offset, 4));
        return Category(inner) is { } category ? $"{category} via {how} ({inner})" : null;
    }
}
