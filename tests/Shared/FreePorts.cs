using System.Net;
using System.Net.Sockets;

namespace Karma.Tests.Shared;

/// <summary>Loopback ports for servers a test starts.</summary>
internal static class FreePorts
{
    /// <summary>A port nothing listens on now (the OS picks it; another process could still take it before the test binds it).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
