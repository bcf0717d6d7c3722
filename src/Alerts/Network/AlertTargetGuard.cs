using System.Net;
using System.Net.Sockets;

namespace GuardedAI.Alerts;

/// <summary>
/// Keeps alert deliveries away from addresses they must not reach (server-side request forgery): the check runs when
/// the connection is made, on the very addresses connected to — a host name is resolved once, each answer is checked,
/// and the socket connects to a checked address — so a DNS answer that changes after a check (rebinding) cannot get
/// past it, and every redirect's new connection is checked the same way. Loopback, private, link-local, unique-local,
/// shared, cloud-metadata and other reserved addresses are refused unless a network in the allow-list covers them
/// (for tests and on-premises receivers).
/// </summary>
public sealed class AlertTargetGuard
{
    private readonly IPNetwork[] _allowed;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;

    /// <summary>Creates the guard.</summary>
    /// <param name="allowedNetworks">Networks alerts may reach although they are not public, e.g. <c>10.0.0.0/8</c> or <c>127.0.0.1/32</c>.</param>
    /// <param name="resolve">Resolves a host name (default: the system resolver).</param>
    public AlertTargetGuard(IEnumerable<IPNetwork>? allowedNetworks = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        _allowed = allowedNetworks?.ToArray() ?? [];
        _resolve = resolve ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
    }

    /// <summary>The allow-list.</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks => _allowed;

    /// <summary>Parses allow-list entries (<c>10.0.0.0/8</c>, <c>127.0.0.1</c>, <c>::1</c>), naming a bad one by its configuration path.</summary>
    /// <exception cref="InvalidOperationException">An entry is not an address or a network.</exception>
    public static IPNetwork[] ParseNetworks(IEnumerable<string> entries, string path = "GuardedAI:Alerts:AllowedNetworks")
    {
        var list = new List<IPNetwork>();
        var i = 0;
        foreach (var entry in entries)
        {
            var text = entry.Trim();
            if (IPNetwork.TryParse(text, out var network)) list.Add(network);
            else if (IPAddress.TryParse(text, out var address)) list.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else throw new InvalidOperationException($"{path}:{i} '{entry}' is neither an IP address nor a network such as 10.0.0.0/8.");
            i++;
        }
        return list.ToArray();
    }

    /// <summary>Why <paramref name="address"/> is refused, or null when alerts may go there.</summary>
    public string? RefusalReason(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var category = AddressRules.Category(address);
        if (category is null) return null;
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in _allowed)
        {
            if (network.Contains(plain) || network.Contains(address)) return null;
        }
        return category;
    }

    /// <summary>Refuses a target whose host is an IP literal (in any spelling) that alerts may not reach. Names are
    /// checked when connecting, not here: what they resolve to now says nothing about later.</summary>
    /// <exception cref="AlertTargetRefusedException">The host is a refused address.</exception>
    public void CheckLiteral(string host, string what)
    {
        if (HostLiteral.Parse(host) is { } address && RefusalReason(address) is { } reason)
            throw new AlertTargetRefusedException($"{what} points to {address} ({reason}), which alerts may not reach. If it is meant (tests, on-premises), add it to GuardedAI:Alerts:AllowedNetworks.");
    }

    /// <summary>Resolves <paramref name="host"/> and returns the addresses alerts may reach.</summary>
    /// <exception cref="AlertTargetRefusedException">Every address it resolves to is refused.</exception>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        var addresses = HostLiteral.Parse(host) is { } literal ? [literal] : await _resolve(host, cancellationToken).ConfigureAwait(false);
        var allowed = new List<IPAddress>(addresses.Length);
        string? firstRefusal = null;
        foreach (var address in addresses)
        {
            if (RefusalReason(address) is { } reason) firstRefusal ??= $"{address} ({reason})";
            else allowed.Add(address);
        }
        if (allowed.Count == 0)
        {
            throw new AlertTargetRefusedException(firstRefusal is null
                ? $"The alert target host '{host}' resolves to no address."
                : $"The alert target host '{host}' resolves to {firstRefusal}, which alerts may not reach. If it is meant (tests, on-premises), add it to GuardedAI:Alerts:AllowedNetworks.");
        }
        return allowed.ToArray();
    }

    /// <summary>Connects a TCP socket to <paramref name="host"/>:<paramref name="port"/> through checked addresses only.</summary>
    /// <exception cref="AlertTargetRefusedException">Every address it resolves to is refused.</exception>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var addresses = await ResolveAllowedAsync(host, cancellationToken).ConfigureAwait(false);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new SocketException((int)SocketError.ConnectionRefused, $"GuardedAI could not connect to the alert target {host}:{port}: {last?.Message}");
    }

    /// <summary>
    /// An HTTP handler whose every connection, redirects included, goes through <see cref="ConnectAsync"/>. It uses no
    /// proxy (a proxy would make the connection the guard must check) and follows at most three redirects.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 3,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };
}
