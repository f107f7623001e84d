using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Karma.Serving.Wire;

/// <summary>
/// The address forms <c>Karma:ListenAddress</c> and <c>Karma:AdminListenAddress</c> accept, and binding a Kestrel port
/// to one of them.
/// </summary>
public static class ListenAddresses
{
    /// <summary>Every interface (IPv6 and IPv4 where the host has IPv6, else IPv4): Kestrel's <c>ListenAnyIP</c>.</summary>
    public const string Any = "*";

    /// <summary>Loopback of both families: Kestrel's <c>ListenLocalhost</c>.</summary>
    public const string Localhost = "localhost";

    /// <summary>True for <c>*</c>, <c>localhost</c> or an IPv4/IPv6 literal (an IPv6 one with or without brackets).</summary>
    public static bool IsValid(string? address) => address is not null && (IsAny(address) || IsLocalhost(address) || TryParse(address, out _));

    /// <summary>The message a bad address stops the service with.</summary>
    public static string Problem(string setting)
        => $"Karma:{setting} must be '*' (every interface), 'localhost' or an IPv4/IPv6 address such as 127.0.0.1, 0.0.0.0 or ::1";

    /// <summary>Binds <paramref name="port"/> on <paramref name="address"/> with <paramref name="configure"/> (an invalid address: nothing).</summary>
    public static void Listen(KestrelServerOptions kestrel, string address, int port, Action<ListenOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        if (IsAny(address))
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else if (IsLocalhost(address))
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else if (TryParse(address, out var ip))
        {
            kestrel.Listen(ip, port, configure);
        }

        // Anything else binds nothing: Kestrel is configured when the app is built, before start, where options validation
        // (ValidateOnStart) stops the service naming the setting; throwing here would only say it less clearly.
    }

    private static bool IsAny(string address) => address.Trim() == Any;

    private static bool IsLocalhost(string address) => string.Equals(address.Trim(), Localhost, StringComparison.OrdinalIgnoreCase);

    private static bool TryParse(string address, out IPAddress ip)
    {
        string a = address.Trim();
        if (a.Length > 2 && a[0] == '[' && a[^1] == ']')
        {
            a = a[1..^1];
        }

        // IPAddress.TryParse also takes "1" or "1.2" (shorthand IPv4); only full literals are meant here.
        bool parsed = IPAddress.TryParse(a, out var parsedIp)
                      && (parsedIp.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || a.Count(c => c == '.') == 3);
        ip = parsed ? parsedIp! : IPAddress.None;
        return parsed;
    }
}
