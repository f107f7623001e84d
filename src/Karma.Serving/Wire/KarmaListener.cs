namespace Karma.Serving.Wire;

/// <summary>The service's listeners; every endpoint is served on the listeners its <see cref="ServedOnAttribute"/> names.</summary>
public enum KarmaListener
{
    /// <summary><c>Karma:GrpcPort</c> (h2c): the public gRPC services, and admin unless it has its own port.</summary>
    Grpc,

    /// <summary><c>Karma:HttpPort</c> (HTTP/1): <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
    Http,

    /// <summary><c>Karma:AdminPort</c> (h2c) when set: <c>karma.v1.Admin</c> only.</summary>
    Admin,
}

/// <summary>
/// Which listener accepted a connection: set on the connection by the listener's connection middleware, so it holds
/// for every request on it (a request cannot claim another listener, unlike a Host header).
/// </summary>
public sealed class KarmaListenerFeature(KarmaListener listener)
{
    /// <summary>The listener.</summary>
    public KarmaListener Listener { get; } = listener;
}

/// <summary>Endpoint metadata: the listeners an endpoint is served on; on any other it does not match at all.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ServedOnAttribute(params KarmaListener[] listeners) : Attribute
{
    /// <summary>The listeners.</summary>
    public IReadOnlyList<KarmaListener> Listeners { get; } = listeners;

    /// <summary>True if the endpoint is served on <paramref name="listener"/>.</summary>
    public bool Allows(KarmaListener listener) => Listeners.Contains(listener);
}
